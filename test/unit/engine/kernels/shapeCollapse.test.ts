import { describe, expect, it } from 'vitest'
import { collapseTranspose, reductionSteps, slicePlan, stridesOf, widenBroadcast, type CopyPlan } from '../../../../src/engine/kernels/shapeCollapse'

/** Runs a copy plan on plain arrays (the heap version is heapCopy.copyRuns). */
function runPlan(source: number[], plan: CopyPlan): number[] {
  const out: number[] = []
  const level = (depth: number, s: number): void => {
    if (depth === plan.loops.length) {
      for (let j = 0; j < plan.runLength; j++) out.push(source[s + j] as number)
      return
    }
    const loop = plan.loops[depth] as CopyPlan['loops'][number]
    for (let i = 0; i < loop.count; i++) level(depth + 1, s + i * loop.srcStride)
  }
  level(0, plan.srcStart)
  return out
}

/** The slice by its definition: every output index mapped back to the input. */
function sliceByDefinition(shape: number[], begin: number[], size: number[]): number[] {
  const strides = stridesOf(shape)
  const total = size.reduce((a, b) => a * b, 1)
  const out: number[] = []
  for (let flat = 0; flat < total; flat++) {
    let rest = flat
    let offset = 0
    for (let axis = size.length - 1; axis >= 0; axis--) {
      const index = rest % (size[axis] as number)
      rest = Math.floor(rest / (size[axis] as number))
      offset += ((begin[axis] as number) + index) * (strides[axis] as number)
    }
    out.push(offset)
  }
  return out
}

describe('reductionSteps', () => {
  it('merges the U-Net reductions into one step', () => {
    expect(reductionSteps([2, 32, 32, 32, 8], [0, 1, 2, 3])).toEqual([{ outer: 1, reduce: 65536, inner: 8 }])
    expect(reductionSteps([2, 32, 32, 32, 8], [1, 2, 3])).toEqual([{ outer: 2, reduce: 32768, inner: 8 }])
    expect(reductionSteps([2, 32, 32, 32, 3], [4])).toEqual([{ outer: 65536, reduce: 3, inner: 1 }])
    expect(reductionSteps([2, 32, 32, 32], [0, 1, 2, 3])).toEqual([{ outer: 1, reduce: 65536, inner: 1 }])
  })

  it('drops size-1 axes, reduced or not', () => {
    expect(reductionSteps([1, 4, 1, 5], [0, 1, 2])).toEqual([{ outer: 1, reduce: 4, inner: 5 }])
    expect(reductionSteps([2, 1, 3], [1])).toEqual([])
    expect(reductionSteps([1], [0])).toEqual([])
  })

  it('reduces separated groups innermost first, each step feeding the next', () => {
    // [R 2, K 3, R 4, K 5] → sum over axis 2 of [6, 4, 5], then axis 0 of [2, 15].
    expect(reductionSteps([2, 3, 4, 5], [0, 2])).toEqual([
      { outer: 6, reduce: 4, inner: 5 },
      { outer: 1, reduce: 2, inner: 15 }
    ])
    // [K, R, K, R]: the innermost reduction has inner 1.
    expect(reductionSteps([2, 3, 4, 5], [1, 3])).toEqual([
      { outer: 24, reduce: 5, inner: 1 },
      { outer: 2, reduce: 3, inner: 4 }
    ])
  })
})

describe('collapseTranspose', () => {
  it('makes the rank-5 channel-first transpose a matrix transpose', () => {
    expect(collapseTranspose([2, 32, 32, 32, 8], [4, 0, 1, 2, 3])).toEqual({ shape: [65536, 8], perm: [1, 0] })
    expect(collapseTranspose([2, 32, 32, 32, 8], [0, 4, 1, 2, 3])).toEqual({ shape: [2, 32768, 8], perm: [0, 2, 1] })
  })

  it('drops size-1 axes and leaves identities rank ≤ 1', () => {
    expect(collapseTranspose([1, 5, 1, 3], [3, 2, 1, 0])).toEqual({ shape: [5, 3], perm: [1, 0] })
    expect(collapseTranspose([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] })
    expect(collapseTranspose([1, 1], [1, 0])).toEqual({ shape: [], perm: [] })
  })

  it('keeps axes that move apart', () => {
    expect(collapseTranspose([2, 3, 4, 5, 6], [4, 2, 0, 3, 1])).toEqual({ shape: [2, 3, 4, 5, 6], perm: [4, 2, 0, 3, 1] })
    expect(collapseTranspose([2, 3, 4, 5, 6], [3, 4, 0, 1, 2])).toEqual({ shape: [24, 30], perm: [1, 0] })
  })
})

