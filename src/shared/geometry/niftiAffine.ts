/**
 * Voxel → RAS-mm affines from NIfTI header fields, following nifti1.h: sform ("method 3") when
 * sform_code > 0, else qform ("method 2", quaternion + qfac) when qform_code > 0, else pixdim only
 * ("method 1"). Pure functions over `NiftiGeometry`, so main, engine and renderer agree.
 */
import { VoxloopError } from '../errors'
import type { Mat4, NiftiGeometry, Vec3 } from '../volume'
import { determinant3, isFiniteMat4 } from './mat4'
import { voxelSizesFromRasFromIjk } from './spacing'

export type AffineSource = 'sform' | 'qform' | 'pixdim'

export interface NiftiAffine {
  rasFromIjk: Mat4
  affineSource: AffineSource
  /** Voxel size in mm along i, j, k (pixdim for qform/pixdim; column norms of the sform). */
  spacing: Vec3
}

type QformFields = Pick<NiftiGeometry, 'quaternB' | 'quaternC' | 'quaternD' | 'qoffsetX' | 'qoffsetY' | 'qoffsetZ' | 'pixdim'>

function invalid(message: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', message)
}

/** pixdim[1..3] as voxel sizes; refuses what nifti1_io and nibabel would each "fix" differently. */
function positivePixdim(pixdim: readonly number[]): Vec3 {
  const sizes: Vec3 = [pixdim[1] ?? Number.NaN, pixdim[2] ?? Number.NaN, pixdim[3] ?? Number.NaN]
  sizes.forEach((size, axis) => {
    // nifti1_io replaces a non-positive size by 1 and nibabel takes its absolute value; with two
    // reference readers disagreeing, the only safe answer is to refuse.
    if (!(Number.isFinite(size) && size > 0)) {
      throw invalid(`voxel size pixdim[${axis + 1}] is ${size}; it must be a positive number`)
    }
  })
  return sizes
}

/**
 * Rotation matrix of the unit quaternion (a, b, c, d) where a = √(1 − b² − c² − d²). Like nibabel,
 * a small negative a² (float rounding) counts as 0, a clearly negative one is an error, and the
 * quaternion is normalised before use.
 */
export function rotationFromQuaternion(b: number, c: number, d: number, niftiVersion: 1 | 2 = 1): [Vec3, Vec3, Vec3] {
  if (![b, c, d].every(Number.isFinite)) throw invalid(`qform quaternion (${b}, ${c}, ${d}) is not finite`)
  // nibabel's quaternion_threshold: 3 ulp of the precision the header stores.
  const eps = niftiVersion === 1 ? 2 ** -23 : Number.EPSILON
  const a2 = 1 - (b * b + c * c + d * d)
  if (a2 < -3 * eps) {
    throw invalid(`qform quaternion (${b}, ${c}, ${d}) has b² + c² + d² > 1, so it is not a rotation`)
  }
  const a = a2 < 0 ? 0 : Math.sqrt(a2)
  const n = a * a + b * b + c * c + d * d
  const s = 2 / n
  const [x, y, z] = [b * s, c * s, d * s]
  return [
    [1 - (c * y + d * z), b * y - a * z, b * z + a * y],
    [b * y + a * z, 1 - (b * x + d * z), c * z - a * x],
    [b * z - a * y, c * z + a * x, 1 - (b * x + c * y)]
  ]
}

/** nifti1.h method 2: R · diag(dx, dy, qfac·dz) plus qoffset; qfac is −1 only when pixdim[0] < 0. */
export function rasFromIjkFromQform(q: QformFields, niftiVersion: 1 | 2 = 1): Mat4 {
  const rotation = rotationFromQuaternion(q.quaternB, q.quaternC, q.quaternD, niftiVersion)
  const [dx, dy, dz] = positivePixdim(q.pixdim)
  const qfac = (q.pixdim[0] ?? 1) < 0 ? -1 : 1
  const scale: Vec3 = [dx, dy, qfac * dz]
  const offset: Vec3 = [q.qoffsetX, q.qoffsetY, q.qoffsetZ]
  const m = [0, 1, 2].map((r) => [
    rotation[r][0] * scale[0],
    rotation[r][1] * scale[1],
    rotation[r][2] * scale[2],
    offset[r]
  ]) as [Mat4[0], Mat4[1], Mat4[2]]
  return [m[0], m[1], m[2], [0, 0, 0, 1]]
}

/** nifti1.h method 3: the three srow_* rows as given. */
export function rasFromIjkFromSform(g: Pick<NiftiGeometry, 'srowX' | 'srowY' | 'srowZ'>): Mat4 {
  return [[...g.srowX], [...g.srowY], [...g.srowZ], [0, 0, 0, 1]]
}

/**
 * nifti1.h method 1 (no qform, no sform): x = pixdim[1]·i, and so on, origin at voxel 0. nibabel
 * differs here: it falls back to an ANALYZE-style affine (x flipped, origin at the grid centre).
 */
export function rasFromIjkFromPixdim(g: Pick<NiftiGeometry, 'pixdim'>): Mat4 {
  const [dx, dy, dz] = positivePixdim(g.pixdim)
  return [
    [dx, 0, 0, 0],
    [0, dy, 0, 0],
    [0, 0, dz, 0],
    [0, 0, 0, 1]
  ]
}

/**
 * The affine a NIfTI reader should use, checked to be finite and invertible. Codes ≤ 0 mean "not
 * set" as in nifti1.h (nibabel also honours negative codes; they are invalid anyway).
 */
export function selectNiftiAffine(g: NiftiGeometry, niftiVersion: 1 | 2 = 1): NiftiAffine {
  let affine: NiftiAffine
  if (g.sformCode > 0) {
    const rasFromIjk = rasFromIjkFromSform(g)
    if (!isFiniteMat4(rasFromIjk)) throw invalid('sform (srow_x/y/z) contains NaN or infinite values')
    affine = { rasFromIjk, affineSource: 'sform', spacing: voxelSizesFromRasFromIjk(rasFromIjk) }
  } else if (g.qformCode > 0) {
    const rasFromIjk = rasFromIjkFromQform(g, niftiVersion)
    if (!isFiniteMat4(rasFromIjk)) throw invalid('qform offsets contain NaN or infinite values')
    affine = { rasFromIjk, affineSource: 'qform', spacing: positivePixdim(g.pixdim) }
  } else {
    affine = { rasFromIjk: rasFromIjkFromPixdim(g), affineSource: 'pixdim', spacing: positivePixdim(g.pixdim) }
  }
  const [sx, sy, sz] = affine.spacing
  const det = determinant3(affine.rasFromIjk)
  if (!(sx > 0 && sy > 0 && sz > 0) || !(Math.abs(det) > sx * sy * sz * 1e-12)) {
    throw invalid(`${affine.affineSource} affine is singular (its voxel axes do not span 3D space)`)
  }
  return affine
}
