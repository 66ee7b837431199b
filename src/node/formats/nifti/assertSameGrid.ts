/**
 * A label only means something on its image's grid. Affines are compared by where they put the grid's
 * corner voxels, in fractions of a voxel, because element-wise tolerances mean different things for
 * rotation terms (unitless × mm) and offsets (mm) and for 0.5 mm versus 5 mm voxels.
 */
import { VoxloopError } from '../../../shared/errors'
import { gridCornersRas } from '../../../shared/geometry'
import type { VolumeHeader } from '../../../shared/volume'

export interface SameGridOptions {
  /** Largest allowed displacement of any grid corner, in voxels of the smallest spacing. Default 1e-3. */
  toleranceVoxels?: number
}

type GridHeader = Pick<VolumeHeader, 'dims' | 'rasFromIjk' | 'spacing' | 'orientation'>

/** Largest distance in mm between where the two affines put the corner voxels of `dims`. */
export function maxCornerDisplacementMm(a: GridHeader, b: GridHeader): number {
  const cornersA = gridCornersRas(a.rasFromIjk, a.dims)
  const cornersB = gridCornersRas(b.rasFromIjk, a.dims)
  let max = 0
  cornersA.forEach((pa, n) => {
    const pb = cornersB[n]
    const d = Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2])
    max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(max, d)
  })
  return max
}

/** Throws GRID_MISMATCH naming `labelPath` when dims differ or the affines disagree beyond tolerance. */
export function assertSameGrid(imageHeader: GridHeader, labelHeader: GridHeader, labelPath: string, options: SameGridOptions = {}): void {
  const imageDims = imageHeader.dims.join('x')
  const labelDims = labelHeader.dims.join('x')
  if (imageDims !== labelDims) {
    throw new VoxloopError('GRID_MISMATCH', `${labelPath}: label grid ${labelDims} does not match its image grid ${imageDims}`)
  }
  const toleranceMm = (options.toleranceVoxels ?? 1e-3) * Math.min(...imageHeader.spacing)
  const displacement = maxCornerDisplacementMm(imageHeader, labelHeader)
  if (!(displacement <= toleranceMm)) {
    const orientations =
      imageHeader.orientation === labelHeader.orientation
        ? ''
        : ` (label orientation ${labelHeader.orientation}, image ${imageHeader.orientation})`
    throw new VoxloopError(
      'GRID_MISMATCH',
      `${labelPath}: label affine does not match its image's: voxels are displaced by up to ${displacement.toPrecision(3)} mm, tolerance ${toleranceMm.toPrecision(3)} mm${orientations}`
    )
  }
}
