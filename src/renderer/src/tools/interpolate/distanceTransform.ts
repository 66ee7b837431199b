/**
 * Exact 2D Euclidean distance transforms on anisotropic pixels (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", 2012): one lower-envelope-of-parabolas pass down the columns, one
 * along the rows, O(pixels). Pixel sizes enter the parabolas so distances are in mm.
 *
 * Buffers are row-major width×height with u (the row axis) fastest, as `extractSlice` produces.
 */
import { VoxloopError } from '../../../../shared/errors'
import { envelope1d, envelopeScratch } from '../../../../shared/geometry/distanceEnvelope'

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
  const scratch = envelopeScratch(longest)
  const { f, d } = scratch
  // Columns (along v).
  for (let u = 0; u < width; u++) {
    for (let v = 0; v < height; v++) f[v] = features[u + width * v] !== 0 ? 0 : Infinity
    envelope1d(scratch, height, spacing.v)
    for (let v = 0; v < height; v++) out[u + width * v] = d[v]
  }
  // Rows (along u), on the column results.
  for (let v = 0; v < height; v++) {
    const row = width * v
    for (let u = 0; u < width; u++) f[u] = out[row + u]
    envelope1d(scratch, width, spacing.u)
    for (let u = 0; u < width; u++) out[row + u] = d[u]
  }
  return out
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
