import { VoxloopError } from '../../../shared/errors'
import { cross, dot } from '../../../shared/geometry/vec3'
import { ijkFromRasMatrix } from '../../../shared/geometry/ijkRas'
import type { Mat4, Vec3 } from '../../../shared/volume'
import type { DicomSliceReference } from './dicomReferences'

/**
 * Where each pixel of each source DICOM image lies on a case's label grid, computed from geometry
 * alone (never from slice order or indices), so that any flip or reordering dcm2niix made on import
 * is undone: pixel (r, c) of a slice is at LPS = IPP + c·Δcol·rowDir + r·Δrow·colDir (PS3.3
 * C.7.6.2.1.1), RAS = (−x, −y, z), and the label voxel is ijkFromRas · RAS. The label grid must be
 * exactly the source pixels (a case as dcm2niix converted it): every pixel centre within
 * GRID_TOLERANCE of a voxel centre, every voxel covered by exactly one pixel; anything else (a
 * resampled or cropped case, a series with several images per position) is refused.
 */

/** In voxels: well above float rounding of dcm2niix's affine, well below any real resampling. */
export const GRID_TOLERANCE = 0.1
/** Direction cosines of one series agree to this (DS values carry about 6 digits). */
const ORIENTATION_TOLERANCE = 1e-4
/** Pixel spacings of one series agree to this fraction. */
const SPACING_TOLERANCE = 1e-4

/** One source image on the label grid: voxel of pixel (r, c) = origin + c·alongRow + r·alongColumn. */
export interface SliceOnGrid {
  instance: DicomSliceReference
  origin: Vec3
  alongRow: Vec3
  alongColumn: Vec3
  /** Position along the slice normal (mm): the frames' order. */
  normalPosition: number
}

export interface LabelGrid {
  dims: Vec3
  rasFromIjk: Mat4
}



/** ijkFromRas applied to an LPS point (w = 1) or an LPS direction (w = 0). */
function ijkOfLps(ijkFromRas: Mat4, lps: Vec3, w: 0 | 1): Vec3 {
  const ras: Vec3 = [-lps[0], -lps[1], lps[2]]
  return [0, 1, 2].map((row) => {
    const m = ijkFromRas[row] as [number, number, number, number]
    return m[0] * ras[0] + m[1] * ras[1] + m[2] * ras[2] + m[3] * w
  }) as Vec3
}

function nearInteger(value: number, tolerance: number): boolean {
  return Math.abs(value - Math.round(value)) <= tolerance
}

function format(v: readonly number[]): string {
  return `(${v.map((x) => Number(x.toFixed(3))).join(', ')})`
}

/**
 * Checks that the source images form one 3D image Voxloop can map (single-frame, not a mosaic,
 * one orientation, spacing and size) and places each on the label grid. `what` names the case in
 * every error.
 */
