import { VoxloopError } from '../../../shared/errors'
import { cross, dot } from '../../../shared/geometry/vec3'
import type { Mat4, Vec3, VolumeHeader } from '../../../shared/volume'
import { decodeNiftiHeader, encodeNiftiHeader, NIFTI1_MIN_VOX_OFFSET, NIFTI2_MIN_VOX_OFFSET } from '../nifti/niftiHeaderCodec'
import type { NiftiDataLayout } from '../nifti/niftiHeaderValidation'
import type { SliceGeometry } from './dicomReferences'
import { GRID_TOLERANCE } from './dicomSegGeometry'
import { niftiLayoutFromBytes } from './niftiFromBytes'

/**
 * A DICOM series whose images are not evenly spaced (most often an image missing from the series,
 * as when a transfer from PACS stopped short) cannot be one NIfTI volume as it is: NIfTI has one
 * slice spacing. dcm2niix then writes the images stacked at the spacing of the first two (every
 * image past the gap sits at the wrong place, by the gap) and, for 8- and 16-bit data, a second
 * `_Eq` volume, whose slice count drops the series' last image (dcm2niix's fence-post rule). Neither
 * is a volume to label, so Voxloop puts the images on an even grid itself, as 3D Slicer's
 * "acquisition geometry regularization" does: the smallest gap becomes the spacing, each image
 * stays on its own plane, and a plane with no image is interpolated linearly between its two
 * neighbours (and said so in the import's notes).
 *
 * The slice positions come from each image's ImagePositionPatient (dicomReferences.ts), measured
 * along the volume's slice axis from its first plane; everything else (in-plane geometry, datatype,
 * scaling, the qform's rotation) is dcm2niix's.
 */

/** Never more than twice the images' planes, as dcm2niix's own equidistant volume: a tiny gap must not blow the volume up. */
const MAX_PLANES_PER_IMAGE = 2
/** The image plane's normal and the volume's slice axis agree to this (cosine): not a gantry-tilted stack. */
const AXIS_COSINE_TOLERANCE = 1e-3

export type SliceSpacing =
  | { kind: 'even' }
  /** Offsets (mm) of the images' planes from the first, ascending, one per slice of the volume. */
  | { kind: 'uneven'; offsets: number[] }
  | { kind: 'unknown'; reason: string }

function column(m: Mat4, axis: number): Vec3 {
  return [m[0][axis] ?? 0, m[1][axis] ?? 0, m[2][axis] ?? 0]
}



function mm(value: number): string {
  return `${Number(value.toFixed(2))} mm`
}

/** Four significant digits: two spacings a few hundredths apart must not print alike. */
function precise(value: number): string {
  return `${Number(value.toPrecision(4))} mm`
}

/**
 * Whether the source images of a converted volume lie on its slice planes (k · spacing from the
 * first), measured from their positions. `unknown` when the images cannot say (multi-frame objects,
 * mosaics, a count that is not the volume's slices, a tilted stack), with the reason.
 */
export function checkSliceSpacing(header: Pick<VolumeHeader, 'dims' | 'rasFromIjk'>, instances: readonly SliceGeometry[]): SliceSpacing {
  const planes = header.dims[2]
  if (instances.length !== planes) return { kind: 'unknown', reason: `${instances.length} source image(s) for ${planes} slice(s)` }
  if (instances.some((instance) => instance.numberOfFrames !== undefined || instance.imageType?.some((value) => value.toUpperCase() === 'MOSAIC'))) {
    return { kind: 'unknown', reason: 'the images are multi-frame or mosaics, whose slices have no positions of their own' }
  }
  if (planes < 2) return { kind: 'even' }
  const axis = column(header.rasFromIjk, 2)
  const spacing = Math.hypot(...axis)
  if (!(spacing > 0)) return { kind: 'unknown', reason: 'the volume has no slice spacing' }
  const unit = axis.map((x) => x / spacing) as Vec3
  const origin = column(header.rasFromIjk, 3)
  const [first] = instances
  const iop = (first as SliceGeometry).imageOrientationPatient
  // DICOM is LPS, the affine RAS: x and y change sign.
  const normal = cross([-iop[0], -iop[1], iop[2]], [-iop[3], -iop[4], iop[5]])
  if (Math.abs(Math.abs(dot(normal, unit)) - Math.hypot(...normal)) > AXIS_COSINE_TOLERANCE) {
    return { kind: 'unknown', reason: "the slice axis is not the images' normal (a gantry-tilted stack)" }
  }
  const offsets = instances
    .map((instance) => {
      const [x, y, z] = instance.imagePositionPatient
      return dot([-x - origin[0], -y - origin[1], z - origin[2]], unit)
    })
    .sort((a, b) => a - b)
  const tolerance = GRID_TOLERANCE * spacing
  return offsets.every((offset, k) => Math.abs(offset - k * spacing) <= tolerance) ? { kind: 'even' } : { kind: 'uneven', offsets }
}

