import { describe, expect, it } from 'vitest'
import { medianShape, suggestPatchSize, suggestTargetSpacing, type Shape3 } from '../../../../src/engine/data'
import type { Vec3 } from '../../../../src/shared/volume'

describe('suggestTargetSpacing', () => {
  it.each<{ name: string; spacings: Vec3[]; expected: Vec3 }>([
    { name: 'all 1 mm (hippocampus)', spacings: [[1, 1, 1], [1, 1, 1], [1, 1, 1]], expected: [1, 1, 1] },
    { name: 'median per axis', spacings: [[0.7, 0.8, 1], [0.9, 1, 1.2], [1.1, 0.6, 1.4]], expected: [0.9, 0.8, 1.2] },
    {
      name: 'anisotropic: the thick axis stays coarse, at its 10th percentile',
      spacings: [[0.8, 0.8, 5], [0.7, 0.7, 5], [0.9, 0.9, 3], [0.8, 0.8, 6], [0.75, 0.75, 5]],
      expected: [0.8, 0.8, 3.8]
    },
    {
      name: 'anisotropic, but never finer than the other axes',
      spacings: [[2.5, 2.5, 0.6], [3, 3, 0.6], [3, 3, 0.7]],
      expected: [3, 3, 0.6]
    }
  ])('$name', ({ spacings, expected }) => {
    suggestTargetSpacing(spacings).forEach((s, axis) => expect(s).toBeCloseTo(expected[axis]!, 6))
  })

  it('rejects empty or invalid input', () => {
    expect(() => suggestTargetSpacing([])).toThrow(/no spacings/)
    expect(() => suggestTargetSpacing([[1, 0, 1]])).toThrow(/positive/)
  })
})

describe('suggestPatchSize', () => {
  it.each<{ name: string; median: Shape3; options: Parameters<typeof suggestPatchSize>[1]; expected: Shape3 }>([
    { name: 'hippocampus median fits whole, rounded up to 16', median: [36, 50, 36], options: {}, expected: [48, 64, 48] },
    { name: 'divisor 8', median: [36, 50, 36], options: { divisor: 8 }, expected: [40, 56, 40] },
    { name: 'nearest, ties down: the hippocampus median', median: [35, 51, 36], options: { divisor: 8, rounding: 'nearest' }, expected: [32, 48, 32] },
    { name: 'nearest: past half a divisor rounds up', median: [37, 53, 15], options: { divisor: 8, rounding: 'nearest' }, expected: [40, 56, 16] },
    { name: 'nearest: a divisible median stays', median: [32, 48, 40], options: { divisor: 8, rounding: 'nearest' }, expected: [32, 48, 40] },
    { name: 'nearest: a case below one divisor still gets one; 2.5 divisors is a tie, down', median: [3, 21, 20], options: { divisor: 8, rounding: 'nearest' }, expected: [8, 24, 16] },
    { name: 'nearest: large CT shrinks to the same budget', median: [200, 300, 300], options: { rounding: 'nearest' }, expected: [96, 96, 112] },
    { name: 'a tiny case still gets one pooled voxel per axis', median: [3, 4, 5], options: {}, expected: [16, 16, 16] },
    { name: 'large CT shrinks to the budget, longest mm axis first', median: [200, 300, 300], options: {}, expected: [96, 96, 112] },
    { name: 'smaller budget', median: [200, 300, 300], options: { memoryBudgetBytes: 512 * 1024 ** 2 }, expected: [64, 64, 64] }
  ])('$name', ({ median, options, expected }) => {
    expect(suggestPatchSize(median, options)).toEqual(expected)
  })

  it.each([1, 2, 4])('respects the budget with batch size %i and keeps edges divisible', (batchSize) => {
    const patch = suggestPatchSize([256, 256, 256], { batchSize })
    expect(patch.every((n) => n % 16 === 0)).toBe(true)
    expect(patch[0] * patch[1] * patch[2] * 1024 * batchSize).toBeLessThanOrEqual(2 * 1024 ** 3)
  })

  it('balances the field of view in mm on a coarse axis', () => {
    // 5 mm slices: 32 slices already cover 160 mm, so the in-plane axes (0.8 mm) are cut first.
    const patch = suggestPatchSize([40, 400, 400], { spacingMm: [0.8, 0.8, 5] })
    expect(patch).toEqual([32, 176, 176]) // 160 × 141 × 141 mm
  })

  it('takes a divisor per axis: a one-slice patch stays one slice, H and W round to 2^depth and are cut within the budget', () => {
    expect(suggestPatchSize([1, 500, 470], { divisor: [1, 64, 64] })).toEqual([1, 512, 512])
    const cut = suggestPatchSize([1, 900, 700], { divisor: [1, 64, 64], memoryBudgetBytes: 2 * 64 ** 3 * 1024 })
    expect(cut[0]).toBe(1)
    expect(cut[1] % 64 === 0 && cut[2] % 64 === 0).toBe(true)
    expect(cut[1] * cut[2] * 2).toBeLessThanOrEqual(2 * 64 ** 3)
    expect(() => suggestPatchSize([1, 64, 64], { divisor: [1, 0, 64] })).toThrow(/divisor an integer/)
  })

  it('takes the median shape over cases', () => {
    expect(medianShape([[1, 10, 7], [3, 20, 5], [2, 30, 6], [4, 40, 8]])).toEqual([3, 25, 7])
  })
})
