import type { Mat4 } from '../volume'

/**
 * Below this, a tilt is float noise of a stored affine (float32 sform rows are good to ~1e-7 rad,
 * about 6e-6°), not an oblique acquisition.
 */
export const OBLIQUE_THRESHOLD_DEGREES = 0.01

/**
 * How far the voxel grid is rotated from the scanner (world) axes: for each voxel axis, the angle
 * between it and the world axis it runs closest to; the largest of the three, in degrees (0 for an
 * axis-aligned grid, permuted or flipped axes included). Zoom does not count; a degenerate (all-zero)
 * axis or a non-finite matrix gives 0, as there is no direction to measure. Like nibabel's
 * `affines.obliquity`, taken per voxel axis.
 */
export function obliquityDegrees(rasFromIjk: Mat4): number {
  let largest = 0
  for (let c = 0; c < 3; c++) {
    const column = [rasFromIjk[0][c], rasFromIjk[1][c], rasFromIjk[2][c]]
    const length = Math.hypot(column[0], column[1], column[2])
    if (!(length > 0) || !Number.isFinite(length)) continue
    const bestCosine = Math.min(1, Math.max(...column.map((v) => Math.abs(v) / length)))
    largest = Math.max(largest, (Math.acos(bestCosine) * 180) / Math.PI)
  }
  return largest
}

/** Whether the grid is oblique enough to say so (see OBLIQUE_THRESHOLD_DEGREES). */
export function isOblique(rasFromIjk: Mat4): boolean {
  return obliquityDegrees(rasFromIjk) > OBLIQUE_THRESHOLD_DEGREES
}
