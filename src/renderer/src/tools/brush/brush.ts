/**
 * Brush: paint a label into a disk (in the slice being drawn on) or a sphere around the pointer.
 *
 * The radius is in mm and distances are measured in mm, so the brush is round in the patient on
 * anisotropic voxels: with 0.8×0.8×5 mm voxels a 5 mm sphere spans ±6 voxels in-plane and ±1 slice.
 * A voxel belongs to the footprint when its centre lies within the radius (boundary included).
 *
 * A stroke is painted segment by segment between consecutive pointer samples: the footprint of a
 * segment is every voxel within the radius of *any point of the segment* (a capsule), so a fast
 * pointer leaves no gaps. Only the voxels near the segment are visited, never the whole volume.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { Vec3, VoxelArray } from '../../../../shared/volume'
import { normalAxisOf, type ViewAxis, type VoxelGrid } from '../core/grid'
import { IndexBuffer, sortUnique } from '../../../../shared/geometry/indexBuffer'
import { OVERWRITE_ANY, selectWritable, type OverwriteRule } from '../core/paintRules'
import type { IntensityRange } from '../core/threshold'
import type { VoxelEditor } from '../core/VoxelEditor'

/** 'disk': 2D, in the slice plane of the view; 'sphere': 3D. */
export type BrushShape = 'disk' | 'sphere'

export interface BrushConfig {
  /** Radius in mm. Default 3; the UI offers `BRUSH_RADIUS_RANGE_MM`. */
  radiusMm: number
  /** Default 'disk'. */
  shape: BrushShape
  /** Which existing labels the brush may paint over. Default: any. */
  overwrite: OverwriteRule
  /** Threshold-limited painting: only voxels with intensity in this range; null (default) paints all. */
  threshold: IntensityRange | null
}

export const BRUSH_RADIUS_RANGE_MM = Object.freeze({ min: 0.1, max: 100 })

export const DEFAULT_BRUSH_CONFIG: Readonly<BrushConfig> = Object.freeze({
  radiusMm: 3,
  shape: 'disk',
  overwrite: OVERWRITE_ANY,
  threshold: null
})

export interface BrushFootprintOptions {
  /** Pointer position in continuous voxel coordinates (integers are voxel centres). */
  centerIjk: Readonly<Vec3>
  radiusMm: number
  shape: BrushShape
  /** The view being drawn on; a disk lies in its slice plane. Ignored for spheres. */
  axis: ViewAxis
}

export interface SegmentFootprintOptions {
  /** Previous and current pointer samples, continuous voxel coordinates. Equal for a single dab. */
  fromIjk: Readonly<Vec3>
  toIjk: Readonly<Vec3>
  radiusMm: number
  shape: BrushShape
  /** For a disk, the slice is the one containing `fromIjk` (strokes stay on the slice they start on). */
  axis: ViewAxis
}

/** Sorted voxel indices of a single dab. */
export function brushFootprint(grid: VoxelGrid, options: BrushFootprintOptions): Uint32Array {
  const { centerIjk, radiusMm, shape, axis } = options
  return segmentFootprint(grid, { fromIjk: centerIjk, toIjk: centerIjk, radiusMm, shape, axis })
}

/**
 * Sorted, unique voxel indices within `radiusMm` of the segment from → to, clipped to the grid.
 * The brush never gets thinner than half the smallest voxel size in its plane (so a stroke stays
 * connected) and always includes the voxels under both pointer samples.
 */
