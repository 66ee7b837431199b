/**
 * The voxel grid every tool works on: dims and spacing, index ⇄ ijk, bounds, and the 2D slice planes.
 *
 * Layout is NIfTI's (src/shared/volume.ts): index = i + nx*(j + ny*k). Continuous voxel coordinates put
 * voxel centres on integers (voxel i covers [i − 0.5, i + 0.5)), as `pointIjkFromRas` does, so rounding a
 * continuous point gives the voxel that contains it.
 *
 * View axes here are *voxel* axes: 'axial' fixes k, 'coronal' fixes j, 'sagittal' fixes i. How a slice is
 * shown in patient orientation is the viewer's business; the kernels only need which axis is fixed.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { Vec3, VolumeHeader } from '../../../../shared/volume'

export interface VoxelGrid {
  /** Voxels along i, j, k (each ≥ 1). */
  readonly dims: Readonly<Vec3>
  /** Voxel size in mm along i, j, k (each > 0). */
  readonly spacing: Readonly<Vec3>
}

export type VoxelAxis = 0 | 1 | 2

export const VIEW_AXES = ['axial', 'coronal', 'sagittal'] as const
export type ViewAxis = (typeof VIEW_AXES)[number]

/** An inclusive box of voxels, e.g. the dirty region of an edit. */
export interface BoundsIjk {
  minIjk: Vec3
  maxIjk: Vec3
}

/** A checked grid from a volume header (throws INVALID_ARGUMENT for empty dims or non-positive spacing). */
export function gridFromHeader(header: Pick<VolumeHeader, 'dims' | 'spacing'>): VoxelGrid {
  return makeGrid(header.dims, header.spacing)
}

/** A checked grid; the arrays are copied so later edits to the caller's arrays do not move it. */
export function makeGrid(dims: Readonly<Vec3>, spacing: Readonly<Vec3> = [1, 1, 1]): VoxelGrid {
  for (let axis = 0; axis < 3; axis++) {
    const n = dims[axis]
    if (!Number.isInteger(n) || n < 1) throw new VoxloopError('INVALID_ARGUMENT', `grid dims must be positive integers, got [${dims.join(', ')}]`)
    const s = spacing[axis]
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new VoxloopError('INVALID_ARGUMENT', `grid spacing must be positive mm, got [${spacing.join(', ')}]`)
    }
  }
  if (dims[0] * dims[1] * dims[2] > 2 ** 32) {
    // Undo records and change events index voxels with Uint32Array.
    throw new VoxloopError('INVALID_ARGUMENT', `grid of ${dims.join('×')} voxels is too large to label (max 2^32 voxels)`)
  }
  return { dims: [dims[0], dims[1], dims[2]], spacing: [spacing[0], spacing[1], spacing[2]] }
}

export function gridVoxelCount(grid: VoxelGrid): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2]
}

/** Throws INVALID_ARGUMENT unless `array` has exactly one value per voxel of `grid`. */
export function assertArrayFitsGrid(grid: VoxelGrid, array: ArrayLike<number>, what: string): void {
  const expected = gridVoxelCount(grid)
  if (array.length !== expected) {
    throw new VoxloopError('INVALID_ARGUMENT', `${what} has ${array.length} voxels but the grid ${grid.dims.join('×')} has ${expected}`)
  }
}

export function isInsideGrid(grid: VoxelGrid, i: number, j: number, k: number): boolean {
  return i >= 0 && j >= 0 && k >= 0 && i < grid.dims[0] && j < grid.dims[1] && k < grid.dims[2]
}

/** Linear index of an integer voxel; no bounds check (see `isInsideGrid`). */
export function indexFromIjk(grid: VoxelGrid, i: number, j: number, k: number): number {
  return i + grid.dims[0] * (j + grid.dims[1] * k)
}

/** Integer voxel of a linear index, written into `out` when given (no allocation in loops). */
export function ijkFromIndex(grid: VoxelGrid, index: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const nx = grid.dims[0]
  const nxy = nx * grid.dims[1]
  const k = Math.floor(index / nxy)
  const rest = index - k * nxy
  const j = Math.floor(rest / nx)
  out[0] = rest - j * nx
  out[1] = j
  out[2] = k
  return out
}

