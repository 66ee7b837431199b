/**
 * Exact 2D Euclidean distance transforms on anisotropic pixels (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", 2012): one lower-envelope-of-parabolas pass down the columns, one
 * along the rows, O(pixels). Pixel sizes enter the parabolas so distances are in mm.
 *
 * Buffers are row-major width×height with u (the row axis) fastest, as `extractSlice` produces.
 */
import { VoxloopError } from '../../../shared/errors'

export interface PixelSpacing {
  /** mm per pixel along u (within a row). */
  u: number
  /** mm per pixel along v (between rows). */
  v: number
}

/**
 * Squared distance in mm² from each pixel centre to the nearest pixel with `features[p] !== 0`
 * (0 on features, Infinity everywhere when there is no feature).
 */
export function squaredDistanceTransform2d(
  features: ArrayLike<number>,
  width: number,
  height: number,
  spacing: PixelSpacing,
  out: Float64Array = new Float64Array(width * height)
): Float64Array {
  const n = width * height
  if (features.length < n || out.length < n) {
    throw new VoxloopError('INVALID_ARGUMENT', `distance transform buffers hold ${features.length} and ${out.length} values, need ${n}`)
  }
  if (!(spacing.u > 0) || !(spacing.v > 0)) {
    throw new VoxloopError('INVALID_ARGUMENT', `pixel spacing must be positive, got ${spacing.u}×${spacing.v}`)
  }
  const longest = Math.max(width, height)
  const f = new Float64Array(longest)
  const d = new Float64Array(longest)
  const vertices = new Int32Array(longest)
  const bounds = new Float64Array(longest + 1)
  // Columns (along v).
  for (let u = 0; u < width; u++) {
    for (let v = 0; v < height; v++) f[v] = features[u + width * v] !== 0 ? 0 : Infinity
    envelope1d(f, d, height, spacing.v, vertices, bounds)
    for (let v = 0; v < height; v++) out[u + width * v] = d[v]
  }
  // Rows (along u), on the column results.
  for (let v = 0; v < height; v++) {
    const row = width * v
    for (let u = 0; u < width; u++) f[u] = out[row + u]
    envelope1d(f, d, width, spacing.u, vertices, bounds)
    for (let u = 0; u < width; u++) out[row + u] = d[u]
  }
  return out
}

/**
 * d[q] = min_p ((q − p)·step)² + f[p] over the first n samples. Infinite samples are left out of the
 * envelope (rather than approximated by a big number) so that empty rows stay exactly Infinity.
 */
function envelope1d(f: Float64Array, d: Float64Array, n: number, step: number, vertices: Int32Array, bounds: Float64Array): void {
  let k = -1
  for (let q = 0; q < n; q++) {
    const fq = f[q]
    if (fq === Infinity) continue
    const xq = q * step
    const heightQ = fq + xq * xq
    let s = -Infinity
    while (k >= 0) {
      const p = vertices[k]
      const xp = p * step
      s = (heightQ - (f[p] + xp * xp)) / (2 * (xq - xp))
      if (s > bounds[k]) break
      k--
    }
    k++
    vertices[k] = q
    bounds[k] = k === 0 ? -Infinity : s
    bounds[k + 1] = Infinity
  }
  if (k < 0) {
    d.fill(Infinity, 0, n)
    return
  }
  let j = 0
  for (let q = 0; q < n; q++) {
    const xq = q * step
    while (bounds[j + 1] < xq) j++
    const dx = xq - vertices[j] * step
    d[q] = dx * dx + f[vertices[j]]
  }
}

/**
 * Signed distance in mm: negative inside the mask (minus the distance to the nearest outside pixel),
 * positive outside (distance to the nearest inside pixel). Boundary pixels are ±one pixel size, so the
 * zero level sits halfway between inside and outside centres; a mask with no outside pixel is −Infinity.
 */
export function signedDistance2d(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  spacing: PixelSpacing,
  out: Float64Array = new Float64Array(width * height)
): Float64Array {
  const n = width * height
  const inverse = new Uint8Array(n)
  for (let p = 0; p < n; p++) inverse[p] = mask[p] !== 0 ? 0 : 1
  const toInside = squaredDistanceTransform2d(mask, width, height, spacing, out)
  const toOutside = squaredDistanceTransform2d(inverse, width, height, spacing)
  for (let p = 0; p < n; p++) {
    out[p] = mask[p] !== 0 ? -Math.sqrt(toOutside[p]) : Math.sqrt(toInside[p])
  }
  return out
}
