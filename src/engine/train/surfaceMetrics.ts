/**
 * Surface metrics between a predicted and a reference label map on one grid, in millimetres:
 * HD95, normalised surface Dice (NSD) and the volume ratio. Plain TypeScript over typed arrays,
 * like metrics.ts, so main, CLI, benches and tests can use them too.
 *
 * Definitions (as MONAI's `compute_hausdorff_distance(percentile=95)` and
 * `compute_surface_dice(use_subvoxels=False)` with `spacing`, which follow DeepMind's
 * surface-distance library but count surface voxels rather than weighing surfels by area):
 * - The surface of a mask is its voxels with at least one of the 6 face neighbours outside the
 *   mask; a voxel on the edge of the volume counts (outside the volume is background), as MONAI's
 *   `binary_erosion(mask) ^ mask` on the box cropped to both masks.
 * - Distances are Euclidean between voxel centres in mm (the voxel spacing along i, j, k), from
 *   each surface voxel of one map to the nearest surface voxel of the other: an exact Euclidean
 *   distance transform of the other surface (separable, Felzenszwalb & Huttenlocher 2012).
 * - HD95: the larger of the two directed 95th percentiles (numpy's default linear interpolation).
 * - NSD at tolerance τ: (surface voxels of either map within τ of the other surface) /
 *   (surface voxels of both maps).
 * - Volume ratio: predicted / reference voxels of the label.
 *
 * Empty structures (MONAI gives NaN or Infinity there, which JSON cannot carry):
 * - Label absent from both maps: HD95 0 and NSD 1 (nothing to find, nothing found: the convention
 *   that gives Dice 1 in metrics.ts); volume ratio null (0 / 0).
 * - Label in exactly one map: HD95 is the diagonal of the volume's field of view, √Σ(nₐ·sₐ)², larger
 *   than any distance inside the volume (the fixed penalty BraTS uses for a missed or spurious
 *   structure), so a mean over cases stays finite and still counts the miss; NSD 0; volume ratio 0
 *   when the prediction is empty, null when the reference is (no finite ratio).
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelArray, Vec3 } from '../../shared/volume'
import { envelope1d, envelopeScratch, type EnvelopeScratch } from '../../shared/geometry/distanceEnvelope'

export interface SurfaceScores {
  label: number
  /** 95th percentile symmetric surface distance, mm (see the file comment for empty labels). */
  hd95Mm: number
  /** Share of both surfaces within the tolerance of the other, in [0, 1]. */
  surfaceDice: number
  /** Predicted / reference voxels of the label; null when the reference has none. */
  volumeRatio: number | null
  predictedVoxels: number
  referenceVoxels: number
}

export interface SurfaceMetricsOptions {
  /** Voxels along i, j, k (i fastest in the arrays, as NIfTI stores them). */
  dims: Vec3
  /** Voxel size in mm along i, j, k. */
  spacingMm: Vec3
  /** Labels to score. */
  labels: readonly number[]
  /** NSD tolerance in mm; default 2. */
  toleranceMm?: number
  /** Percentile of the directed distances; default 95 (100 gives the Hausdorff distance). */
  percentile?: number
}

export const DEFAULT_SURFACE_TOLERANCE_MM = 2

/**
 * Distances are sums of squared multiples of the spacing; a distance exactly at the tolerance must
 * count as within it despite rounding (e.g. 3 × 0.7 mm against 2.1 mm).
 */
const TOLERANCE_SLACK = 1e-9

