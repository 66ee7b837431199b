/**
 * A patch size from the data and a memory budget, in the spirit of nnU-Net's planner: start from the
 * median case shape (after resampling), so a patch sees a whole typical case when it fits, rounded
 * up to what the U-Net's poolings divide (or to the nearest multiple, `rounding`); then, while one
 * training step would not fit, cut one divisor from the axis that stays longest in millimetres after
 * the cut (keeping the field of view balanced in mm, also on grids with a coarse slice axis); ties go
 * to the axis largest relative to the median.
 *
 * The memory model is deliberately coarse: bytes per input voxel per sample for activations and
 * their gradients (≈ 1 KiB for a float32 3D U-Net with 16 base filters: ~6 feature maps × 16
 * channels × 4 B × 2 at full resolution, plus a shrinking share for deeper levels).
 */
import { VoxloopError } from '../../shared/errors'
import type { Vec3 } from '../../shared/volume'
import type { Shape3 } from './layout'

export interface PatchSizeOptions {
  /** Memory a training step may use for activations, bytes; default 2 GiB. */
  memoryBudgetBytes: number
  /** Activation + gradient bytes per input voxel per sample; default 1024 (see above). */
  bytesPerVoxel: number
  /** Samples per batch; default 2. */
  batchSize: number
  /**
   * Every edge becomes a multiple of this: 2^(number of poolings); default 16. Per axis [D, H, W]
   * for networks that pool some axes only (a 2D U-Net: [1, 2^depth, 2^depth]).
   */
  divisor: number | Shape3
  /** Voxel size [x, y, z] mm of the resampled grid; default [1, 1, 1]. */
  spacingMm: Vec3
  /**
   * How the median shape becomes a multiple of the divisor: 'up' (default, nnU-Net's: a patch holds a
   * whole typical case, padded) or 'nearest' (ties down: at most half a divisor of padding or of cut
   * per axis, so little step time goes to padding where time and not memory is the budget, and a
   * thin axis is not halved: a median of 15 slices stays 16, not 8; trainingPlan.ts).
   */
  rounding: 'up' | 'nearest'
}

export const DEFAULT_PATCH_SIZE_OPTIONS: Readonly<PatchSizeOptions> = Object.freeze({
  memoryBudgetBytes: 2 * 1024 ** 3,
  bytesPerVoxel: 1024,
  batchSize: 2,
  divisor: 16,
  spacingMm: [1, 1, 1] as Vec3,
  rounding: 'up'
})

/** Median of each axis over case shapes [D, H, W] (after resampling). */
export function medianShape(shapes: readonly Shape3[]): Shape3 {
  if (shapes.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no shapes to take a median of')
  return [0, 1, 2].map((axis) => {
    const values = shapes.map((s) => s[axis] as number).sort((a, b) => a - b)
    const mid = values.length >> 1
    return values.length % 2 ? (values[mid] as number) : Math.round(((values[mid - 1] as number) + (values[mid] as number)) / 2)
  }) as Shape3
}

/** Patch shape [D, H, W] for the median case shape [D, H, W] (voxels on the resampled grid). */
export function suggestPatchSize(medianShapeVoxels: Shape3, options: Partial<PatchSizeOptions> = {}): Shape3 {
  const { memoryBudgetBytes, bytesPerVoxel, batchSize, divisor, spacingMm, rounding } = { ...DEFAULT_PATCH_SIZE_OPTIONS, ...options }
  const divisors: Shape3 = typeof divisor === 'number' ? [divisor, divisor, divisor] : divisor
  if (!divisors.every((d) => d >= 1 && Number.isInteger(d)) || !(batchSize >= 1) || !(bytesPerVoxel > 0) || !(memoryBudgetBytes > 0)) {
    throw new VoxloopError('INVALID_ARGUMENT', 'patch size options must be positive (divisor an integer)')
  }
  const maxVoxels = memoryBudgetBytes / (bytesPerVoxel * batchSize)
  const round = rounding === 'nearest' ? (x: number): number => Math.ceil(x - 0.5) : Math.ceil
  const patch = medianShapeVoxels.map((n, axis) => Math.max(divisors[axis], round(n / divisors[axis]) * divisors[axis])) as Shape3
  // Spacing of axis d, h, w is z, y, x.
  const mmPerVoxel = [spacingMm[2], spacingMm[1], spacingMm[0]]
  while (patch[0] * patch[1] * patch[2] > maxVoxels) {
    let axis = -1
    for (let a = 0; a < 3; a++) {
      if ((patch[a] as number) <= divisors[a]) continue
      if (axis < 0) {
        axis = a
        continue
      }
      // Compare extents after the cut: cutting a coarse axis by one divisor removes many mm at once,
      // so it is cut only when it would still be the longest afterwards.
      const mm = ((patch[a] as number) - divisors[a]) * (mmPerVoxel[a] as number)
      const best = ((patch[axis] as number) - divisors[axis]) * (mmPerVoxel[axis] as number)
      const ratio = (patch[a] as number) / (medianShapeVoxels[a] as number)
      const bestRatio = (patch[axis] as number) / (medianShapeVoxels[axis] as number)
      if (mm > best || (mm === best && ratio > bestRatio)) axis = a
    }
    if (axis < 0) break // every edge at its minimum: the budget is below one pooled voxel per axis
    patch[axis] -= divisors[axis]
  }
  return patch
}
