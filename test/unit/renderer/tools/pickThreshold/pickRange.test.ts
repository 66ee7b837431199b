import { describe, expect, it } from 'vitest'
import { holdsIntegers, rangeAroundCursor, rangeFromPercentiles, roundRangeToPrecision } from '../../../../../src/renderer/src/tools/pickThreshold/pickRange'
import { filterByIntensity } from '../../../../../src/renderer/src/tools/core/threshold'

describe('picking a threshold range from the image', () => {
  const image = Float32Array.from([1, 2, 3, 4, 5])
  const all = Uint32Array.from([0, 1, 2, 3, 4])

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

})

describe('rounding a picked range to the data\'s precision', () => {
  it('tells integer data by array type, and float data by whether the sampled values are whole', () => {
    expect(holdsIntegers(Int16Array.from([1, 2]), [0, 1])).toBe(true)
    expect(holdsIntegers(Uint8Array.from([1, 2]), [0, 1])).toBe(true)
    // A CT saved as float32 holds whole Hounsfield units: it is integer data.
    expect(holdsIntegers(Float32Array.from([-1000, 40, 1200]), [0, 1, 2])).toBe(true)
    expect(holdsIntegers(Float32Array.from([1, 2.5]), [0, 1])).toBe(false)
    expect(holdsIntegers(Float32Array.from([Number.NaN, 3]), [0, 1])).toBe(true)
  })

  it('rounds integer data inwards to whole numbers that keep exactly the same voxels in range', () => {
    expect(roundRangeToPrecision({ min: 699.71, max: 5000.28 }, { integers: true })).toEqual({ min: 700, max: 5000 })
    expect(roundRangeToPrecision({ min: -12.5, max: 12.5 }, { integers: true })).toEqual({ min: -12, max: 12 })
    // Float error in centre ± k·σ is not a whole voxel value less.
    expect(roundRangeToPrecision({ min: 700.0000000001, max: 4999.9999999999 }, { integers: true })).toEqual({ min: 700, max: 5000 })
    // The same voxels before and after, over every value a 16-bit image can hold near the bounds.
    const values = Int16Array.from({ length: 2000 }, (_, n) => n - 1000)
    const indices = Uint32Array.from(values.keys())
    const raw = { min: -123.4567, max: 456.789 }
    const rounded = roundRangeToPrecision(raw, { integers: true })
    expect(Array.from(filterByIntensity(values, indices, rounded))).toEqual(Array.from(filterByIntensity(values, indices, raw)))
  })

  it('keeps three significant digits of the width for float data, rounding outwards', () => {
    expect(roundRangeToPrecision({ min: 0.123456, max: 0.567891 }, { integers: false })).toEqual({ min: 0.123, max: 0.568 })
    // A narrow range needs more digits of the value: three of its width.
    expect(roundRangeToPrecision({ min: 12.345678, max: 12.349123 }, { integers: false })).toEqual({ min: 12.34567, max: 12.34913 })
    expect(roundRangeToPrecision({ min: -1.23456, max: 5.67891 }, { integers: false })).toEqual({ min: -1.24, max: 5.68 })
    expect(roundRangeToPrecision({ min: 1.23, max: 1.24 }, { integers: false })).toEqual({ min: 1.23, max: 1.24 })
    expect(roundRangeToPrecision({ min: 0.1234, max: 0.5678 }, { integers: false, significantDigits: 2 })).toEqual({ min: 0.12, max: 0.57 })
  })

  it('rounds a flat float range by the value\'s own digits and leaves ranges it cannot round alone', () => {
    expect(roundRangeToPrecision({ min: 3.14159265, max: 3.14159265 }, { integers: false })).toEqual({ min: 3.14, max: 3.15 })
    expect(roundRangeToPrecision({ min: 0, max: 0 }, { integers: false })).toEqual({ min: 0, max: 0 })
    expect(roundRangeToPrecision({ min: -Infinity, max: Infinity }, { integers: true })).toEqual({ min: -Infinity, max: Infinity })
    expect(() => roundRangeToPrecision({ min: 0, max: 1 }, { integers: false, significantDigits: 0 })).toThrow(/significant digits/)
  })
})
