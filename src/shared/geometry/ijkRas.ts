/**
 * Conversions between voxel indices (ijk, continuous: integer values are voxel centres) and patient
 * RAS millimetres, named by space so that a mixed-up argument reads wrong at the call site.
 */
import type { Mat4, Vec3 } from '../volume'
import { applyMat4ToPoint, invertMat4 } from './mat4'

/** The inverse affine: RAS mm → voxel index. Throws INVALID_ARGUMENT for a singular affine. */
export function ijkFromRasMatrix(rasFromIjk: Mat4): Mat4 {
  return invertMat4(rasFromIjk)
}

export function pointRasFromIjk(rasFromIjk: Mat4, pointIjk: Vec3): Vec3 {
  return applyMat4ToPoint(rasFromIjk, pointIjk)
}

/** Continuous voxel coordinates of a RAS point; round to get the voxel that contains it. */
export function pointIjkFromRas(ijkFromRas: Mat4, pointRas: Vec3): Vec3 {
  return applyMat4ToPoint(ijkFromRas, pointRas)
}

/** The voxel containing a RAS point, or null when it falls outside a grid of `dims`. */
export function voxelIndexFromRas(ijkFromRas: Mat4, pointRas: Vec3, dims: Vec3): Vec3 | null {
  const ijk = applyMat4ToPoint(ijkFromRas, pointRas).map((v) => Math.round(v)) as Vec3
  for (let axis = 0; axis < 3; axis++) {
    if (!(ijk[axis] >= 0 && ijk[axis] < dims[axis])) return null
  }
  return ijk
}

/** The 8 corner voxel centres of a grid in RAS mm (order: i fastest), e.g. for bounding boxes. */
export function gridCornersRas(rasFromIjk: Mat4, dims: Vec3): Vec3[] {
  const corners: Vec3[] = []
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < 2; i++) {
        corners.push(applyMat4ToPoint(rasFromIjk, [i * (dims[0] - 1), j * (dims[1] - 1), k * (dims[2] - 1)]))
      }
    }
  }
  return corners
}
