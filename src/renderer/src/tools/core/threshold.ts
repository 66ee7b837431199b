/**
 * Threshold-limited painting: a brush or fill changes only voxels whose image intensity lies in an
 * inclusive range. Picking the range from the image is the pick-threshold tool's (pickThreshold/pickRange.ts).
 *
 * Intensities are in the image's own units after scl_slope/inter (HU for CT, arbitrary for MR). For a
 * multi-channel volume pass one channel (`imageChannel`). NaN intensities are never in range.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { VoxelArray } from '../../../../shared/volume'
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
