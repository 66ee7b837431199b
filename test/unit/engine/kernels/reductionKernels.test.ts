import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  REDUCTION_KERNELS,
  reductionKernelsRegistered,
  registerReductionKernels,
  unregisterReductionKernels
} from '../../../../src/engine/kernels'
import { numDataIds, relativeError, seededValues, useBackend } from './testBackends'

/**
 * A computation on the current backend from seeded inputs, returning its results' values. Inputs are
 * described, not made, so the same case runs on the cpu reference and on wasm.
 */
interface Input {
  shape: number[]
  dtype?: 'float32' | 'int32' | 'bool'
  /** Values ≥ 0 (sums whose terms all add up, the hardest case for float32 accumulation). */
  positive?: boolean
}
interface Case {
  name: string
  inputs: Input[]
  run: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]
  /** Relative tolerance against the cpu backend; default 1e-5. */
  tolerance?: number
}

function makeInput(input: Input, seed: number): tf.Tensor {
  const count = input.shape.reduce((a, b) => a * b, 1)
  const values = seededValues(count, seed)
  if (input.dtype === 'int32') return tf.tensor(Int32Array.from(values, (v) => Math.round(v * 100)), input.shape, 'int32')
  if (input.dtype === 'bool') return tf.tensor(Uint8Array.from(values, (v) => (v > 0 ? 1 : 0)), input.shape, 'bool')
  return tf.tensor(input.positive ? values.map((v) => (v + 1) / 2) : values, input.shape)
}

type Values = Float32Array | Int32Array | Uint8Array

function evaluate(c: Case, seed: number): { values: Values[]; shapes: number[][]; dtypes: string[] } {
  return tf.tidy(() => {
    const xs = c.inputs.map((input, i) => makeInput(input, seed + i))
    const out = c.run(...xs)
    const outs = Array.isArray(out) ? out : [out]
    return { values: outs.map((t) => t.dataSync().slice() as Values), shapes: outs.map((t) => t.shape), dtypes: outs.map((t) => t.dtype) }
  })
}

/** How many entries differ (NaN equals NaN, -0 equals 0): exact comparison without a slow deep-equal. */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let count = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) count++
  return count
}

const U = [2, 32, 32, 32, 8] // a level-0 activation of the default U-Net, batch 2 of 32³
const sum = (axes: number | number[] | null, keepDims = false) => (x: tf.Tensor) => tf.sum(x, axes ?? undefined, keepDims)
const mean = (axes: number | number[] | null, keepDims = false) => (x: tf.Tensor) => tf.mean(x, axes ?? undefined, keepDims)

