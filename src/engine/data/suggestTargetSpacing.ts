/**
 * The voxel size to train at, picked from the dataset like nnU-Net's 3D full-resolution plan: the
 * median spacing per axis (resampling every case to a typical grid changes most cases least).
 *
 * Very anisotropic data (one axis more than `anisotropyThreshold` × coarser than the finest, e.g.
 * 0.8 × 0.8 × 5 mm) keeps that axis coarse rather than interpolating slices that were never acquired;
 * it is set to the `lowResolutionPercentile`-th percentile of that axis's spacings (so cases with
 * thinner slices lose less), but never finer than the other axes.
 */
import { VoxloopError } from '../../shared/errors'
import type { Vec3 } from '../../shared/volume'

export interface TargetSpacingOptions {
  /** Ratio coarsest / finest median spacing above which data counts as anisotropic; default 3 (nnU-Net). */
  anisotropyThreshold: number
  /** Percentile (0–100) used for the coarse axis of anisotropic data; default 10 (nnU-Net). */
  lowResolutionPercentile: number
}

export const DEFAULT_TARGET_SPACING_OPTIONS: Readonly<TargetSpacingOptions> = Object.freeze({ anisotropyThreshold: 3, lowResolutionPercentile: 10 })

function percentile(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return (sorted[lo] as number) + (rank - lo) * ((sorted[hi] as number) - (sorted[lo] as number))
}

/** Target spacing [x, y, z] mm from the cases' spacings [x, y, z] mm. */
export function suggestTargetSpacing(spacingsMm: readonly Vec3[], options: Partial<TargetSpacingOptions> = {}): Vec3 {
  const { anisotropyThreshold, lowResolutionPercentile } = { ...DEFAULT_TARGET_SPACING_OPTIONS, ...options }
  if (spacingsMm.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no spacings to choose a target spacing from')
  for (const s of spacingsMm) {
    if (!s.every((x) => x > 0 && Number.isFinite(x))) throw new VoxloopError('INVALID_ARGUMENT', `spacing must be positive mm, got [${s.join(', ')}]`)
  }
  const perAxis = [0, 1, 2].map((axis) => spacingsMm.map((s) => s[axis] as number).sort((a, b) => a - b))
  const target = perAxis.map((values) => percentile(values, 50)) as Vec3
  const coarse = target.indexOf(Math.max(...target))
  const others = target.filter((_, axis) => axis !== coarse)
  if (target[coarse] > anisotropyThreshold * Math.min(...target)) {
    const low = percentile(perAxis[coarse] as number[], lowResolutionPercentile)
    target[coarse] = Math.max(low, Math.max(...others))
  }
  return target
}
