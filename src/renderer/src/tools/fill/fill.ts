/**
 * Flood fill from a seed voxel, in one slice (4-connected) or through the volume (6-connected).
 *
 * The region is bounded either by a label edge (the connected voxels that hold the seed's label value)
 * or by an intensity range (the connected voxels whose image intensity lies in it), and never includes a
 * voxel the overwrite rule protects. A cap on the region size makes a fill that leaks (clicking the
 * background of a 3D volume) stop cleanly with `aborted: true` and no change, instead of labelling
 * everything.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray, Vec3, VoxelArray } from '../../../../shared/volume'
import { assertArrayFitsGrid, gridVoxelCount, isInsideGrid, slicePlane, type ViewAxis, type VoxelGrid } from '../core/grid'
import { IndexBuffer } from '../../../../shared/geometry/indexBuffer'
import { canOverwrite, OVERWRITE_ANY, type OverwriteRule } from '../core/paintRules'
import type { IntensityRange } from '../core/threshold'
import type { VoxelEditor } from '../core/VoxelEditor'
import { VoxelMarks } from '../../../../shared/geometry/voxelMarks'

/** 'label': same label value as the seed; 'intensity': image intensity within `range`. */
export type FillBound = { kind: 'label' } | { kind: 'intensity'; range: IntensityRange }

/** '2d': 4-connected in the slice of the view; '3d': 6-connected. */
export type FillDimension = '2d' | '3d'

export interface FillConfig {
  /** Default '2d'. */
  dimension: FillDimension
  /** Default: label edge. */
  bound: FillBound
  /** Default: any. */
  overwrite: OverwriteRule
  /** Largest region filled; bigger regions abort with no change. Default 5,000,000; range 1..2^32. */
  maxVoxels: number
}

export const DEFAULT_FILL_CONFIG: Readonly<FillConfig> = Object.freeze({
  dimension: '2d',
  bound: Object.freeze({ kind: 'label' }),
  overwrite: OVERWRITE_ANY,
  maxVoxels: 5_000_000
})

export interface FloodRegionOptions {
  /** Integer voxel the user clicked. */
  seedIjk: Readonly<Vec3>
  dimension: FillDimension
  /** For '2d': the view whose slice (through the seed) is filled. */
  axis: ViewAxis
  bound: FillBound
  /** One image channel; required for an intensity bound. */
  image?: VoxelArray | null
  /** Voxels the rule protects are walls. Default: any. */
  overwrite?: OverwriteRule
  maxVoxels: number
}

export interface FloodRegion {
  /** The region's voxel indices (breadth-first order); empty when aborted or the seed is excluded. */
  indices: Uint32Array
  /** True when the region grew past `maxVoxels`. */
  aborted: boolean
  /** Label under the seed (the value a label-bounded fill replaces). */
  seedLabel: number
}

