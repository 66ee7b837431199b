import type { Mat4 } from '../../../shared/volume'
import { SLICE_VIEWS, viewMapping, type ViewName, type VoxelAxis } from './viewOrientation'

/**
 * A one-slice case (a 2D image imported as a volume of width × height × 1, or a single scanned
 * frame) has one view whose plane holds the whole image; the other two views would each show a
 * one-pixel line and the 3D view a flat sheet. The viewer shows that one view alone.
 */

/** The voxel axis of size 1 when exactly one axis is (the other two span the image), else null. */
export function flatAxisOf(dims: readonly number[]): VoxelAxis | null {
  const flat = [0, 1, 2].filter((axis) => dims[axis] === 1)
  if (flat.length !== 1) return null
  const others = [0, 1, 2].filter((axis) => axis !== flat[0])
  // A line (two axes of size 1) or a broken header (size 0) is not a 2D image.
  if (!others.every((axis) => (dims[axis] ?? 0) > 1)) return null
  return flat[0] as VoxelAxis
}

/**
 * The slice view that shows a one-slice case whole: the one whose slice axis, after the viewer's
 * orientation from the affine (viewOrientation.ts), is the flat voxel axis. Null for a 3D case.
 */
export function singleSliceView(dims: readonly number[], rasFromIjk: Mat4): ViewName | null {
  const axis = flatAxisOf(dims)
  if (axis === null) return null
  // The three views take three distinct voxel axes (dominantWorldAxes), so exactly one matches.
  return SLICE_VIEWS.find((view) => viewMapping(view, rasFromIjk).sliceAxis === axis) ?? null
}

/**
 * The layout on screen: the single view of a one-slice case, else the user's choice. The choice is
 * kept, not replaced, so that the next 3D case opens in it again.
 */
export function shownLayout<L extends string>(preferred: L, single: ViewName | null): L | ViewName {
  return single ?? preferred
}

/** The caption of a one-slice case's view: its size as shown (columns × rows), not "Axial 1/1". */
export function singleSliceCaption(width: number, height: number): string {
  return `2D image ${width} × ${height}`
}
