import { describe, expect, it } from 'vitest'
import { drawFlip, flip, flipAxes, randomFlip, type FlipAxes, type SpatialAxis } from '../../../../../src/engine/data'
import { createRandom } from '../../../../../src/shared/random'
import { indexedSample, sampleFrom } from '../fixtures'

describe('flip', () => {
  it.each<{ axis: SpatialAxis; channels: number }>([
    { axis: 0, channels: 1 },
    { axis: 1, channels: 1 },
    { axis: 2, channels: 1 },
    { axis: 2, channels: 3 }
  ])('twice along axis $axis ($channels channels) is the identity', ({ axis, channels }) => {
    const sample = indexedSample([3, 4, 5], channels)
    const once = flip(sample, axis)
    expect(once.image).not.toEqual(sample.image)
    expect(flip(once, axis)).toEqual(sample)
  })

  it.each<{ axis: SpatialAxis; expected: number[] }>([
    // image[d, h, w] = 100d + 10h + w on a [2, 2, 3] grid, read back in index order
    { axis: 0, expected: [100, 101, 102, 110, 111, 112, 0, 1, 2, 10, 11, 12] },
    { axis: 1, expected: [10, 11, 12, 0, 1, 2, 110, 111, 112, 100, 101, 102] },
    { axis: 2, expected: [2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110] }
  ])('along axis $axis matches the hand-computed array', ({ axis, expected }) => {
    const sample = sampleFrom([2, 2, 3], 1, (d, h, w) => 100 * d + 10 * h + w, (d, h, w) => 100 * d + 10 * h + w)
    const out = flip(sample, axis)
    expect(Array.from(out.image)).toEqual(expected)
    expect(Array.from(out.label)).toEqual(expected)
  })

  it('all axes at once equals one axis after another', () => {
    const sample = indexedSample([3, 4, 5], 2)
    expect(flipAxes(sample, [true, true, true])).toEqual(flip(flip(flip(sample, 0), 1), 2))
    expect(flipAxes(sample, [false, false, false])).toBe(sample)
  })

  it('draws each axis with its probability and only among the allowed axes', () => {
    const random = createRandom(11)
    const counts = [0, 0, 0]
    for (let n = 0; n < 2000; n++) {
      const axes: FlipAxes = drawFlip({ probability: 0.3, axes: [0, 2] }, random)
      axes.forEach((hit, axis) => (counts[axis]! += Number(hit)))
    }
    expect(counts[1]).toBe(0)
    expect(counts[0]! / 2000).toBeCloseTo(0.3, 1)
    expect(counts[2]! / 2000).toBeCloseTo(0.3, 1)
  })

  it('is deterministic for a seed', () => {
    const sample = indexedSample([3, 4, 5])
    const options = { probability: 0.5, axes: [0, 1, 2] as SpatialAxis[] }
    expect(randomFlip(sample, options, createRandom(5))).toEqual(randomFlip(sample, options, createRandom(5)))
  })
})
