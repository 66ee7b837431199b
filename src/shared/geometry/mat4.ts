/**
 * 4×4 affine matrix helpers over the row-major `Mat4` of volume.ts. Pure and allocation-light: the
 * viewer calls these per pointer event, so they avoid generic linear-algebra machinery.
 */
import { VoxloopError } from '../errors'
import type { Mat4, Vec3 } from '../volume'

export function identityMat4(): Mat4 {
  return [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
}

/** A deep copy, so callers can mutate the result without touching a header's matrix. */
export function cloneMat4(m: Mat4): Mat4 {
  return [[...m[0]], [...m[1]], [...m[2]], [...m[3]]]
}

/** `a · b`: applying the result to a point applies `b` first, then `a` (e.g. rasFromLps · lpsFromIjk). */
export function multiplyMat4(a: Mat4, b: Mat4): Mat4 {
  const out = identityMat4()
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      out[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c] + a[r][3] * b[3][c]
    }
  }
  return out
}

/** Transforms a point (homogeneous w = 1); the bottom row is assumed to be [0, 0, 0, 1]. */
export function applyMat4ToPoint(m: Mat4, point: Vec3): Vec3 {
  const [x, y, z] = point
  return [
    m[0][0] * x + m[0][1] * y + m[0][2] * z + m[0][3],
    m[1][0] * x + m[1][1] * y + m[1][2] * z + m[1][3],
    m[2][0] * x + m[2][1] * y + m[2][2] * z + m[2][3]
  ]
}

/** Transforms a direction (w = 0): translation does not apply. */
export function applyMat4ToVector(m: Mat4, vector: Vec3): Vec3 {
  const [x, y, z] = vector
  return [
    m[0][0] * x + m[0][1] * y + m[0][2] * z,
    m[1][0] * x + m[1][1] * y + m[1][2] * z,
    m[2][0] * x + m[2][1] * y + m[2][2] * z
  ]
}

export function isFiniteMat4(m: Mat4): boolean {
  return m.every((row) => row.every((v) => Number.isFinite(v)))
}

/** Determinant of the upper-left 3×3 (the linear part of an affine): its sign tells handedness. */
export function determinant3(m: Mat4): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  )
}

/**
 * Inverse of an affine matrix (bottom row [0, 0, 0, 1]). Throws INVALID_ARGUMENT when the linear part
 * is singular (or not finite), because a silently wrong inverse would put voxels in the wrong place.
 */
export function invertMat4(m: Mat4): Mat4 {
  const det = determinant3(m)
  // Scale-aware singularity test: compare against the product of column norms, so that a 0.001 mm
  // grid is not mistaken for a singular one.
  const norms = [0, 1, 2].map((c) => Math.hypot(m[0][c], m[1][c], m[2][c]))
  const scale = norms[0] * norms[1] * norms[2]
  if (!Number.isFinite(det) || scale === 0 || Math.abs(det) <= scale * 1e-12) {
    throw new VoxloopError('INVALID_ARGUMENT', 'matrix is singular and cannot be inverted')
  }
  const [a, b, c] = [m[0], m[1], m[2]]
  // Inverse of the 3×3 by cofactors, then the translation mapped back through it.
  const inv: [Vec3, Vec3, Vec3] = [
    [(b[1] * c[2] - b[2] * c[1]) / det, (a[2] * c[1] - a[1] * c[2]) / det, (a[1] * b[2] - a[2] * b[1]) / det],
    [(b[2] * c[0] - b[0] * c[2]) / det, (a[0] * c[2] - a[2] * c[0]) / det, (a[2] * b[0] - a[0] * b[2]) / det],
    [(b[0] * c[1] - b[1] * c[0]) / det, (a[1] * c[0] - a[0] * c[1]) / det, (a[0] * b[1] - a[1] * b[0]) / det]
  ]
  const t: Vec3 = [a[3], b[3], c[3]]
  const out = identityMat4()
  for (let r = 0; r < 3; r++) {
    out[r][0] = inv[r][0]
    out[r][1] = inv[r][1]
    out[r][2] = inv[r][2]
    out[r][3] = -(inv[r][0] * t[0] + inv[r][1] * t[1] + inv[r][2] * t[2])
  }
  return out
}

/** Largest absolute element-wise difference; Infinity when either matrix holds a non-finite value. */
export function maxAbsDifferenceMat4(a: Mat4, b: Mat4): number {
  let max = 0
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(a[r][c] - b[r][c])
      if (!Number.isFinite(d)) return Number.POSITIVE_INFINITY
      if (d > max) max = d
    }
  }
  return max
}