export function segmentFootprint(grid: VoxelGrid, options: SegmentFootprintOptions): Uint32Array {
  const { radiusMm, shape, axis } = options
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) {
    throw new VoxloopError('INVALID_ARGUMENT', `brush radius must be a positive number of mm, got ${radiusMm}`)
  }
  const from: Vec3 = [options.fromIjk[0], options.fromIjk[1], options.fromIjk[2]]
  const to: Vec3 = [options.toIjk[0], options.toIjk[1], options.toIjk[2]]
  if (!from.every(Number.isFinite) || !to.every(Number.isFinite)) {
    throw new VoxloopError('INVALID_ARGUMENT', `brush points must be finite voxel coordinates, got [${from.join(', ')}] → [${to.join(', ')}]`)
  }
  const [nx, ny, nz] = grid.dims
  const spacing = grid.spacing
  // Per-axis allowed index range; a disk pins the normal axis to one slice.
  const lowest: Vec3 = [0, 0, 0]
  const highest: Vec3 = [nx - 1, ny - 1, nz - 1]
  let minSpacing = Math.min(spacing[0], spacing[1], spacing[2])
  if (shape === 'disk') {
    const normal = normalAxisOf(axis)
    const slice = Math.round(from[normal])
    if (slice < 0 || slice >= grid.dims[normal]) return new Uint32Array(0)
    from[normal] = slice
    to[normal] = slice
    lowest[normal] = slice
    highest[normal] = slice
    minSpacing = Math.min(...[0, 1, 2].filter((a) => a !== normal).map((a) => spacing[a]))
  } else if (shape !== 'sphere') {
    throw new VoxloopError('INVALID_ARGUMENT', `unknown brush shape "${String(shape)}"`)
  }
  const radius = Math.max(radiusMm, minSpacing / 2)
  // Small tolerance so that a voxel exactly on the radius (5 mm sphere, 5 mm slices) is inside.
  const radius2 = radius * radius * (1 + 1e-9)

  const out = new IndexBuffer(256)
  // Split long segments so that each piece's bounding box stays close to its capsule.
  const lengthMm = Math.hypot((to[0] - from[0]) * spacing[0], (to[1] - from[1]) * spacing[1], (to[2] - from[2]) * spacing[2])
  const pieces = Math.max(1, Math.ceil(lengthMm / radius))
  const a: Vec3 = [0, 0, 0]
  const b: Vec3 = [0, 0, 0]
  for (let piece = 0; piece < pieces; piece++) {
    for (let c = 0; c < 3; c++) {
      a[c] = from[c] + ((to[c] - from[c]) * piece) / pieces
      b[c] = from[c] + ((to[c] - from[c]) * (piece + 1)) / pieces
    }
    collectCapsule(grid, a, b, radius, radius2, lowest, highest, out)
  }
  for (const point of [from, to]) {
    const i = Math.round(point[0])
    const j = Math.round(point[1])
    const k = Math.round(point[2])
    if (i >= lowest[0] && i <= highest[0] && j >= lowest[1] && j <= highest[1] && k >= lowest[2] && k <= highest[2]) {
      out.push(i + nx * (j + ny * k))
    }
  }
  return sortUnique(out.toArray())
}

/** Pushes every voxel within `radius` mm of segment a–b (voxel coordinates) inside [lowest, highest]. */
function collectCapsule(
  grid: VoxelGrid,
  a: Vec3,
  b: Vec3,
  radius: number,
  radius2: number,
  lowest: Vec3,
  highest: Vec3,
  out: IndexBuffer
): void {
  const [sx, sy, sz] = grid.spacing
  const nx = grid.dims[0]
  const ny = grid.dims[1]
  const range = (axis: 0 | 1 | 2): [number, number] => {
    const reach = radius / grid.spacing[axis]
    const lo = Math.max(lowest[axis], Math.ceil(Math.min(a[axis], b[axis]) - reach - 1e-9))
    const hi = Math.min(highest[axis], Math.floor(Math.max(a[axis], b[axis]) + reach + 1e-9))
    return [lo, hi]
  }
  const [i0, i1] = range(0)
  const [j0, j1] = range(1)
  const [k0, k1] = range(2)
  if (i0 > i1 || j0 > j1 || k0 > k1) return
  // Segment in mm, relative to a.
  const dx = (b[0] - a[0]) * sx
  const dy = (b[1] - a[1]) * sy
  const dz = (b[2] - a[2]) * sz
  const length2 = dx * dx + dy * dy + dz * dz
  for (let k = k0; k <= k1; k++) {
    const pz = (k - a[2]) * sz
    for (let j = j0; j <= j1; j++) {
      const py = (j - a[1]) * sy
      const rowBase = nx * (j + ny * k)
      for (let i = i0; i <= i1; i++) {
        const px = (i - a[0]) * sx
        let t = length2 > 0 ? (px * dx + py * dy + pz * dz) / length2 : 0
        t = t < 0 ? 0 : t > 1 ? 1 : t
        const ex = px - t * dx
        const ey = py - t * dy
        const ez = pz - t * dz
        if (ex * ex + ey * ey + ez * ez <= radius2) out.push(rowBase + i)
      }
    }
  }
}

export interface PaintSegmentOptions {
  fromIjk: Readonly<Vec3>
  toIjk: Readonly<Vec3>
  axis: ViewAxis
  config: Readonly<BrushConfig>
  /** Label to paint (0 erases). */
  value: number
  /** The image channel the threshold applies to; required when `config.threshold` is set. */
  image?: VoxelArray | null
}

/**
 * Paints one segment of a stroke through the editor, which must be inside `beginStroke` … `endStroke`
 * (pointer down → beginStroke and a dab with from = to; move → this; up → endStroke).
 * Returns how many voxels changed.
 */
export function paintSegment(editor: VoxelEditor, options: PaintSegmentOptions): number {
  const { config } = options
  const footprint = segmentFootprint(editor.grid, {
    fromIjk: options.fromIjk,
    toIjk: options.toIjk,
    radiusMm: config.radiusMm,
    shape: config.shape,
    axis: options.axis
  })
  let intensity = null
  if (config.threshold) {
    if (!options.image) throw new VoxloopError('INVALID_ARGUMENT', 'threshold-limited painting needs the image channel')
    intensity = { image: options.image, range: config.threshold }
  }
  const writable = selectWritable(editor.labels, footprint, { value: options.value, overwrite: config.overwrite, intensity })
  return editor.writeValue(writable, options.value)
}
