/**
 * Threshold-limited painting: a brush or fill changes only voxels whose image intensity lies in an
 * inclusive range, and helpers that pick that range from the image around the cursor.
 *
 * Intensities are in the image's own units after scl_slope/inter (HU for CT, arbitrary for MR). For a
 * multi-channel volume pass one channel (`imageChannel`). NaN intensities are never in range.
 */
import { VoxloopError } from '../../../shared/errors'
import type { VoxelArray } from '../../../shared/volume'
import { gridVoxelCount, type VoxelGrid } from './grid'

/** Inclusive intensity bounds, image units; `min > max` selects nothing. */
export interface IntensityRange {
  min: number
  max: number
}

/** Threshold settings as the UI stores them. */
export interface ThresholdConfig {
  /** Off by default: painting ignores intensity until the user turns it on. */
  enabled: boolean
  range: IntensityRange
  /** Width of the range picked around the cursor, in local standard deviations (± k·σ). Default 2; 0.1..10. */
  stdFactor: number
  /** Percentiles for the footprint-based pick, in percent. Defaults 5 and 95; 0 ≤ low ≤ high ≤ 100. */
  lowPercentile: number
  highPercentile: number
}

export const DEFAULT_THRESHOLD_CONFIG: Readonly<ThresholdConfig> = Object.freeze({
  enabled: false,
  range: Object.freeze({ min: -Infinity, max: Infinity }),
  stdFactor: 2,
  lowPercentile: 5,
  highPercentile: 95
})

/** The range a brush or fill should use: the configured range when enabled, else null (no limit). */
export function activeThresholdRange(config: Readonly<ThresholdConfig>): IntensityRange | null {
  return config.enabled ? { min: config.range.min, max: config.range.max } : null
}

/** The voxels of channel `channel` of a (possibly 4D) image, as a view: no copy. */
export function imageChannel(image: VoxelArray, grid: VoxelGrid, channel: number): VoxelArray {
  const n = gridVoxelCount(grid)
  if (!Number.isInteger(channel) || channel < 0 || (channel + 1) * n > image.length) {
    throw new VoxloopError('INVALID_ARGUMENT', `image has no channel ${channel} (${image.length} values, ${n} per channel)`)
  }
  return image.subarray(channel * n, (channel + 1) * n)
}

export function isInRange(value: number, range: IntensityRange): boolean {
  return value >= range.min && value <= range.max
}

/** The indices whose intensity lies in `range`, in their given order (a new array; input untouched). */
export function filterByIntensity(image: VoxelArray, indices: Uint32Array, range: IntensityRange): Uint32Array {
  const out = new Uint32Array(indices.length)
  let count = 0
  const { min, max } = range
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n]
    const value = image[index]
    if (value >= min && value <= max) out[count++] = index
  }
  return out.subarray(0, count)
}

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