const REDUCTIONS: Case[] = [
  // What the U-Net asks for: instance-norm statistics and gradients, the losses' sums.
  { name: 'sum [2,32,32,32,8] over batch and space', inputs: [{ shape: U }], run: sum([0, 1, 2, 3]) },
  { name: 'sum [2,32,32,32,8] over space, keepDims', inputs: [{ shape: U }], run: sum([1, 2, 3], true) },
  { name: 'mean [2,32,32,32,8] over space, keepDims', inputs: [{ shape: U }], run: mean([1, 2, 3], true) },
  { name: 'mean [2,16,16,16,16] over space, keepDims', inputs: [{ shape: [2, 16, 16, 16, 16] }], run: mean([1, 2, 3], true) },
  { name: 'sum [2,32,32,32,3] over classes, keepDims', inputs: [{ shape: [2, 32, 32, 32, 3] }], run: sum(-1, true) },
  { name: 'mean of everything [2,32,32,32]', inputs: [{ shape: [2, 32, 32, 32] }], run: mean(null) },
  { name: 'sum [2,32,32,32,3] ≥ 0 over batch and space', inputs: [{ shape: [2, 32, 32, 32, 3], positive: true }], run: sum([0, 1, 2, 3]) },
  // Edge cases: ranks 1–5, single axis, all axes, keepDims both ways, negative and unsorted axes.
  { name: 'sum rank 1', inputs: [{ shape: [7] }], run: sum(0) },
  { name: 'sum rank 1, keepDims', inputs: [{ shape: [7] }], run: sum(0, true) },
  { name: 'mean rank 2 over axis 0', inputs: [{ shape: [9, 5] }], run: mean(0) },
  { name: 'sum rank 2 over axis 1, keepDims', inputs: [{ shape: [9, 5] }], run: sum(1, true) },
  { name: 'sum rank 3 over [0, 2] (two groups)', inputs: [{ shape: [3, 4, 5] }], run: sum([0, 2]) },
  { name: 'mean rank 4 over [1, 3], keepDims', inputs: [{ shape: [2, 3, 4, 5] }], run: mean([1, 3], true) },
  { name: 'sum rank 4 over [-1, 0] (negative, unsorted)', inputs: [{ shape: [2, 3, 4, 5] }], run: sum([-1, 0]) },
  { name: 'sum rank 5 over all axes', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: sum(null) },
  { name: 'mean rank 5 over all axes, keepDims', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: mean([0, 1, 2, 3, 4], true) },
  { name: 'sum rank 5 over [0, 2, 4]', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: sum([0, 2, 4]) },
  { name: 'mean rank 5 over [1, 3]', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: mean([1, 3]) },
  { name: 'sum rank 5 over axis 2, 64 channels', inputs: [{ shape: [2, 3, 5, 2, 64] }], run: sum(2) },
  // Sizes 1: reduced size-1 axes only (a copy), size-1 axes among others, a scalar.
  { name: 'sum over size-1 axes only', inputs: [{ shape: [2, 1, 3, 1] }], run: sum([1, 3]) },
  { name: 'mean over size-1 axes only, keepDims', inputs: [{ shape: [2, 1, 3, 1] }], run: mean([1, 3], true) },
  { name: 'sum [1,4,1,5,1] over [0, 1, 2]', inputs: [{ shape: [1, 4, 1, 5, 1] }], run: sum([0, 1, 2]) },
  { name: 'sum of a [1,1,1,1,1]', inputs: [{ shape: [1, 1, 1, 1, 1] }], run: sum(null) },
  { name: 'mean of a scalar', inputs: [{ shape: [] }], run: mean(null) },
  // Stock fallbacks: other dtypes, empty tensors.
  { name: 'sum int32 over [0, 1]', inputs: [{ shape: [3, 4, 5], dtype: 'int32' }], run: sum([0, 1]) },
  { name: 'mean int32 over 1', inputs: [{ shape: [3, 4, 5], dtype: 'int32' }], run: mean(1) },
  { name: 'sum bool over 0', inputs: [{ shape: [6, 5], dtype: 'bool' }], run: sum(0) },
  { name: 'sum of an empty tensor over 0', inputs: [{ shape: [0, 3] }], run: sum(0) }
]

