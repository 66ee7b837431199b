/**
 * Singular value decomposition of a 3×3 matrix by one-sided Jacobi (Hestenes) rotations. Small and
 * exact enough for orientation work; unlike eigen-decomposing AᵀA it keeps tiny singular values
 * accurate, which the rank threshold of `orthogonalFactor` relies on.
 */
export type Mat3 = [[number, number, number], [number, number, number], [number, number, number]]

export interface Svd3 {
  /** Left singular vectors as columns (a column is zero where its singular value is zero). */
  u: Mat3
  /** Singular values, in column order (not sorted). */
  s: [number, number, number]
  /** Right singular vectors as columns. */
  v: Mat3
}

const MAX_SWEEPS = 60

export function svd3(a: Mat3): Svd3 {
  const w: Mat3 = [[...a[0]], [...a[1]], [...a[2]]]
  const v: Mat3 = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1]
  ]
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        let alpha = 0
        let beta = 0
        let gamma = 0
        for (let r = 0; r < 3; r++) {
          alpha += w[r][p] * w[r][p]
          beta += w[r][q] * w[r][q]
          gamma += w[r][p] * w[r][q]
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue
        rotated = true
        const zeta = (beta - alpha) / (2 * gamma)
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta))
        const c = 1 / Math.sqrt(1 + t * t)
        const s = c * t
        for (let r = 0; r < 3; r++) {
          const wp = w[r][p]
          w[r][p] = c * wp - s * w[r][q]
          w[r][q] = s * wp + c * w[r][q]
          const vp = v[r][p]
          v[r][p] = c * vp - s * v[r][q]
          v[r][q] = s * vp + c * v[r][q]
        }
      }
    }
    if (!rotated) break
  }
  const s: [number, number, number] = [0, 0, 0]
  const u: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0]
  ]
  for (let col = 0; col < 3; col++) {
    const norm = Math.hypot(w[0][col], w[1][col], w[2][col])
    s[col] = norm
    if (norm > 0) for (let r = 0; r < 3; r++) u[r][col] = w[r][col] / norm
  }
  return { u, s, v }
}

/**
 * The closest orthogonal matrix to `a` (polar decomposition, U·Vᵀ over the singular values kept by
 * numpy's default rank tolerance), so that shear and zoom do not bias which axis a column points to.
 */
export function orthogonalFactor(a: Mat3): Mat3 {
  const { u, s, v } = svd3(a)
  const tolerance = Math.max(...s) * 3 * Number.EPSILON
  const out: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0]
  ]
  for (let k = 0; k < 3; k++) {
    if (!(s[k] > tolerance)) continue
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) out[r][c] += u[r][k] * v[c][k]
    }
  }
  return out
}
