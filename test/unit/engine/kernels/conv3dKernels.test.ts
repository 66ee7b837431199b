import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { conv3dGeometry, registerConv3dKernels, unregisterConv3dKernels } from '../../../../src/engine/kernels'
import { dot, relativeError, seededValues, TEST_BACKENDS, useBackend } from './testBackends'

type Pad = 'same' | 'valid'
type Strides = number | [number, number, number]

interface Case {
  name: string
  xShape: [number, number, number, number, number]
  filterShape: [number, number, number, number, number]
  strides: Strides
  pad: Pad
}

// Non-cubic volumes and kernels, channel counts 1, 3 and 8, batch 1 and 2, strides 1, 2 and mixed.
const CASES: Case[] = [
  { name: '1→3 ch, stride 1, same', xShape: [2, 6, 5, 7, 1], filterShape: [3, 3, 3, 1, 3], strides: 1, pad: 'same' },
  { name: '3→8 ch, stride 1, valid', xShape: [1, 5, 7, 6, 3], filterShape: [3, 3, 3, 3, 8], strides: 1, pad: 'valid' },
  { name: '3→8 ch, stride 2, same', xShape: [2, 6, 5, 7, 3], filterShape: [3, 3, 3, 3, 8], strides: 2, pad: 'same' },
  { name: '8→3 ch, stride 2, valid', xShape: [1, 7, 6, 5, 8], filterShape: [3, 3, 3, 8, 3], strides: 2, pad: 'valid' },
  { name: '8→8 ch, stride 2, same, odd sizes', xShape: [1, 7, 9, 5, 8], filterShape: [3, 3, 3, 8, 8], strides: 2, pad: 'same' },
  { name: '3→1 ch, 2×3×1 kernel, strides [2,1,2], same', xShape: [2, 5, 6, 7, 3], filterShape: [2, 3, 1, 3, 1], strides: [2, 1, 2], pad: 'same' },
  { name: '8→8 ch, 2×2×2 kernel, stride 2, valid (downsampling)', xShape: [2, 6, 4, 8, 8], filterShape: [2, 2, 2, 8, 8], strides: 2, pad: 'valid' },
  { name: '3→3 ch, 2×2×2 kernel, stride 1, same (asymmetric padding)', xShape: [2, 4, 5, 3, 3], filterShape: [2, 2, 2, 3, 3], strides: 1, pad: 'same' },
  { name: '8→2 ch, 1×1×1 kernel (U-Net head)', xShape: [2, 4, 3, 5, 8], filterShape: [1, 1, 1, 8, 2], strides: 1, pad: 'same' }
]

interface Data {
  x: Float32Array
  filter: Float32Array
  dy: Float32Array
  dyShape: number[]
}

interface Results {
  y: Float32Array
  dFilter: Float32Array
  dx: Float32Array
}

function dataFor(c: Case, seed: number): Data {
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)
  const dyShape = conv3dGeometry(c.xShape, c.filterShape, c.strides, c.pad).outShape
  return {
    x: seededValues(size(c.xShape), seed),
    filter: seededValues(size(c.filterShape), seed + 1),
    dy: seededValues(size(dyShape), seed + 2),
    dyShape
  }
}

/** Forward and both gradients on the current backend, through the public ops and kernel names. */
function runAll(c: Case, d: Data): Results {
  return tf.tidy(() => {
    const x = tf.tensor5d(d.x, c.xShape)
    const filter = tf.tensor5d(d.filter, c.filterShape)
    const dy = tf.tensor(d.dy, d.dyShape)
    const y = tf.conv3d(x, filter, c.strides, c.pad)
    const dFilter = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy }, { strides: c.strides, pad: c.pad, filterShape: c.filterShape }) as tf.Tensor
    const dx = tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy, filter }, { strides: c.strides, pad: c.pad, inputShape: c.xShape }) as tf.Tensor
    return { y: y.dataSync() as Float32Array, dFilter: dFilter.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array }
  })
}

const data = CASES.map((c, i) => dataFor(c, 100 + 10 * i))
let reference: Results[] = []

beforeAll(async () => {
  // The stock cpu kernels are the reference: they are correct (shared/docs/TFJS-3D.md) and never overridden.
  await useBackend('cpu')
  reference = CASES.map((c, i) => runAll(c, data[i]))
})

describe.each(TEST_BACKENDS)('Conv3D kernels on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
    if (backend === 'wasm' || backend === 'cpu') registerConv3dKernels(backend)
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

  it('give the untiled results when tiles are a few positions long and cut mid-row', () => {
    registerConv3dKernels('wasm', { maxIm2colBytes: 64 * 2 ** 20 })
    const untiled = CASES.map((c, i) => runAll(c, data[i]))
    // 1 KB: 1 to 9 positions per tile for these patch sizes, so tiles end mid-row and mid-batch.
    registerConv3dKernels('wasm', { maxIm2colBytes: 1000 })
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