const COPIES: Case[] = [
  // Transpose: merged axes; rank 5 with size-1 axes; dtypes.
  { name: 'transpose [2,32,32,32,8] channels first', inputs: [{ shape: U }], run: (x) => tf.transpose(x, [4, 0, 1, 2, 3]) },
  { name: 'transpose rank 5 [0,4,1,2,3]', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: (x) => tf.transpose(x, [0, 4, 1, 2, 3]) },
  { name: 'transpose rank 5, nothing merges', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: (x) => tf.transpose(x, [4, 2, 0, 3, 1]) },
  { name: 'transpose rank 5 with size-1 axes', inputs: [{ shape: [1, 3, 1, 5, 2] }], run: (x) => tf.transpose(x, [3, 2, 4, 0, 1]) },
  { name: 'transpose rank 2', inputs: [{ shape: [7, 3] }], run: (x) => tf.transpose(x) },
  { name: 'transpose identity', inputs: [{ shape: [2, 3, 4] }], run: (x) => tf.transpose(x, [0, 1, 2]) },
  { name: 'transpose int32 rank 4', inputs: [{ shape: [2, 3, 4, 5], dtype: 'int32' }], run: (x) => tf.transpose(x, [3, 0, 1, 2]) },
  { name: 'transpose bool rank 5', inputs: [{ shape: [2, 3, 2, 3, 2], dtype: 'bool' }], run: (x) => tf.transpose(x, [4, 3, 0, 1, 2]) },
  // Slice: ranks 1–5, channel slices, boxes, size -1, whole tensors, dtypes, empty.
  { name: 'slice rank 1', inputs: [{ shape: [9] }], run: (x) => tf.slice(x, 2, 5) },
  { name: 'slice rank 2 columns', inputs: [{ shape: [65, 16] }], run: (x) => tf.slice(x, [0, 8], [65, 8]) },
  { name: 'slice rank 3 box', inputs: [{ shape: [4, 5, 6] }], run: (x) => tf.slice(x, [1, 1, 2], [2, 3, 3]) },
  { name: 'slice rank 4 with size -1', inputs: [{ shape: [3, 4, 5, 6] }], run: (x) => tf.slice(x, [1, 0, 2, 1], [-1, 2, -1, 4]) },
  { name: 'slice rank 5 channels 8–15 of 16', inputs: [{ shape: [2, 8, 8, 8, 16] }], run: (x) => tf.slice(x, [0, 0, 0, 0, 8], [2, 8, 8, 8, 8]) },
  { name: 'slice rank 5 spatial box', inputs: [{ shape: [2, 8, 7, 6, 3] }], run: (x) => tf.slice(x, [1, 2, 1, 0, 0], [1, 4, 5, 6, 3]) },
  { name: 'slice rank 5 one voxel', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: (x) => tf.slice(x, [1, 2, 3, 4, 5], [1, 1, 1, 1, 1]) },
  { name: 'slice rank 5 whole', inputs: [{ shape: [2, 3, 4, 5, 6] }], run: (x) => tf.slice(x, [0, 0, 0, 0, 0], [2, 3, 4, 5, 6]) },
  { name: 'slice rank 5 int32', inputs: [{ shape: [2, 3, 4, 5, 6], dtype: 'int32' }], run: (x) => tf.slice(x, [0, 1, 0, 2, 1], [2, 2, 4, 2, 5]) },
  { name: 'slice rank 5 bool', inputs: [{ shape: [2, 3, 4, 5, 6], dtype: 'bool' }], run: (x) => tf.slice(x, [1, 0, 1, 0, 2], [1, 3, 2, 5, 4]) },
  { name: 'slice empty', inputs: [{ shape: [3, 4] }], run: (x) => tf.slice(x, [1, 0], [0, 4]) },
  // SplitV and Concat: every axis of rank 5, three pieces, uneven sizes, empty pieces, dtypes.
  ...[0, 1, 2, 3, 4].map<Case>((axis) => ({
    name: `split rank 5 along axis ${axis}`,
    inputs: [{ shape: [4, 4, 5, 4, 6] }],
    run: (x) => tf.split(x, axis === 2 ? [1, 3, 1] : 2, axis)
  })),
  { name: 'split [8192,16] 8/8 (the concat gradient)', inputs: [{ shape: [8192, 16] }], run: (x) => tf.split(x, [8, 8], 1) },
  { name: 'split with an empty piece', inputs: [{ shape: [3, 5] }], run: (x) => tf.split(x, [2, 0, 3], 1) },
  { name: 'split int32', inputs: [{ shape: [3, 6], dtype: 'int32' }], run: (x) => tf.split(x, 3, 1) },
  ...[0, 1, 2, 3, 4].map<Case>((axis) => ({
    name: `concat three rank-5 tensors along axis ${axis}`,
    inputs: [{ shape: [2, 3, 2, 3, 4] }, { shape: [2, 3, 2, 3, 4] }, { shape: [2, 3, 2, 3, 4] }],
    run: (a, b, c) => tf.concat([a as tf.Tensor, b as tf.Tensor, c as tf.Tensor], axis)
  })),
  { name: 'concat U-Net skips along channels', inputs: [{ shape: U }, { shape: U }], run: (a, b) => tf.concat([a as tf.Tensor, b as tf.Tensor], -1) },
  { name: 'concat uneven channels', inputs: [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 4, 20] }], run: (a, b) => tf.concat([a as tf.Tensor, b as tf.Tensor], 3) },
  { name: 'concat with an empty input', inputs: [{ shape: [3, 0] }, { shape: [3, 4] }, { shape: [3, 2] }], run: (a, b, c) => tf.concat([a as tf.Tensor, b as tf.Tensor, c as tf.Tensor], 1) },
  { name: 'concat bool', inputs: [{ shape: [2, 3], dtype: 'bool' }, { shape: [2, 5], dtype: 'bool' }], run: (a, b) => tf.concat([a as tf.Tensor, b as tf.Tensor], 1) },
  { name: 'concat int32 rank 1', inputs: [{ shape: [3], dtype: 'int32' }, { shape: [4], dtype: 'int32' }], run: (a, b) => tf.concat([a as tf.Tensor, b as tf.Tensor]) }
]

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor
const OPS: [string, Binary][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['squaredDifference', tf.squaredDifference]
]
const H = [2, 16, 16, 16, 8] // a smaller activation: the same broadcast, an eighth of the test time
const BROADCASTS: [string, number[], number[]][] = [
  ['statistic · activation', [2, 1, 1, 1, 8], H],
  ['activation · statistic', H, [2, 1, 1, 1, 8]],
  ['activation · per-channel weight', [2, 16, 16, 16, 16], [16]],
  ['per-channel weight · activation', [16], [2, 16, 16, 16, 16]],
  ['repeat count with a prime factor', [3, 5, 7, 4], [3, 1, 1, 4]],
  ['middle-axis broadcast', [2, 8, 1, 16, 8], [2, 8, 40, 16, 8]],
  ['inner-axis broadcast (stock)', [2, 16, 16, 16, 1], [2, 16, 16, 16, 3]],
  ['same shapes (stock)', [2, 4, 4, 4, 8], [2, 4, 4, 4, 8]],
  ['scalar (stock)', [], [2, 4, 4, 4, 8]]
]
const BINARIES: Case[] = [
  { name: 'mul: statistic · U-Net activation', inputs: [{ shape: [2, 1, 1, 1, 8] }, { shape: U }], run: (a, b) => tf.mul(a as tf.Tensor, b as tf.Tensor) },
  ...OPS.flatMap(([op, fn]) =>
  BROADCASTS.map<Case>(([pattern, aShape, bShape]) => ({
    name: `${op}: ${pattern} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`,
    // Divisors away from 0.
    inputs: [{ shape: aShape }, { shape: bShape, positive: op === 'div' }],
    run: (a, b) => (op === 'div' ? fn(a as tf.Tensor, tf.add(b as tf.Tensor, 0.5)) : fn(a as tf.Tensor, b as tf.Tensor))
  }))
  )
]