export interface EvenSlices {
  /** The new uncompressed NIfTI (dcm2niix's header with the slice count and spacing changed). */
  nifti: Uint8Array
  layout: NiftiDataLayout
  planes: number
  spacing: number
  /** The spacing dcm2niix gave the volume (its first two images' distance). */
  convertedSpacing: number
  /** Planes with no image of their own, interpolated between their neighbours. */
  interpolated: number
  smallestGap: number
  largestGap: number
}

/** One note for the import report: what was uneven and what was done. */
export function describeEvenSlices(images: number, even: EvenSlices): string {
  const gaps = `gaps of ${mm(even.smallestGap)} to ${mm(even.largestGap)} between its ${images} images`
  if (even.planes === images && even.interpolated === 0) {
    return (
      `its images lie every ${precise(even.spacing)} (${gaps}), not every ${precise(even.convertedSpacing)} as the first two: ` +
      `the slice spacing was set to ${precise(even.spacing)}, so that the last slices are not misplaced (no slice interpolated)`
    )
  }
  const one = even.interpolated === 1
  const missing =
    even.interpolated === 0
      ? ''
      : one
        ? '; 1 of them has no image of its own (an image missing from the series?) and was interpolated between the neighbouring images'
        : `; ${even.interpolated} of them have no image of their own (images missing from the series?) and were interpolated between the neighbouring images`
  return `the slice spacing varies (${gaps}), which one NIfTI volume cannot hold: placed on ${even.planes} evenly spaced slices of ${mm(even.spacing)}${missing}`
}

type Sample = (view: DataView, offset: number, littleEndian: boolean) => number
type Store = (view: DataView, offset: number, value: number, littleEndian: boolean) => void

const ACCESS: Record<string, { get: Sample; set: Store; integer: boolean }> = {
  uint8: { get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x), integer: true },
  int8: { get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x), integer: true },
  int16: { get: (v, o, le) => v.getInt16(o, le), set: (v, o, x, le) => v.setInt16(o, x, le), integer: true },
  uint16: { get: (v, o, le) => v.getUint16(o, le), set: (v, o, x, le) => v.setUint16(o, x, le), integer: true },
  int32: { get: (v, o, le) => v.getInt32(o, le), set: (v, o, x, le) => v.setInt32(o, x, le), integer: true },
  uint32: { get: (v, o, le) => v.getUint32(o, le), set: (v, o, x, le) => v.setUint32(o, x, le), integer: true },
  float32: { get: (v, o, le) => v.getFloat32(o, le), set: (v, o, x, le) => v.setFloat32(o, x, le), integer: false },
  float64: { get: (v, o, le) => v.getFloat64(o, le), set: (v, o, x, le) => v.setFloat64(o, x, le), integer: false }
}

/**
 * Puts the slices of dcm2niix's volume (`bytes`, read as `layout`) on an even grid, given the
 * planes' offsets from checkSliceSpacing. `name` names the volume in errors.
 */
