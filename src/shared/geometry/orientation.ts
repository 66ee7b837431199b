/**
 * Orientation axis codes, computed exactly like nibabel's `io_orientation` + `aff2axcodes` so that
 * 'RAS', 'LPS', 'PSR' mean here what they mean in nibabel, ITK-SNAP listings and our test data.
 */
import type { Mat4 } from '../volume'
import { type Mat3, orthogonalFactor } from './svd3'

/** For one voxel axis: the world axis it runs along (0 = x/R, 1 = y/A, 2 = z/S) and its sign. */
export interface AxisOrientation {
  worldAxis: 0 | 1 | 2
  direction: 1 | -1
}

/** Negative then positive direction label per RAS world axis (nibabel's default `labels`). */
const AXIS_LABELS: readonly [string, string][] = [
  ['L', 'R'],
  ['P', 'A'],
  ['I', 'S']
]

/**
 * For each voxel axis i, j, k: which world axis it is closest to, after removing zoom and shear, or
 * null for a degenerate (all-zero) column. Ties go to the lower world axis, and a world axis is
 * used once, in voxel-axis order — both as nibabel does.
 */
export function voxelAxisOrientations(rasFromIjk: Mat4): (AxisOrientation | null)[] {
  const rs: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0]
  ]
  for (let c = 0; c < 3; c++) {
    let zoom = Math.hypot(rasFromIjk[0][c], rasFromIjk[1][c], rasFromIjk[2][c])
    if (zoom === 0) zoom = 1
    for (let r = 0; r < 3; r++) rs[r][c] = rasFromIjk[r][c] / zoom
  }
  const rotation = orthogonalFactor(rs)
  const out: (AxisOrientation | null)[] = []
  for (let c = 0; c < 3; c++) {
    const column = [rotation[0][c], rotation[1][c], rotation[2][c]]
    // numpy.allclose(col, 0) with its default atol.
    if (column.every((v) => Math.abs(v) <= 1e-8)) {
      out.push(null)
      continue
    }
    let best = 0
    for (let r = 1; r < 3; r++) if (Math.abs(column[r]) > Math.abs(column[best])) best = r
    out.push({ worldAxis: best as 0 | 1 | 2, direction: column[best] < 0 ? -1 : 1 })
    // Remove the chosen world axis from consideration for the remaining voxel axes.
    for (let cc = 0; cc < 3; cc++) rotation[best][cc] = 0
  }
  return out
}

/**
 * Axis codes such as 'RAS', 'LPS' or 'PSR': for each voxel axis the world direction it increases
 * toward. A degenerate axis shows as '?'. Non-finite matrices give '???'.
 */
export function axisCodesFromRasFromIjk(rasFromIjk: Mat4): string {
  if (!rasFromIjk.every((row) => row.every((v) => Number.isFinite(v)))) return '???'
  return voxelAxisOrientations(rasFromIjk)
    .map((o) => (o === null ? '?' : AXIS_LABELS[o.worldAxis][o.direction === 1 ? 1 : 0]))
    .join('')
}
