/**
 * Image volumes as .nii.gz (NIfTI-1, little-endian, unscaled): for volumes Voxloop makes itself
 * (the demo project, multi-file channels stacked on import). The geometry fields of the header are
 * written verbatim, so a volume read and written again keeps its sform/qform exactly.
 *
 * Added by the project-service helper because the NIfTI module had no image writer yet; the
 * module's owner may fold it into index.ts.
 */
import { transformFieldsOf } from './niftiTransformFields'
import { promisify } from 'node:util'
import { gzip as gzipCallback, gzipSync } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import type { Mat4, Vec3, Volume, VolumeHeader, VoxelArray, VoxelDatatype } from '../../../shared/volume'
import { writeFileAtomic } from '../../storage/durableWrite'
import { niftiDatatypeByName } from './niftiDatatypes'
import { decodeNiftiHeader, encodeNiftiHeader, NIFTI1_MIN_VOX_OFFSET, type RawNiftiHeader } from './niftiHeaderCodec'
import { interpretNiftiHeader } from './niftiHeaderValidation'

const gzipAsync = promisify(gzipCallback)
/** Images are noisy: higher levels gain little and cost a lot of time. */
const GZIP_LEVEL = 3
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/**
 * NIFTI_UNITS_MM. Millimetres, and no time unit: Voxloop's images are 3D volumes, and a 4th dimension here holds
 * channels, which a time unit would make importers (Voxloop's own included, issue #14 item 4) read
 * as a time series.
 */
const UNITS_MM = 2
/** NIFTI_XFORM_ALIGNED_ANAT */
const XFORM_ALIGNED = 2

export function datatypeOfArray(data: VoxelArray): VoxelDatatype {
  if (data instanceof Uint8Array) return 'uint8'
  if (data instanceof Int8Array) return 'int8'
  if (data instanceof Int16Array) return 'int16'
  if (data instanceof Uint16Array) return 'uint16'
  if (data instanceof Int32Array) return 'int32'
  if (data instanceof Uint32Array) return 'uint32'
  if (data instanceof Float32Array) return 'float32'
  return 'float64'
}

export interface NewImageGrid {
  dims: Vec3
  /** Size of the 4th dimension; default 1. */
  channels?: number
  datatype: VoxelDatatype
  /** Voxel index → RAS mm; stored as the sform (code 2, aligned anatomy) with qform unset. */
  rasFromIjk: Mat4
  description?: string
}

function rawHeaderForGrid(grid: NewImageGrid): RawNiftiHeader {
  const channels = grid.channels ?? 1
  const datatype = niftiDatatypeByName(grid.datatype)
  const [row0, row1, row2] = grid.rasFromIjk
  const spacing = [0, 1, 2].map((axis) => Math.hypot(row0[axis] ?? 0, row1[axis] ?? 0, row2[axis] ?? 0))
  return {
    niftiVersion: 1,
    littleEndian: true,
    magic: 'n+1',
    dim: [channels > 1 ? 4 : 3, ...grid.dims, channels, 1, 1, 1],
    intentCode: 0,
    intentName: '',
    datatypeCode: datatype.code,
    bitpix: datatype.bytesPerVoxel * 8,
    pixdim: [1, ...spacing, 1, 0, 0, 0],
    voxOffset: NIFTI1_MIN_VOX_OFFSET,
    sclSlope: 1,
    sclInter: 0,
    description: grid.description ?? '',
    qformCode: 0,
    sformCode: XFORM_ALIGNED,
    quaternB: 0,
    quaternC: 0,
    quaternD: 0,
    qoffsetX: 0,
    qoffsetY: 0,
    qoffsetZ: 0,
    srowX: [...row0],
    srowY: [...row1],
    srowZ: [...row2],
    xyztUnits: UNITS_MM
  }
}

/**
 * The VolumeHeader a reader will produce for a new image on this grid (float32 round trip of the
 * NIfTI-1 fields included), so an in-memory volume matches the file written from it.
 */
export function imageHeaderForGrid(grid: NewImageGrid): VolumeHeader {
  const name = grid.description ?? 'new image'
  const stored = decodeNiftiHeader(encodeNiftiHeader(rawHeaderForGrid(grid)), name)
  return interpretNiftiHeader(stored, name, { isPair: false }).header
}

function imageRawHeader(volume: Volume): RawNiftiHeader {
  const { header, data } = volume
  const [nx, ny, nz] = header.dims
  const expected = nx * ny * nz * header.channels
  if (data.length !== expected) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `image data has ${data.length} values but ${nx}x${ny}x${nz}x${header.channels} needs ${expected}`
    )
  }
  const datatype = niftiDatatypeByName(datatypeOfArray(data))
  const g = header.geometry
  return {
    ...rawHeaderForGrid({ dims: header.dims, channels: header.channels, datatype: datatype.stored as VoxelDatatype, rasFromIjk: header.rasFromIjk }),
    description: header.description,
    pixdim: Array.from({ length: 8 }, (_, i) => g.pixdim[i] ?? 0),
    ...transformFieldsOf(g)
  }
}

function imageNiftiBytes(volume: Volume): Uint8Array {
  const header = encodeNiftiHeader(imageRawHeader(volume))
  const { data } = volume
  const out = new Uint8Array(header.length + data.byteLength)
  out.set(header, 0)
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length)
  if (!HOST_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    const body = Buffer.from(out.buffer, header.length)
    if (data.BYTES_PER_ELEMENT === 2) body.swap16()
    else if (data.BYTES_PER_ELEMENT === 4) body.swap32()
    else body.swap64()
  }
  return out
}

/** The gzipped .nii.gz bytes of an image volume; voxel values are written unscaled as stored in `data`. */
export function encodeImageNifti(volume: Volume): Uint8Array {
  return gzipSync(imageNiftiBytes(volume), { level: GZIP_LEVEL })
}

/** Compresses on the zlib thread pool and replaces `path` atomically. */
export async function writeImageNifti(path: string, volume: Volume): Promise<void> {
  if (!/\.nii\.gz$/i.test(path)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${path}: images are written as .nii.gz; use that extension`)
  }
  await writeFileAtomic(path, await gzipAsync(imageNiftiBytes(volume), { level: GZIP_LEVEL }))
}
