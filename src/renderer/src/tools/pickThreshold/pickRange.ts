/**
 * The pick-threshold tool's kernels: an intensity range read from the image around the cursor
 * (value ± k·σ, or percentiles of a footprint), and that range rounded to the data's precision so
 * the panel shows "700 to 5000", not "699.7142857 to 5000.28".
 */
import { VoxloopError } from '../../../../shared/errors'
import type { VoxelArray } from '../../../../shared/volume'
import { DEFAULT_THRESHOLD_CONFIG, type IntensityRange } from '../core/threshold'

export interface RangeAroundCursorOptions {
  /** Voxel under the cursor: its intensity is the centre of the range. */
  cursorIndex: number
  /** Voxels whose spread sets the width, typically the brush footprint at the cursor. */
  neighbourhood: Uint32Array
  /** Half-width in standard deviations. Default 2. */
  stdFactor?: number
}

/**
 * value(cursor) ± k·σ, with σ the standard deviation of the neighbourhood: a quick "paint tissue like
 * this" range that adapts to the local noise. A flat neighbourhood gives the single value.
 */
export function rangeAroundCursor(image: VoxelArray, options: RangeAroundCursorOptions): IntensityRange {
  const centre = image[options.cursorIndex]
  if (centre === undefined || Number.isNaN(centre)) {
    throw new VoxloopError('INVALID_ARGUMENT', `no intensity at voxel ${options.cursorIndex}`)
  }
  const k = options.stdFactor ?? DEFAULT_THRESHOLD_CONFIG.stdFactor
  // Welford: stable for CT values in the thousands with small spread.
  let count = 0
  let mean = 0
  let m2 = 0
  for (let n = 0; n < options.neighbourhood.length; n++) {
    const value = image[options.neighbourhood[n]]
    if (Number.isNaN(value)) continue
    count++
    const delta = value - mean
    mean += delta / count
    m2 += delta * (value - mean)
  }
  const std = count > 1 ? Math.sqrt(m2 / (count - 1)) : 0
  return { min: centre - k * std, max: centre + k * std }
}

export interface PercentileRangeOptions {
  /** Percent, 0..100. Default 5. */
  lowPercentile?: number
  /** Percent, 0..100. Default 95. */
  highPercentile?: number
}

/**
 * The [low, high] percentiles of the intensities at `indices` (linear interpolation between order
 * statistics), e.g. of the brush footprint on the structure the user wants to paint. NaNs are skipped;
 * no finite values gives an empty range (min > max).
 */
export function rangeFromPercentiles(image: VoxelArray, indices: Uint32Array, options: PercentileRangeOptions = {}): IntensityRange {
  const low = options.lowPercentile ?? DEFAULT_THRESHOLD_CONFIG.lowPercentile
  const high = options.highPercentile ?? DEFAULT_THRESHOLD_CONFIG.highPercentile
  if (!(low >= 0 && low <= high && high <= 100)) {
    throw new VoxloopError('INVALID_ARGUMENT', `percentiles must satisfy 0 ≤ low ≤ high ≤ 100, got ${low} and ${high}`)
  }
  const values = new Float64Array(indices.length)
  let count = 0
  for (let n = 0; n < indices.length; n++) {
    const value = image[indices[n]]
    if (!Number.isNaN(value)) values[count++] = value
  }
  if (count === 0) return { min: Infinity, max: -Infinity }
  const sorted = values.subarray(0, count).sort()
  return { min: percentileOfSorted(sorted, low), max: percentileOfSorted(sorted, high) }
}

function percentileOfSorted(sorted: Float64Array, percent: number): number {
  const position = (percent / 100) * (sorted.length - 1)
  const below = Math.floor(position)
  const above = Math.min(below + 1, sorted.length - 1)
  const fraction = position - below
  if (fraction === 0) return sorted[below]
  return sorted[below] + fraction * (sorted[above] - sorted[below])
}

/**
 * Whether the image holds whole numbers: an integer array type, or float values that are all whole
 * at `sample` (a CT saved as float32, or an integer image scaled by scl_slope 1). NaNs are ignored.
 */
export function holdsIntegers(image: VoxelArray, sample: ArrayLike<number>): boolean {
  if (!(image instanceof Float32Array) && !(image instanceof Float64Array)) return true
  for (let n = 0; n < sample.length; n++) {
    const value = image[sample[n] as number] as number
    if (!Number.isNaN(value) && !Number.isInteger(value)) return false
  }
  return true
}

/** A value a hair off a whole number (float error in centre ± k·σ, or in 1.23 / 0.01) is that whole number. */
function snap(value: number): number {
  const whole = Math.round(value)
  return Math.abs(value - whole) < 1e-9 * Math.max(1, Math.abs(value)) ? whole : value
}

export interface RoundRangeOptions {
  /** The data are whole numbers: round to integers that keep exactly the same voxels in range. */
  integers: boolean
  /** For float data: significant digits of the range's width kept. Default 3; 1..15. */
  significantDigits?: number
}

/**
 * A picked range rounded to the data's precision. Integer data: min up and max down to whole
 * numbers, which selects exactly the voxels the unrounded range did (and the cursor's own value is
 * always among them). Float data: `significantDigits` of the width, rounded outwards, so no voxel
 * that was in range drops out; the widening is under 1 % of the width at 3 digits.
 */
export function roundRangeToPrecision(range: IntensityRange, options: RoundRangeOptions): IntensityRange {
  const { min, max } = range
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min, max }
  if (options.integers) {
    return { min: Math.ceil(snap(min)), max: Math.floor(snap(max)) }
  }
  const digits = options.significantDigits ?? 3
  if (!(Number.isInteger(digits) && digits >= 1 && digits <= 15)) {
    throw new VoxloopError('INVALID_ARGUMENT', `significant digits must be a whole number from 1 to 15, got ${digits}`)
  }
  // A flat neighbourhood gives a zero width: take the digits of the value itself.
  const scale = max - min > 0 ? max - min : Math.max(Math.abs(min), Math.abs(max))
  if (scale === 0) return { min, max }
  const exponent = Math.floor(Math.log10(scale)) - (digits - 1)
  const step = 10 ** exponent
  const decimals = Math.max(0, -exponent)
  // toFixed drops the binary noise of a multiple of a decimal step (0.30000000000000004).
  const tidy = (value: number): number => Number(value.toFixed(Math.min(decimals, 100)))
  return { min: tidy(Math.floor(snap(min / step)) * step), max: tidy(Math.ceil(snap(max / step)) * step) }
}