function checkGrid(dims: Vec3, spacing: Vec3, length: number, what: string): void {
  if (!dims.every((n) => Number.isInteger(n) && n >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `${what}: dims must be positive integers, got ${dims.join('×')}`)
  if (!spacing.every((s) => Number.isFinite(s) && s > 0)) throw new VoxloopError('INVALID_ARGUMENT', `${what}: spacing must be positive mm, got ${spacing.join('×')}`)
  if (dims[0] * dims[1] * dims[2] !== length) {
    throw new VoxloopError('INVALID_ARGUMENT', `${what}: ${length} voxels do not fill a ${dims.join('×')} grid`)
  }
}

/**
 * Squared Euclidean distance in mm² from each voxel centre to the nearest voxel with
 * `features[v] !== 0` (0 on features; Infinity everywhere when there is none). One pass of the
 * lower envelope of parabolas along each axis; O(voxels).
 */
export function squaredDistanceTransform3d(features: ArrayLike<number>, dims: Vec3, spacingMm: Vec3): Float64Array {
  checkGrid(dims, spacingMm, features.length, 'distance transform')
  const [nx, ny, nz] = dims
  const out = new Float64Array(features.length)
  for (let v = 0; v < out.length; v++) out[v] = features[v] !== 0 ? 0 : Infinity
  const longest = Math.max(nx, ny, nz)
  const scratch = envelopeScratch(longest)
  // Along i (stride 1), then j (stride nx), then k (stride nx·ny), each on the previous result.
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) transformLine(out, nx * (j + ny * k), 1, nx, spacingMm[0], scratch)
  for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) transformLine(out, i + nx * ny * k, nx, ny, spacingMm[1], scratch)
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) transformLine(out, i + nx * j, nx * ny, nz, spacingMm[2], scratch)
  return out
}


function transformLine(values: Float64Array, start: number, stride: number, n: number, step: number, s: EnvelopeScratch): void {
  for (let q = 0; q < n; q++) s.f[q] = values[start + q * stride] as number
  envelope1d(s, n, step)
  for (let q = 0; q < n; q++) values[start + q * stride] = s.d[q] as number
}


/** Surface voxels of a 0/1 mask: in the mask with a face neighbour outside it or outside the grid. */
export function surfaceOf(mask: Uint8Array, dims: Vec3): Uint8Array {
  const [nx, ny, nz] = dims
  const plane = nx * ny
  const surface = new Uint8Array(mask.length)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * j + plane * k
        if (mask[v] === 0) continue
        const inside =
          i > 0 && i < nx - 1 && j > 0 && j < ny - 1 && k > 0 && k < nz - 1 &&
          mask[v - 1] !== 0 && mask[v + 1] !== 0 && mask[v - nx] !== 0 && mask[v + nx] !== 0 && mask[v - plane] !== 0 && mask[v + plane] !== 0
        if (!inside) surface[v] = 1
      }
    }
  }
  return surface
}

/** numpy.percentile's default ('linear'): sorted[h] interpolated at h = (n − 1)·p/100. */
export function percentileOf(sorted: Float64Array, percent: number): number {
  const n = sorted.length
  if (n === 0) throw new VoxloopError('INVALID_ARGUMENT', 'percentile of no values')
  const h = ((n - 1) * percent) / 100
  const lo = Math.floor(h)
  const hi = Math.min(n - 1, lo + 1)
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number))
}

/** Per-label voxel counts and the bounding box (inclusive) of the label in either map. */
interface LabelExtent {
  predicted: number
  reference: number
  lo: [number, number, number]
  hi: [number, number, number]
}

function labelExtents(predicted: LabelArray, reference: LabelArray, dims: Vec3, labels: readonly number[]): LabelExtent[] {
  let maxLabel = 0
  for (const label of labels) {
    if (!(Number.isInteger(label) && label >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `label must be an integer ≥ 0, got ${label}`)
    maxLabel = Math.max(maxLabel, label)
  }
  // Voxel value → slot of `labels` (−1: not scored), so one pass serves every label.
  const slotOf = new Int32Array(maxLabel + 1).fill(-1)
  labels.forEach((label, slot) => {
    slotOf[label] = slot
  })
  const extents: LabelExtent[] = labels.map(() => ({ predicted: 0, reference: 0, lo: [Infinity, Infinity, Infinity], hi: [-1, -1, -1] }))
  const grow = (extent: LabelExtent, i: number, j: number, k: number): void => {
    if (i < extent.lo[0]) extent.lo[0] = i
    if (i > extent.hi[0]) extent.hi[0] = i
    if (j < extent.lo[1]) extent.lo[1] = j
    if (j > extent.hi[1]) extent.hi[1] = j
    if (k < extent.lo[2]) extent.lo[2] = k
    if (k > extent.hi[2]) extent.hi[2] = k
  }
  const [nx, ny, nz] = dims
  let v = 0
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const p = predicted[v] as number
        const r = reference[v] as number
        const ps = p <= maxLabel ? (slotOf[p] as number) : -1
        const rs = r <= maxLabel ? (slotOf[r] as number) : -1
        if (ps >= 0) {
          const e = extents[ps] as LabelExtent
          e.predicted++
          grow(e, i, j, k)
        }
        if (rs >= 0) {
          const e = extents[rs] as LabelExtent
          e.reference++
          if (rs !== ps) grow(e, i, j, k)
        }
      }
    }
  }
  return extents
}

