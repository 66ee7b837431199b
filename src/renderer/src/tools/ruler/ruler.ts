/**
 * The ruler's kernel: the distance between two voxel points in millimetres. Points are continuous
 * voxel coordinates (centres on integers) of one grid; the voxel axes are orthogonal (the views show
 * voxel axes), so the distance is the Euclidean norm of the ijk difference scaled by the spacing.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { Vec3 } from '../../../../shared/volume'

export function distanceMm(aIjk: Readonly<Vec3>, bIjk: Readonly<Vec3>, spacingMm: Readonly<Vec3>): number {
  let sum = 0
  for (let axis = 0; axis < 3; axis++) {
    const spacing = spacingMm[axis] as number
    if (!(spacing > 0)) throw new VoxloopError('INVALID_ARGUMENT', `voxel spacing must be positive, got [${spacingMm.join(', ')}] mm`)
    const d = ((bIjk[axis] as number) - (aIjk[axis] as number)) * spacing
    sum += d * d
  }
  return Math.sqrt(sum)
}

/** A length as the ruler writes it: one decimal below a metre of anatomy, whole millimetres beyond. */
export function formatLength(mm: number): string {
  return `${mm < 1000 ? mm.toFixed(1) : Math.round(mm).toString()} mm`
}