describe('slicePlan', () => {
  it('copies a channel slice as runs of the channels taken', () => {
    expect(slicePlan([2, 32, 32, 32, 16], [0, 0, 0, 0, 8], [2, 32, 32, 32, 8])).toEqual({
      runLength: 8,
      srcStart: 8,
      loops: [{ count: 65536, srcStride: 16, dstStride: 8 }]
    })
  })

  it('copies whole inner blocks as one run', () => {
    expect(slicePlan([2, 3, 4], [1, 0, 0], [1, 3, 4])).toEqual({ runLength: 12, srcStart: 12, loops: [] })
    expect(slicePlan([2, 3, 4], [0, 0, 0], [2, 3, 4])).toEqual({ runLength: 24, srcStart: 0, loops: [] })
  })

  const cases: [number[], number[], number[]][] = [
    [[7], [2], [3]],
    [[4, 5], [1, 2], [2, 3]],
    [[3, 4, 5], [0, 1, 0], [3, 2, 5]],
    [[2, 3, 4, 5], [1, 0, 2, 1], [1, 3, 2, 4]],
    [[2, 4, 3, 5, 6], [0, 1, 0, 2, 3], [2, 2, 3, 3, 3]],
    [[2, 4, 3, 5, 6], [1, 0, 1, 0, 0], [1, 4, 1, 5, 6]],
    [[3, 1, 4, 1, 2], [1, 0, 1, 0, 1], [2, 1, 3, 1, 1]]
  ]
  it.each(cases)('shape %j from %j size %j equals the definition', (shape, begin, size) => {
    const source = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i)
    expect(runPlan(source, slicePlan(shape, begin, size))).toEqual(sliceByDefinition(shape, begin, size))
  })
})

describe('widenBroadcast', () => {
  it('widens an instance-norm statistic against its activation', () => {
    expect(widenBroadcast([2, 1, 1, 1, 8], [2, 32, 32, 32, 8])).toEqual({
      aShape: [2, 1, 1024],
      bShape: [2, 256, 1024],
      tiled: 'a',
      tile: 128,
      tiledFrom: [2, 1, 8]
    })
    expect(widenBroadcast([2, 32, 32, 32, 8], [8])).toEqual({
      aShape: [512, 1024],
      bShape: [1, 1024],
      tiled: 'b',
      tile: 128,
      tiledFrom: [1, 8]
    })
  })

  it('keeps the tiled copy at most a quarter of the output', () => {
    expect(widenBroadcast([2, 8, 1, 16, 8], [2, 8, 40, 16, 8])).toEqual({
      aShape: [16, 1, 1024],
      bShape: [16, 5, 1024],
      tiled: 'a',
      tile: 8,
      tiledFrom: [16, 1, 128]
    })
  })

  it('declines what it cannot widen', () => {
    expect(widenBroadcast([2, 4, 8], [2, 4, 8])).toBeNull() // same shapes
    expect(widenBroadcast([2, 32, 1], [2, 32, 3])).toBeNull() // broadcast along the last axis
    expect(widenBroadcast([1, 512], [64, 512])).toBeNull() // rows already long
    expect(widenBroadcast([1, 8], [7, 8])).toBeNull() // 7 rows: no tile reaches 256 floats
    expect(widenBroadcast([], [4, 8])).toBeNull() // scalar: one axis once merged
    expect(widenBroadcast([1000, 1, 8], [1000, 64, 8])).toBeNull() // the tiled copy would be half the output
    expect(widenBroadcast([3, 8], [4, 8])).toBeNull() // not broadcastable
  })
})