/** The connected region of the seed (no writes). */
export function floodRegion(labels: LabelArray, grid: VoxelGrid, options: FloodRegionOptions): FloodRegion {
  assertArrayFitsGrid(grid, labels, 'label map')
  const [si, sj, sk] = options.seedIjk
  if (!Number.isInteger(si) || !Number.isInteger(sj) || !Number.isInteger(sk) || !isInsideGrid(grid, si, sj, sk)) {
    throw new VoxloopError('INVALID_ARGUMENT', `fill seed [${options.seedIjk.join(', ')}] is not a voxel of the ${grid.dims.join('×')} grid`)
  }
  if (!(options.maxVoxels >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `maxVoxels must be ≥ 1, got ${options.maxVoxels}`)
  const seedIndex = si + grid.dims[0] * (sj + grid.dims[1] * sk)
  const seedLabel = labels[seedIndex]
  const overwrite = options.overwrite ?? OVERWRITE_ANY
  const inRegion = regionPredicate(labels, grid, options, seedLabel, overwrite)
  const empty = { indices: new Uint32Array(0), aborted: false, seedLabel }
  if (!inRegion(seedIndex)) return empty
  return options.dimension === '2d'
    ? flood2d(grid, options.axis, options.seedIjk, inRegion, options.maxVoxels, seedLabel)
    : flood3d(grid, seedIndex, inRegion, options.maxVoxels, seedLabel)
}

function regionPredicate(
  labels: LabelArray,
  grid: VoxelGrid,
  options: FloodRegionOptions,
  seedLabel: number,
  overwrite: OverwriteRule
): (index: number) => boolean {
  const { bound } = options
  if (bound.kind === 'label') {
    return (index) => labels[index] === seedLabel && canOverwrite(seedLabel, overwrite)
  }
  if (bound.kind !== 'intensity') throw new VoxloopError('INVALID_ARGUMENT', `unknown fill bound "${String((bound as { kind: unknown }).kind)}"`)
  const image = options.image
  if (!image) throw new VoxloopError('INVALID_ARGUMENT', 'an intensity-bounded fill needs the image channel')
  assertArrayFitsGrid(grid, image, 'image channel')
  const { min, max } = bound.range
  return (index) => {
    const value = image[index]
    return value >= min && value <= max && canOverwrite(labels[index], overwrite)
  }
}

function flood2d(
  grid: VoxelGrid,
  axis: ViewAxis,
  seedIjk: Readonly<Vec3>,
  inRegion: (index: number) => boolean,
  maxVoxels: number,
  seedLabel: number
): FloodRegion {
  const plane = slicePlane(grid, axis)
  const { width, height, uStride, vStride } = plane
  const base = seedIjk[plane.normalAxis] * plane.sliceStride
  // Visited flags for this slice only: a 2D fill never allocates per volume.
  const visited = new Uint8Array(width * height)
  const region = new IndexBuffer(4096)
  const queueU = new IndexBuffer(4096)
  const queueV = new IndexBuffer(4096)
  const seedU = seedIjk[plane.uAxis]
  const seedV = seedIjk[plane.vAxis]
  visited[seedU + width * seedV] = 1
  region.push(base + seedU * uStride + seedV * vStride)
  queueU.push(seedU)
  queueV.push(seedV)
  for (let head = 0; head < queueU.length; head++) {
    const u = queueU.at(head)
    const v = queueV.at(head)
    for (let neighbour = 0; neighbour < 4; neighbour++) {
      const nu = neighbour === 0 ? u - 1 : neighbour === 1 ? u + 1 : u
      const nv = neighbour === 2 ? v - 1 : neighbour === 3 ? v + 1 : v
      if (nu < 0 || nv < 0 || nu >= width || nv >= height) continue
      const local = nu + width * nv
      if (visited[local]) continue
      visited[local] = 1
      const index = base + nu * uStride + nv * vStride
      if (!inRegion(index)) continue
      if (region.length >= maxVoxels) return { indices: new Uint32Array(0), aborted: true, seedLabel }
      region.push(index)
      queueU.push(nu)
      queueV.push(nv)
    }
  }
  return { indices: region.toArray(), aborted: false, seedLabel }
}

function flood3d(grid: VoxelGrid, seedIndex: number, inRegion: (index: number) => boolean, maxVoxels: number, seedLabel: number): FloodRegion {
  const [nx, ny, nz] = grid.dims
  const nxy = nx * ny
  const visited = new VoxelMarks(gridVoxelCount(grid))
  // The region list is also the breadth-first queue (read head trails the write end).
  const region = new IndexBuffer(4096)
  visited.mark(seedIndex)
  region.push(seedIndex)
  for (let head = 0; head < region.length; head++) {
    const index = region.at(head)
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    for (let neighbour = 0; neighbour < 6; neighbour++) {
      let next: number
      switch (neighbour) {
        case 0:
          if (i === 0) continue
          next = index - 1
          break
        case 1:
          if (i === nx - 1) continue
          next = index + 1
          break
        case 2:
          if (j === 0) continue
          next = index - nx
          break
        case 3:
          if (j === ny - 1) continue
          next = index + nx
          break
        case 4:
          if (k === 0) continue
          next = index - nxy
          break
        default:
          if (k === nz - 1) continue
          next = index + nxy
      }
      if (!visited.markIfNew(next)) continue
      if (!inRegion(next)) continue
      if (region.length >= maxVoxels) return { indices: new Uint32Array(0), aborted: true, seedLabel }
      region.push(next)
    }
  }
  return { indices: region.toArray(), aborted: false, seedLabel }
}

export interface ApplyFillOptions {
  seedIjk: Readonly<Vec3>
  axis: ViewAxis
  config: Readonly<FillConfig>
  /** Label written into the region (0 clears it). */
  value: number
  image?: VoxelArray | null
  /** Undo menu text. Default "Fill". */
  description?: string
}

export interface FillResult {
  /** Voxels whose label changed. */
  voxelCount: number
  /** True when the region exceeded `config.maxVoxels`: nothing was written. */
  aborted: boolean
}

/** Fills through the editor as one undo unit (must not be called inside an open stroke). */
export function applyFill(editor: VoxelEditor, options: ApplyFillOptions): FillResult {
  const { config } = options
  const region = floodRegion(editor.labels, editor.grid, {
    seedIjk: options.seedIjk,
    dimension: config.dimension,
    axis: options.axis,
    bound: config.bound,
    image: options.image ?? null,
    overwrite: config.overwrite,
    maxVoxels: config.maxVoxels
  })
  if (region.aborted) return { voxelCount: 0, aborted: true }
  const summary = editor.applyEdit(options.description ?? 'Fill', (e) => e.writeValue(region.indices, options.value))
  return { voxelCount: summary?.voxelCount ?? 0, aborted: false }
}