const ALL = [...REDUCTIONS, ...COPIES, ...BINARIES]
const reference = new Map<string, ReturnType<typeof evaluate>>()

beforeAll(async () => {
  await useBackend('cpu')
  ALL.forEach((c, i) => reference.set(c.name, evaluate(c, 1000 + 10 * i)))
  await useBackend('wasm')
  registerReductionKernels('wasm')
})

afterAll(() => {
  registerReductionKernels('wasm')
})

describe.each([
  ['reductions', REDUCTIONS],
  ['transpose, slice, split, concat', COPIES],
  ['broadcasting binary ops', BINARIES]
] as const)('wasm %s equal the stock cpu kernels', (_group, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const i = ALL.indexOf(c)
    const expected = reference.get(c.name)
    const actual = evaluate(c, 1000 + 10 * i)
    expect(actual.shapes).toEqual(expected?.shapes)
    expect(actual.dtypes).toEqual(expected?.dtypes)
    expect(actual.values.length).toBe(expected?.values.length)
    actual.values.forEach((values, k) => {
      const want = expected?.values[k] as Values
      if (actual.dtypes[k] !== 'float32' || want.length === 0) expect(mismatches(values, want)).toBe(0)
      else expect(relativeError(values, want)).toBeLessThan(c.tolerance ?? 1e-5)
    })
  })
})

describe('wasm broadcasting binary ops are bit-for-bit the stock wasm ones', () => {
  afterAll(() => registerReductionKernels('wasm'))
  it.each(BINARIES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const seed = 7
    unregisterReductionKernels('wasm')
    const stock = evaluate(c, seed)
    registerReductionKernels('wasm')
    const ours = evaluate(c, seed)
    expect(ours.shapes).toEqual(stock.shapes)
    expect(mismatches(ours.values[0] as Values, stock.values[0] as Values)).toBe(0)
  })
})

describe('gradients through the wasm kernels equal the cpu ones', () => {
  /** d/dx of a scalar made of the ops the U-Net differentiates through. */
  const GRADIENTS: [string, number[], (x: tf.Tensor) => tf.Scalar][] = [
    ['instance norm (moments, broadcasts)', [2, 8, 8, 8, 8], (x) => {
      const { mean: m, variance } = tf.moments(x, [1, 2, 3], true)
      const y = tf.mul(tf.sub(x, m), tf.rsqrt(tf.add(variance, 1e-5)))
      return tf.sum(tf.mul(y, tf.tensor(seededValues(8192, 8), [2, 8, 8, 8, 8])))
    }],
    ['sum over batch and space, keepDims', [2, 4, 4, 4, 8], (x) => tf.sum(tf.square(tf.sum(x, [0, 1, 2, 3], true)))],
    ['mean over space', [2, 4, 4, 4, 8], (x) => tf.sum(tf.square(tf.mean(x, [1, 2, 3])))],
    ['slice and concat along channels', [2, 4, 4, 4, 8], (x) => {
      const [a, b] = tf.split(x, [3, 5], 4)
      return tf.sum(tf.mul(tf.concat([tf.square(b as tf.Tensor), a as tf.Tensor], 4), tf.linspace(1, 3, 8)))
    }],
    ['rank-5 slice', [2, 4, 5, 4, 6], (x) => tf.sum(tf.square(tf.slice(x, [1, 1, 0, 2, 3], [1, 2, 5, 2, 3])))],
    ['rank-5 transpose', [2, 4, 5, 4, 6], (x) => tf.sum(tf.mul(tf.transpose(x, [4, 0, 1, 2, 3]), tf.tensor(seededValues(960, 9), [6, 2, 4, 5, 4])))]
  ]
  let expected: number[][] = []
  beforeAll(async () => {
    await useBackend('cpu')
    expected = GRADIENTS.map(([, shape, f], i) => tf.tidy(() => Array.from(tf.grad(f)(tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 50 + i), shape)).dataSync())))
    await useBackend('wasm')
    registerReductionKernels('wasm')
  })
  it.each(GRADIENTS.map(([name], i) => [name, i] as const))('%s', (_name, i) => {
    const [, shape, f] = GRADIENTS[i] as (typeof GRADIENTS)[number]
    const grad = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 50 + i), shape)).dataSync()))
    expect(relativeError(grad, expected[i] as number[])).toBeLessThan(1e-4)
  })
})