/** The voxel containing a continuous point (centres on integers), or null outside the grid. */
export function voxelContaining(grid: VoxelGrid, pointIjk: Readonly<Vec3>): Vec3 | null {
  // `+ 0` turns the -0 that Math.round gives for (-0.5, 0) into 0.
  const i = Math.round(pointIjk[0]) + 0
  const j = Math.round(pointIjk[1]) + 0
  const k = Math.round(pointIjk[2]) + 0
  return isInsideGrid(grid, i, j, k) ? [i, j, k] : null
}

/** The voxel axis held fixed by a view: axial → k, coronal → j, sagittal → i. */
export function normalAxisOf(axis: ViewAxis): VoxelAxis {
  return axis === 'axial' ? 2 : axis === 'coronal' ? 1 : 0
}

export function viewAxisOfNormal(normalAxis: VoxelAxis): ViewAxis {
  return normalAxis === 2 ? 'axial' : normalAxis === 1 ? 'coronal' : 'sagittal'
}

/**
 * A 2D slice family of the grid: in-plane axes u (fastest in memory) and v, and the fixed axis.
 * Voxel (u, v) of slice s has index `u*uStride + v*vStride + s*sliceStride`.
 */
export interface SlicePlane {
  readonly axis: ViewAxis
  readonly normalAxis: VoxelAxis
  readonly uAxis: VoxelAxis
  readonly vAxis: VoxelAxis
  /** Voxels along u and v, and the number of slices. */
  readonly width: number
  readonly height: number
  readonly sliceCount: number
  readonly uStride: number
  readonly vStride: number
  readonly sliceStride: number
  /** mm per voxel along u, v and between slices. */
  readonly uSpacing: number
  readonly vSpacing: number
  readonly sliceSpacing: number
}

/** axial: (u, v) = (i, j); coronal: (i, k); sagittal: (j, k). Lower voxel axis first, so u is fastest. */
export function slicePlane(grid: VoxelGrid, axis: ViewAxis): SlicePlane {
  const normalAxis = normalAxisOf(axis)
  const [uAxis, vAxis] = (normalAxis === 2 ? [0, 1] : normalAxis === 1 ? [0, 2] : [1, 2]) as [VoxelAxis, VoxelAxis]
  const strides: Vec3 = [1, grid.dims[0], grid.dims[0] * grid.dims[1]]
  return {
    axis,
    normalAxis,
    uAxis,
    vAxis,
    width: grid.dims[uAxis],
    height: grid.dims[vAxis],
    sliceCount: grid.dims[normalAxis],
    uStride: strides[uAxis],
    vStride: strides[vAxis],
    sliceStride: strides[normalAxis],
    uSpacing: grid.spacing[uAxis],
    vSpacing: grid.spacing[vAxis],
    sliceSpacing: grid.spacing[normalAxis]
  }
}

export function indexInSlice(plane: SlicePlane, u: number, v: number, slice: number): number {
  return u * plane.uStride + v * plane.vStride + slice * plane.sliceStride
}

/**
 * Copies one slice into a width×height row-major buffer (u fastest), e.g. for a GPU upload of a
 * dirty slice or a 2D kernel. `out` is reused when given.
 */
export function extractSlice<T extends ArrayLike<number> & { [n: number]: number }>(
  plane: SlicePlane,
  volume: ArrayLike<number>,
  slice: number,
  out: T
): T {
  if (out.length < plane.width * plane.height) {
    throw new VoxloopError('INVALID_ARGUMENT', `slice buffer has ${out.length} values, needs ${plane.width * plane.height}`)
  }
  const base = slice * plane.sliceStride
  let p = 0
  for (let v = 0; v < plane.height; v++) {
    let index = base + v * plane.vStride
    for (let u = 0; u < plane.width; u++, index += plane.uStride) out[p++] = volume[index]
  }
  return out
}
