/** Voxel sizes implied by an affine, for grids whose pixdim cannot be trusted (e.g. sform-only files). */
import type { Mat4, Vec3 } from '../volume'

/** Length in mm of one step along each voxel axis: the column norms of the linear part. */
export function voxelSizesFromRasFromIjk(rasFromIjk: Mat4): Vec3 {
  return [0, 1, 2].map((c) => Math.hypot(rasFromIjk[0][c], rasFromIjk[1][c], rasFromIjk[2][c])) as Vec3
}