describe('wasm reduction kernels release what they allocate', () => {
  beforeAll(async () => {
    await useBackend('wasm')
    registerReductionKernels('wasm')
  })

  it('tensors and wasm data ids do not grow over repeated calls of every kernel', () => {
    const x = tf.tensor(seededValues(2 * 8 * 8 * 8 * 8, 3), [2, 8, 8, 8, 8])
    const g = tf.tensor(seededValues(16, 4), [2, 1, 1, 1, 8]) // widened: 512 rows of 8 → 4 of 1024
    const all = (): void =>
      tf.tidy(() => {
        tf.sum(x, [0, 1, 2, 3])
        tf.sum(x, [0, 2, 4], true) // two steps: an intermediate
        tf.mean(x, [1, 2, 3], true)
        tf.sum(tf.reshape(x, [2, 1, 512, 1, 8]), [1, 3]) // a copy
        tf.transpose(x, [4, 0, 1, 2, 3])
        tf.slice(x, [0, 1, 0, 0, 2], [2, 4, 5, 4, 4])
        tf.slice(x, [0, 0, 0, 0, 0], [1, 8, 8, 8, 8]) // one run
        tf.split(x, [3, 5], 4)
        tf.concat([x, x], 4)
        tf.mul(x, g)
        tf.sub(g, x)
        tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.sub(t, tf.mean(t, [1, 2, 3], true)))))(x)
      })
    all() // warm-up: first use may allocate lasting state
    const tensors = tf.memory().numTensors
    const dataIds = numDataIds()
    for (let i = 0; i < 3; i++) all()
    expect(tf.memory().numTensors).toBe(tensors)
    expect(numDataIds()).toBe(dataIds)
    tf.dispose([x, g])
  })
})

describe('registration', () => {
  beforeAll(async () => {
    await useBackend('wasm')
  })
  afterAll(() => registerReductionKernels('wasm'))

  it('is idempotent, and unregistering puts every stock kernel back', () => {
    unregisterReductionKernels('wasm')
    const stock = REDUCTION_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
    registerReductionKernels('wasm')
    const ours = REDUCTION_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
    expect(reductionKernelsRegistered('wasm')).toBe(true)
    ours.forEach((func, i) => expect(func).not.toBe(stock[i]))
    registerReductionKernels('wasm')
    expect(REDUCTION_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(ours)
    unregisterReductionKernels('wasm')
    expect(reductionKernelsRegistered('wasm')).toBe(false)
    expect(REDUCTION_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(stock)
  })

  it('falls back to the real stock kernels after a partial override (never to itself)', () => {
    registerReductionKernels('wasm')
    // Someone puts one stock kernel back: registering again re-reads the registry, where the others
    // are still ours; they must resolve to the stock configs they replaced.
    const stockTranspose = (() => {
      unregisterReductionKernels('wasm')
      const config = tf.getKernel(tf.Transpose, 'wasm') as tf.KernelConfig
      registerReductionKernels('wasm')
      return config
    })()
    tf.unregisterKernel(tf.Transpose, 'wasm')
    tf.registerKernel(stockTranspose)
    expect(reductionKernelsRegistered('wasm')).toBe(false)
    registerReductionKernels('wasm')
    expect(reductionKernelsRegistered('wasm')).toBe(true)
    // int32: each kernel's stock fallback; a fallback to itself would recurse without end.
    expect(tf.tidy(() => tf.sum(tf.ones([4, 3], 'int32'), 0).arraySync())).toEqual([4, 4, 4])
    expect(tf.tidy(() => tf.transpose(tf.tensor([[1, 2]], [1, 2], 'int32'), [1, 0]).arraySync())).toEqual([[1], [2]])
    unregisterReductionKernels('wasm')
    expect(tf.getKernel(tf.Transpose, 'wasm')?.kernelFunc).toBe(stockTranspose.kernelFunc)
  })
})