/** Distances (mm, sorted) from each `from` surface voxel to the nearest `to` surface voxel. */
function directedDistances(from: Uint8Array, to: Uint8Array, dims: Vec3, spacingMm: Vec3): Float64Array {
  const squared = squaredDistanceTransform3d(to, dims, spacingMm)
  let count = 0
  for (let v = 0; v < from.length; v++) if (from[v] !== 0) count++
  const distances = new Float64Array(count)
  let n = 0
  for (let v = 0; v < from.length; v++) if (from[v] !== 0) distances[n++] = Math.sqrt(squared[v] as number)
  return distances.sort()
}

function withinTolerance(sorted: Float64Array, toleranceMm: number): number {
  const limit = toleranceMm * (1 + TOLERANCE_SLACK) + TOLERANCE_SLACK
  let n = 0
  while (n < sorted.length && (sorted[n] as number) <= limit) n++
  return n
}

/** HD95, NSD and the volume ratio of each label (see the file comment for the definitions). */
export function surfaceMetrics(predicted: LabelArray, reference: LabelArray, options: SurfaceMetricsOptions): SurfaceScores[] {
  const { dims, spacingMm, labels } = options
  const toleranceMm = options.toleranceMm ?? DEFAULT_SURFACE_TOLERANCE_MM
  const percent = options.percentile ?? 95
  if (predicted.length !== reference.length) {
    throw new VoxloopError('INVALID_ARGUMENT', `label maps differ in size: predicted ${predicted.length} voxels, reference ${reference.length}`)
  }
  checkGrid(dims, spacingMm, predicted.length, 'surface metrics')
  if (!(Number.isFinite(toleranceMm) && toleranceMm >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `surface tolerance must be ≥ 0 mm, got ${toleranceMm}`)
  if (!(percent >= 0 && percent <= 100)) throw new VoxloopError('INVALID_ARGUMENT', `percentile must be 0–100, got ${percent}`)
  const diagonalMm = Math.hypot(dims[0] * spacingMm[0], dims[1] * spacingMm[1], dims[2] * spacingMm[2])

  return labelExtents(predicted, reference, dims, labels).map((extent, slot): SurfaceScores => {
    const label = labels[slot] as number
    const counts = { predictedVoxels: extent.predicted, referenceVoxels: extent.reference }
    const volumeRatio = extent.reference === 0 ? null : extent.predicted / extent.reference
    if (extent.predicted === 0 && extent.reference === 0) return { label, hd95Mm: 0, surfaceDice: 1, volumeRatio, ...counts }
    if (extent.predicted === 0 || extent.reference === 0) return { label, hd95Mm: diagonalMm, surfaceDice: 0, volumeRatio, ...counts }

    // Both surfaces lie in the box around both masks, and outside it both are background, so the
    // distances computed within the box are those of the whole grid.
    const { lo, hi } = extent
    const box: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1]
    const predictedMask = new Uint8Array(box[0] * box[1] * box[2])
    const referenceMask = new Uint8Array(predictedMask.length)
    let b = 0
    for (let k = lo[2]; k <= hi[2]; k++) {
      for (let j = lo[1]; j <= hi[1]; j++) {
        let v = lo[0] + dims[0] * (j + dims[1] * k)
        for (let i = lo[0]; i <= hi[0]; i++, v++, b++) {
          if (predicted[v] === label) predictedMask[b] = 1
          if (reference[v] === label) referenceMask[b] = 1
        }
      }
    }
    const predictedSurface = surfaceOf(predictedMask, box)
    const referenceSurface = surfaceOf(referenceMask, box)
    const toReference = directedDistances(predictedSurface, referenceSurface, box, spacingMm)
    const toPrediction = directedDistances(referenceSurface, predictedSurface, box, spacingMm)
    const hd95Mm = Math.max(percentileOf(toReference, percent), percentileOf(toPrediction, percent))
    const surfaceDice = (withinTolerance(toReference, toleranceMm) + withinTolerance(toPrediction, toleranceMm)) / (toReference.length + toPrediction.length)
    return { label, hd95Mm, surfaceDice, volumeRatio, ...counts }
  })
}
