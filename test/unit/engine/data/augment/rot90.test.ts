import { describe, expect, it } from 'vitest'
import { rot90 } from '../../../../../src/engine/data'
import { indexedSample, sampleFrom } from '../fixtures'

/** One axial plane [[1, 2, 3], [4, 5, 6]] (H = 2, W = 3), two slices (the second + 10), and its label = value mod 4. */
function plane(): ReturnType<typeof sampleFrom> {
  return sampleFrom([2, 2, 3], 1, (d, h, w) => 10 * d + 3 * h + w + 1, (d, h, w) => (10 * d + 3 * h + w + 1) % 4)
}

describe('rot90 (axial plane, numpy.rot90 semantics)', () => {
  it.each([
    // numpy.rot90([[1,2,3],[4,5,6]], k)
    { k: 1, shape: [2, 3, 2], slice: [3, 6, 2, 5, 1, 4] },
    { k: 2, shape: [2, 2, 3], slice: [6, 5, 4, 3, 2, 1] },
    { k: 3, shape: [2, 3, 2], slice: [4, 1, 5, 2, 6, 3] },
    { k: -1, shape: [2, 3, 2], slice: [4, 1, 5, 2, 6, 3] },
    { k: 5, shape: [2, 3, 2], slice: [3, 6, 2, 5, 1, 4] }
  ])('k = $k matches the hand-computed plane', ({ k, shape, slice }) => {
    const out = rot90(plane(), k)
    expect(out.shape).toEqual(shape)
    expect(Array.from(out.image)).toEqual([...slice, ...slice.map((v) => v + 10)])
    expect(Array.from(out.label)).toEqual([...slice, ...slice.map((v) => v + 10)].map((v) => v % 4))
  })

  it.each([1, 2, 3])('k = %i four times is the identity (2 channels, H ≠ W)', (k) => {
    const sample = indexedSample([3, 4, 5], 2)
    expect(rot90(rot90(rot90(rot90(sample, k), k), k), k)).toEqual(sample)
  })

  it('k then 4 − k is the identity and 0 returns the sample itself', () => {
    const sample = indexedSample([2, 3, 4])
    expect(rot90(rot90(sample, 1), 3)).toEqual(sample)
    expect(rot90(sample, 0)).toBe(sample)
  })
})
