import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { installThreadedWasm, MAX_WASM_THREADS, wantedWasmThreads } from '../../../../src/engine/backends/threadedWasm'
import { registerConv3dKernels, registerReductionKernels } from '../../../../src/engine/kernels'
import { nativeKernelsFor } from '../../../../src/engine/kernels/nativeKernels'
import { asWasmBackend } from '../../../../src/engine/kernels/wasmHeap'
import { CASES, dataFor, runAll, type Results } from '../kernels/conv3dCases'
import { relativeError, useBackend } from '../kernels/testBackends'

// This file replaces the process's 'wasm' backend with the threaded build; vitest runs each test
// file in its own process (pool 'forks'), so the other kernel tests keep the plain build.
const data = CASES.map((c, i) => dataFor(c, 300 + 10 * i))
let reference: Results[] = []
let threads = 0

beforeAll(async () => {
  await useBackend('cpu')
  reference = CASES.map((c, i) => runAll(c, data[i]))
  threads = (await installThreadedWasm(2)).threads
  await useBackend('wasm')
  registerConv3dKernels('wasm')
  registerReductionKernels('wasm')
})

describe('the threaded wasm build under Node', () => {
  it('runs XNNPACK on two threads, on a shared heap', () => {
    expect(threads).toBe(2)
    expect(tf.getBackend()).toBe('wasm')
    const native = nativeKernelsFor(asWasmBackend(tf.backend()))
    expect(native?.shared).toBe(true)
  })

  it('multiplies large matrices correctly (the split work of both threads lands)', () => {
    const a = tf.randomNormal([1, 3001, 257], 0, 1, 'float32', 1)
    const b = tf.randomNormal([1, 257, 33], 0, 1, 'float32', 2)
    const wasm = tf.matMul(a, b).dataSync() as Float32Array
    const aValues = a.dataSync()
    const bValues = b.dataSync()
    // Spot-check rows from both halves against a float64 dot product.
    for (const row of [0, 1, 1499, 1500, 2999, 3000]) {
      for (const col of [0, 16, 32]) {
        let sum = 0
        for (let k = 0; k < 257; k++) sum += aValues[row * 257 + k] * bValues[k * 33 + col]
        expect(Math.abs(wasm[row * 33 + col] - sum)).toBeLessThan(1e-3)
      }
    }
    tf.dispose([a, b])
  })

  it.each(CASES.map((c, i) => [c.name, i] as const))('Conv3D %s: forward and both gradients equal the cpu reference within 1e-4', (_name, i) => {
    const r = runAll(CASES[i], data[i])
    expect(relativeError(r.y, reference[i].y)).toBeLessThan(1e-4)
    expect(relativeError(r.dFilter, reference[i].dFilter)).toBeLessThan(1e-4)
    expect(relativeError(r.dx, reference[i].dx)).toBeLessThan(1e-4)
  })

  it('a second install returns the first result and keeps the backend', async () => {
    expect((await installThreadedWasm(4)).threads).toBe(threads)
    expect(tf.getBackend()).toBe('wasm')
  })
})

describe('wantedWasmThreads', () => {
  it('defaults to the cores, capped at the pool size of the build', () => {
    const wanted = wantedWasmThreads({})
    expect(wanted).toBeGreaterThanOrEqual(1)
    expect(wanted).toBeLessThanOrEqual(MAX_WASM_THREADS)
  })

  it('takes VOXLOOP_WASM_THREADS, capped, and refuses nonsense with a clear message', () => {
    expect(wantedWasmThreads({ VOXLOOP_WASM_THREADS: '1' })).toBe(1)
    expect(wantedWasmThreads({ VOXLOOP_WASM_THREADS: '64' })).toBe(MAX_WASM_THREADS)
    expect(() => wantedWasmThreads({ VOXLOOP_WASM_THREADS: 'two' })).toThrow(/VOXLOOP_WASM_THREADS must be a whole number ≥ 1, got "two"/)
    expect(() => wantedWasmThreads({ VOXLOOP_WASM_THREADS: '0' })).toThrow(/VOXLOOP_WASM_THREADS/)
  })
})
