import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { registerConv3dKernels, unregisterConv3dKernels, type Conv3dKernelOptions } from '../../../../src/engine/kernels'
import { NativeKernels } from '../../../../src/engine/kernels/nativeKernels'
import { CASES, dataFor, runAll, type Results } from './conv3dCases'
import { dot, relativeError, TEST_BACKENDS, useBackend } from './testBackends'

const data = CASES.map((c, i) => dataFor(c, 100 + 10 * i))
let reference: Results[] = []

beforeAll(async () => {
  // The stock cpu kernels are the reference: they are correct (shared/docs/TFJS-3D.md) and never overridden.
  await useBackend('cpu')
  reference = CASES.map((c, i) => runAll(c, data[i]))
})

// wasm three times: the default (direct kernels at stride 1, native im2col elsewhere), im2col
// everywhere, and the JS im2col (the fallback without the native module).
const VARIANTS: [string, string, Conv3dKernelOptions][] = TEST_BACKENDS.flatMap((backend): [string, string, Conv3dKernelOptions][] =>
  backend === 'wasm'
    ? [
        ['wasm', backend, {}],
        ['wasm, im2col only', backend, { conv: 'im2col' }],
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

  it.each([
    ['direct kernels in one-plane slabs, native im2col', {}],
    ['native im2col', { conv: 'im2col' }],
    ['JS im2col', { im2col: 'js' }]
  ] as [string, Conv3dKernelOptions][])('give the untiled results when tiles are a few positions long and cut mid-row (%s)', (_name, options) => {
    registerConv3dKernels('wasm', { ...options, maxScratchBytes: 64 * 2 ** 20 })
    const untiled = CASES.map((c, i) => runAll(c, data[i]))
    // 1 KB: 1 to 9 positions per im2col tile for these patch sizes, so tiles end mid-row and
    // mid-batch; one output plane per direct slab.
    registerConv3dKernels('wasm', { ...options, maxScratchBytes: 1000 })
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

  it('runs stride-1 layers on the direct kernels by default and on im2col when told', () => {
    const forward = vi.spyOn(NativeKernels.prototype, 'directForward')
    const filter = vi.spyOn(NativeKernels.prototype, 'directFilter')
    try {
      const run = (): void => {
        tf.tidy(() => {
          const x = tf.ones([1, 4, 4, 4, 4]) as tf.Tensor5D
          tf.grad((k: tf.Tensor) => tf.conv3d(x, k as tf.Tensor5D, 1, 'same').sum())(tf.ones([3, 3, 3, 4, 8])).dataSync()
        })
      }
      registerConv3dKernels('wasm')
      run()
      expect(forward).toHaveBeenCalledTimes(1)
      expect(filter).toHaveBeenCalledTimes(1)
      registerConv3dKernels('wasm', { conv: 'im2col' })
      run()
      expect(forward).toHaveBeenCalledTimes(1)
      expect(filter).toHaveBeenCalledTimes(1)
    } finally {
      forward.mockRestore()
      filter.mockRestore()
    }
  })

  it('refuses dilations other than 1 with a clear error', () => {
    registerConv3dKernels('wasm')
    const x = tf.zeros([1, 6, 6, 6, 2]) as tf.Tensor5D
    const k = tf.zeros([3, 3, 3, 2, 2]) as tf.Tensor5D
    expect(() => tf.conv3d(x, k, 1, 'same', 'NDHWC', 2)).toThrow(/dilation 1 only/)
    tf.dispose([x, k])
  })
})
