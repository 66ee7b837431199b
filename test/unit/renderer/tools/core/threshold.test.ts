import { describe, expect, it } from 'vitest'
import { activeThresholdRange, DEFAULT_THRESHOLD_CONFIG, filterByIntensity, imageChannel, isInRange } from '../../../../../src/renderer/src/tools/core/threshold'
import { grid } from '../helpers'

describe('threshold helpers', () => {
  const image = Float32Array.from([1, 2, 3, 4, 5])
  const all = Uint32Array.from([0, 1, 2, 3, 4])

  it('filters indices by an inclusive range, keeping their order', () => {
    expect(Array.from(filterByIntensity(image, Uint32Array.from([4, 0, 2, 1]), { min: 2, max: 5 }))).toEqual([4, 2, 1])
    expect(filterByIntensity(image, all, { min: 4, max: 2 }).length).toBe(0)
    expect(isInRange(2, { min: 2, max: 2 })).toBe(true)
    expect(isInRange(Number.NaN, { min: -Infinity, max: Infinity })).toBe(false)
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
