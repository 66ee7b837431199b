import { describe, expect, it } from 'vitest'
import { activeThresholdRange, DEFAULT_THRESHOLD_CONFIG, filterByIntensity, imageChannel, isInRange, rangeAroundCursor, rangeFromPercentiles } from '../../../../src/renderer/src/tools/threshold'
import { grid } from './helpers'

describe('threshold helpers', () => {
  const image = Float32Array.from([1, 2, 3, 4, 5])
  const all = Uint32Array.from([0, 1, 2, 3, 4])

  it('filters indices by an inclusive range, keeping their order', () => {
    expect(Array.from(filterByIntensity(image, Uint32Array.from([4, 0, 2, 1]), { min: 2, max: 5 }))).toEqual([4, 2, 1])
    expect(filterByIntensity(image, all, { min: 4, max: 2 }).length).toBe(0)
    expect(isInRange(2, { min: 2, max: 2 })).toBe(true)
    expect(isInRange(Number.NaN, { min: -Infinity, max: Infinity })).toBe(false)
  })

  it('picks value under the cursor ± k·σ of the neighbourhood', () => {
    // Sample standard deviation of 1..5 is √2.5.
    const range = rangeAroundCursor(image, { cursorIndex: 2, neighbourhood: all, stdFactor: 2 })
    expect(range.min).toBeCloseTo(3 - 2 * Math.sqrt(2.5), 12)
    expect(range.max).toBeCloseTo(3 + 2 * Math.sqrt(2.5), 12)
    const flat = rangeAroundCursor(Int16Array.from([7, 7, 7]), { cursorIndex: 0, neighbourhood: Uint32Array.from([0, 1, 2]) })
    expect(flat).toEqual({ min: 7, max: 7 })
    expect(() => rangeAroundCursor(image, { cursorIndex: 9, neighbourhood: all })).toThrow(/no intensity/)
  })

  it('picks percentiles of the footprint with linear interpolation, skipping NaN', () => {
    expect(rangeFromPercentiles(image, all, { lowPercentile: 0, highPercentile: 100 })).toEqual({ min: 1, max: 5 })
    expect(rangeFromPercentiles(image, all, { lowPercentile: 25, highPercentile: 75 })).toEqual({ min: 2, max: 4 })
    const low = rangeFromPercentiles(image, all, { lowPercentile: 10, highPercentile: 90 })
    expect(low.min).toBeCloseTo(1.4, 12)
    expect(low.max).toBeCloseTo(4.6, 12)
    const withNaN = Float32Array.from([Number.NaN, 10, Number.NaN, 20])
    expect(rangeFromPercentiles(withNaN, Uint32Array.from([0, 1, 2, 3]), { lowPercentile: 0, highPercentile: 100 })).toEqual({ min: 10, max: 20 })
    const none = rangeFromPercentiles(withNaN, Uint32Array.from([0, 2]))
    expect(none.min > none.max).toBe(true)
    expect(() => rangeFromPercentiles(image, all, { lowPercentile: 60, highPercentile: 40 })).toThrow(/percentiles/)
  })

  it('gives the brush a range only when thresholding is on', () => {
    expect(activeThresholdRange(DEFAULT_THRESHOLD_CONFIG)).toBeNull()
    expect(activeThresholdRange({ ...DEFAULT_THRESHOLD_CONFIG, enabled: true, range: { min: -100, max: 300 } })).toEqual({ min: -100, max: 300 })
  })

  it('views one channel of a multi-channel image without copying', () => {
    const g = grid([2, 1, 1])
    const fourD = Int16Array.from([1, 2, 3, 4, 5, 6])
    const second = imageChannel(fourD, g, 1)
    expect(Array.from(second)).toEqual([3, 4])
    expect(second.buffer).toBe(fourD.buffer)
    expect(() => imageChannel(fourD, g, 3)).toThrow(/no channel 3/)
  })
})