export function evenOutSlices(bytes: Uint8Array, layout: NiftiDataLayout, offsets: readonly number[], name: string): EvenSlices {
  const refuse = (reason: string): never => {
    throw new VoxloopError('INVALID_ARGUMENT', `${name}: ${reason}`)
  }
  const { header, datatype } = layout
  const [nx, ny, nz] = header.dims
  if (header.channels !== 1) refuse(`its slices are unevenly spaced and it holds ${header.channels} volumes; only a 3D volume can be put on even slices`)
  if (offsets.length !== nz || nz < 2) refuse(`${offsets.length} slice position(s) for ${nz} slice(s)`)
  const access = ACCESS[datatype.element]
  if (!access) return refuse(`its datatype ${datatype.stored} cannot be interpolated`)
  const gaps = offsets.slice(1).map((offset, k) => offset - (offsets[k] as number))
  const smallestGap = Math.min(...gaps)
  const largestGap = Math.max(...gaps)
  const oldSpacing = header.spacing[2]
  if (!(smallestGap > GRID_TOLERANCE * oldSpacing)) refuse(`two of its images lie on the same plane (${mm(smallestGap)} apart): several images per position (time points, echoes) make a 4D series, not uneven slices`)
  if (Math.abs(offsets[0] as number) > GRID_TOLERANCE * oldSpacing) refuse(`its first slice lies ${mm(offsets[0] as number)} from the volume's first plane`)
  const span = (offsets[nz - 1] as number) - (offsets[0] as number)
  // Images evenly spaced but not at the first gap that dcm2niix took for the spacing (gaps that
  // differ by less than its 0.2 mm tolerance add up over a long series): one plane each, at their
  // own spacing. Otherwise the first and the last image keep their planes and the span is cut into
  // steps of at most the smallest gap (exactly it when the gaps are multiples of it, as where
  // images are missing).
  const first = offsets[0] as number
  const fitted = span / (nz - 1)
  const linear = offsets.every((offset, k) => Math.abs(offset - first - k * fitted) <= GRID_TOLERANCE * fitted)
  const steps = span / smallestGap
  const planes = linear ? nz : Math.min(MAX_PLANES_PER_IMAGE * nz, (Math.abs(steps - Math.round(steps)) <= GRID_TOLERANCE ? Math.round(steps) : Math.ceil(steps)) + 1)
  const spacing = span / (planes - 1)
  const sliceBytes = nx * ny * datatype.bytesPerVoxel
  const source = bytes.subarray(layout.voxOffset, layout.voxOffset + layout.dataBytes)
  const sourceView = new DataView(source.buffer, source.byteOffset, source.byteLength)
  const data = new Uint8Array(planes * sliceBytes)
  const view = new DataView(data.buffer)
  const step = datatype.bytesPerElement
  const littleEndian = layout.littleEndian
  let interpolated = 0
  let below = 0
  for (let plane = 0; plane < planes; plane++) {
    const at = first + plane * spacing
    while (below < nz - 2 && (offsets[below + 1] as number) <= at) below++
    const low = offsets[below] as number
    const high = offsets[below + 1] as number
    const exact = Math.abs(at - low) <= GRID_TOLERANCE * spacing ? below : Math.abs(at - high) <= GRID_TOLERANCE * spacing ? below + 1 : -1
    const target = plane * sliceBytes
    if (exact >= 0 && littleEndian) {
      data.set(source.subarray(exact * sliceBytes, (exact + 1) * sliceBytes), target)
      continue
    }
    if (exact >= 0) {
      // The header is written little-endian, so a big-endian volume's voxels are turned over as copied.
      for (let byte = 0; byte < sliceBytes; byte += step) access.set(view, target + byte, access.get(sourceView, exact * sliceBytes + byte, false), true)
      continue
    }
    interpolated++
    const weight = Math.min(1, Math.max(0, (at - low) / (high - low)))
    const lowStart = below * sliceBytes
    const highStart = (below + 1) * sliceBytes
    for (let byte = 0; byte < sliceBytes; byte += step) {
      const value = (1 - weight) * access.get(sourceView, lowStart + byte, littleEndian) + weight * access.get(sourceView, highStart + byte, littleEndian)
      access.set(view, target + byte, access.integer ? Math.round(value) : value, true)
    }
  }
  const raw = decodeNiftiHeader(bytes, name)
  const scale = spacing / oldSpacing
  const newRaw = {
    ...raw,
    dim: raw.dim.map((d, i) => (i === 3 ? planes : d)),
    pixdim: raw.pixdim.map((p, i) => (i === 3 ? spacing : p)),
    srowX: raw.srowX.map((x, i) => (i === 2 ? x * scale : x)) as [number, number, number, number],
    srowY: raw.srowY.map((x, i) => (i === 2 ? x * scale : x)) as [number, number, number, number],
    srowZ: raw.srowZ.map((x, i) => (i === 2 ? x * scale : x)) as [number, number, number, number]
  }
  const encodedHeader = encodeNiftiHeader({ ...newRaw, littleEndian: true, voxOffset: raw.niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET })
  const nifti = new Uint8Array(encodedHeader.length + data.length)
  nifti.set(encodedHeader, 0)
  nifti.set(data, encodedHeader.length)
  return { nifti, layout: niftiLayoutFromBytes(nifti, name), planes, spacing, convertedSpacing: oldSpacing, interpolated, smallestGap, largestGap }
}