export function placeSourceSlices(instances: readonly DicomSliceReference[], grid: LabelGrid, what: string): SliceOnGrid[] {
  const refuse = (reason: string): never => {
    throw new VoxloopError('INVALID_ARGUMENT', `${what}: ${reason}; not exported as DICOM SEG`)
  }
  const [first] = instances
  if (!first) return refuse('no source images are recorded')
  for (const instance of instances) {
    if (instance.numberOfFrames !== undefined) {
      refuse(`source image ${instance.sopInstanceUid} is a multi-frame object (${instance.numberOfFrames} frames); only series of single-frame images are supported`)
    }
    if (instance.imageType?.some((value) => value.toUpperCase() === 'MOSAIC')) {
      refuse(`source image ${instance.sopInstanceUid} is a Siemens mosaic (several slices tiled in one image); its slices have no images of their own to reference`)
    }
    if (instance.rows !== first.rows || instance.columns !== first.columns) {
      refuse(`the source images differ in size (${first.columns}×${first.rows} and ${instance.columns}×${instance.rows})`)
    }
    if (instance.imageOrientationPatient.some((value, n) => Math.abs(value - (first.imageOrientationPatient[n] ?? 0)) > ORIENTATION_TOLERANCE)) {
      refuse('the source images differ in orientation (ImageOrientationPatient)')
    }
    if (instance.pixelSpacing.some((value, n) => Math.abs(value - (first.pixelSpacing[n] ?? 0)) > SPACING_TOLERANCE * value)) {
      refuse('the source images differ in pixel spacing')
    }
  }
  const ijkFromRas = ijkFromRasMatrix(grid.rasFromIjk)
  const iop = first.imageOrientationPatient
  const rowDirection: Vec3 = [iop[0], iop[1], iop[2]]
  const columnDirection: Vec3 = [iop[3], iop[4], iop[5]]
  const normal = cross(rowDirection, columnDirection)
  const [rowSpacing, columnSpacing] = first.pixelSpacing
  const alongRowExact = ijkOfLps(ijkFromRas, rowDirection.map((x) => x * columnSpacing) as Vec3, 0)
  const alongColumnExact = ijkOfLps(ijkFromRas, columnDirection.map((x) => x * rowSpacing) as Vec3, 0)
  const unitStep = (step: Vec3, extent: number): boolean =>
    step.every((x) => nearInteger(x, GRID_TOLERANCE / Math.max(1, extent))) && step.reduce((sum, x) => sum + Math.abs(Math.round(x)), 0) === 1
  if (!unitStep(alongRowExact, first.columns) || !unitStep(alongColumnExact, first.rows)) {
    refuse(
      `a step of one source pixel moves ${format(alongRowExact)} / ${format(alongColumnExact)} voxels on the label's grid, not one voxel along one axis: ` +
        'the case was resampled or reoriented after import, so its voxels are not the source pixels'
    )
  }
  const alongRow = alongRowExact.map(Math.round) as Vec3
  const alongColumn = alongColumnExact.map(Math.round) as Vec3
  const { dims } = grid
  // Unit steps along two distinct axes: each slice is one plane of the grid across the third axis.
  const planeAxis = [0, 1, 2].find((axis) => alongRow[axis] === 0 && alongColumn[axis] === 0)
  if (planeAxis === undefined) return refuse('the source rows and columns run along the same voxel axis of the label grid')
  const inside = (ijk: Vec3): boolean => ijk.every((x, axis) => x >= 0 && x < dims[axis])
  const planeTaken = new Uint8Array(dims[planeAxis])
  const slices: SliceOnGrid[] = []
  for (const instance of instances) {
    const originExact = ijkOfLps(ijkFromRas, instance.imagePositionPatient, 1)
    if (!originExact.every((x) => nearInteger(x, GRID_TOLERANCE))) {
      refuse(
        `the first pixel of source image ${instance.sopInstanceUid} lands at voxel ${format(originExact)}, more than ${GRID_TOLERANCE} voxel from the label's grid points ` +
          '(the case was resampled or shifted after import, or its unevenly spaced images were put on even slices on import)'
      )
    }
    const origin = originExact.map(Math.round) as Vec3
    const last: Vec3 = [0, 1, 2].map((axis) => origin[axis] + (instance.columns - 1) * alongRow[axis] + (instance.rows - 1) * alongColumn[axis]) as Vec3
    if (!inside(origin) || !inside(last)) {
      refuse(`source image ${instance.sopInstanceUid} covers voxels ${format(origin)} to ${format(last)}, outside the label's ${dims.join('×')} grid`)
    }
    const plane = origin[planeAxis]
    if (planeTaken[plane] === 1) {
      refuse(`two source images lie on the same plane of the grid (${plane}): a series with several images per position (time points, echoes) is 4D`)
    }
    planeTaken[plane] = 1
    slices.push({ instance, origin, alongRow, alongColumn, normalPosition: dot(instance.imagePositionPatient, normal) })
  }
  // Each slice lies inside the grid on a plane of its own; with as many slices as planes, and as
  // many pixels per slice as voxels per plane, every voxel is covered exactly once.
  if (first.rows * first.columns * dims[planeAxis] === dims[0] * dims[1] * dims[2] && instances.length < dims[planeAxis]) {
    const missing = dims[planeAxis] - instances.length
    refuse(
      `${missing} of the label's ${dims[planeAxis]} slices ${missing === 1 ? 'has' : 'have'} no source image (slices interpolated on import where images are missing from the series, ` +
        'or a padded case), and a DICOM SEG can only label slices that have one'
    )
  }
  if (first.rows * first.columns * dims[planeAxis] !== dims[0] * dims[1] * dims[2] || instances.length !== dims[planeAxis]) {
    refuse(`the ${instances.length} source image(s) of ${first.columns}×${first.rows} pixels do not cover the label's ${dims.join('×')} grid exactly (a cropped or padded case)`)
  }
  return slices.sort((a, b) => a.normalPosition - b.normalPosition)
}

/** The label voxel index (i + j·nx + k·nx·ny) of pixel (r, c) of a placed slice. */
export function voxelIndexOf(slice: SliceOnGrid, dims: Vec3, row: number, column: number): number {
  const i = slice.origin[0] + column * slice.alongRow[0] + row * slice.alongColumn[0]
  const j = slice.origin[1] + column * slice.alongRow[1] + row * slice.alongColumn[1]
  const k = slice.origin[2] + column * slice.alongRow[2] + row * slice.alongColumn[2]
  return i + dims[0] * (j + dims[1] * k)
}
