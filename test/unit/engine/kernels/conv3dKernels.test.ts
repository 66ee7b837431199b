import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConv3dKernels, unregisterConv3dKernels, type TileOptions } from '../../../../src/engine/kernels'
import { CASES, dataFor, runAll, type Results } from './conv3dCases'
import { dot, relativeError, TEST_BACKENDS, useBackend } from './testBackends'

const data = CASES.map((c, i) => dataFor(c, 100 + 10 * i))
let reference: Results[] = []

beforeAll(async () => {
  // The stock cpu kernels are the reference: they are correct (shared/docs/TFJS-3D.md) and never overridden.
  await useBackend('cpu')
  reference = CASES.map((c, i) => runAll(c, data[i]))
})

// wasm twice: with the native im2col (the default) and with the JS one (the fallback).
const VARIANTS: [string, string, TileOptions][] = TEST_BACKENDS.flatMap((backend): [string, string, TileOptions][] =>
  backend === 'wasm'
    ? [
        ['wasm', backend, {}],
        ['wasm, JS im2col', backend, { im2col: 'js' }]
      ]
    : [[backend, backend, {}]]
)

describe.each(VARIANTS)('Conv3D kernels on %s', (_label, backend, options) => {
  beforeAll(async () => {
    await useBackend(backend)
    if (backend === 'wasm' || backend === 'cpu') registerConv3dKernels(backend, options)
  })
  afterAll(() => {
    if (backend === 'wasm') registerConv3dKernels('wasm')
  })

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: equals the cpu reference within 1e-4', (_name, i) => {
    const r = runAll(CASES[i], data[i])
    expect(relativeError(r.y, reference[i].y)).toBeLessThan(1e-4)
    expect(relativeError(r.dFilter, reference[i].dFilter)).toBeLessThan(1e-4)
    expect(relativeError(r.dx, reference[i].dx)).toBeLessThan(1e-4)
  })

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: <conv(x,k), dy> = <x, dx> = <k, dk>', (_name, i) => {
    const d = data[i]
    const r = runAll(CASES[i], d)
    const lhs = dot(r.y, d.dy)
    // Scale of the sum's terms: a cancellation-proof yardstick for float32 rounding.
    let scale = 0
    for (let j = 0; j < r.y.length; j++) scale += Math.abs(r.y[j] * d.dy[j])
    expect(Math.abs(dot(d.x, r.dx) - lhs)).toBeLessThan(1e-5 * scale)
    expect(Math.abs(dot(d.filter, r.dFilter) - lhs)).toBeLessThan(1e-5 * scale)
  })
})

describe('wasm kernels tiled over output positions', () => {
  beforeAll(async () => {
    await useBackend('wasm')
  })
  afterAll(() => {
    registerConv3dKernels('wasm')
  })

  it.each(['native', 'js'] as const)('give the untiled results when tiles are a few positions long and cut mid-row (%s im2col)', (im2col) => {
    registerConv3dKernels('wasm', { maxIm2colBytes: 64 * 2 ** 20, im2col })
    const untiled = CASES.map((c, i) => runAll(c, data[i]))
    // 1 KB: 1 to 9 positions per tile for these patch sizes, so tiles end mid-row and mid-batch.
    registerConv3dKernels('wasm', { maxIm2colBytes: 1000, im2col })
    CASES.forEach((c, i) => {
      const tiled = runAll(c, data[i])
      expect(tiled.y).toEqual(untiled[i].y)
      expect(relativeError(tiled.dFilter, untiled[i].dFilter)).toBeLessThan(1e-6)
      expect(tiled.dx).toEqual(untiled[i].dx)
    })
  })
})

describe('registration', () => {
  beforeAll(async () => {
    await useBackend('wasm')
  })
  afterAll(() => {
    registerConv3dKernels('wasm')
  })

  it('is idempotent', () => {
    registerConv3dKernels('wasm')
    const first = tf.getKernel(tf.Conv3D, 'wasm').kernelFunc
    registerConv3dKernels('wasm')
    expect(tf.getKernel(tf.Conv3D, 'wasm').kernelFunc).toBe(first)
    expect(tf.getGradient(tf.Conv3DBackpropInputV2)).toBeDefined()
  })

  it('puts the stock kernels back on unregister and ours again on register', () => {
    registerConv3dKernels('wasm')
    const ours = tf.getKernel(tf.Conv3D, 'wasm').kernelFunc
    unregisterConv3dKernels('wasm')
    const stock = tf.getKernel(tf.Conv3D, 'wasm').kernelFunc
    expect(stock).not.toBe(ours)
    registerConv3dKernels('wasm')
    expect(tf.getKernel(tf.Conv3D, 'wasm').kernelFunc).not.toBe(stock)
  })

  it('refuses dilations other than 1 with a clear error', () => {
    registerConv3dKernels('wasm')
    const x = tf.zeros([1, 6, 6, 6, 2]) as tf.Tensor5D
    const k = tf.zeros([3, 3, 3, 2, 2]) as tf.Tensor5D
    expect(() => tf.conv3d(x, k, 1, 'same', 'NDHWC', 2)).toThrow(/dilation 1 only/)
    tf.dispose([x, k])
  })
})
