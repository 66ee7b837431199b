/**
 * Label maps as .nii.gz on exactly their image's grid: dims, pixdim, qform/sform with their codes
 * and xyzt_units are copied field for field from the image header, so the label overlays its image
 * in ITK-SNAP, 3D Slicer, nibabel and nnU-Net without any resampling.
 */
import { transformFieldsOf } from './niftiTransformFields'
import { promisify } from 'node:util'
import { gzip as gzipCallback, gzipSync } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import type { LabelArray, NiftiGeometry, VolumeHeader } from '../../../shared/volume'
import { writeFileAtomic } from '../../storage/durableWrite'
import { niftiDatatypeByName } from './niftiDatatypes'
import { encodeNiftiHeader, NIFTI1_MIN_VOX_OFFSET, NIFTI2_MIN_VOX_OFFSET, type RawNiftiHeader } from './niftiHeaderCodec'

const gzipAsync = promisify(gzipCallback)
/**
 * zlib's default. On real label maps (TotalSegmentator 512×512×20, MSD spleen) level 6 gives files
 * half the size of level 1 for about 4× the time, which is still ~20 ms per 5 MB label and runs on
 * the zlib thread pool.
 */
const GZIP_LEVEL = 6
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** True when every geometry number survives a round trip through float32 (the NIfTI-1 field type). */
function fitsFloat32(geometry: NiftiGeometry): boolean {
  const values = [
    ...geometry.pixdim,
    geometry.quaternB,
    geometry.quaternC,
    geometry.quaternD,
    geometry.qoffsetX,
    geometry.qoffsetY,
    geometry.qoffsetZ,
    ...geometry.srowX,
    ...geometry.srowY,
    ...geometry.srowZ
  ]
  return values.every((v) => Number.isNaN(v) || Math.fround(v) === v)
}

/** The description of every label map Voxloop writes: how `voxloop predict` knows a file it may replace. */
export const VOXLOOP_LABEL_DESCRIPTION = 'Voxloop label map'

/**
 * The header of a label for `imageHeader`. NIfTI-1 as asked for; NIfTI-2 only when the image's
 * geometry holds float64 values that NIfTI-1's float32 fields would round (a NIfTI-2 image with a
 * full-precision affine), since a label that is off its image's grid by rounding is worse than a
 * newer header version.
 */
export function labelNiftiHeader(labels: LabelArray, imageHeader: VolumeHeader): RawNiftiHeader {
  const [nx, ny, nz] = imageHeader.dims
  if (labels.length !== nx * ny * nz) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `label array has ${labels.length} voxels but the image grid ${nx}x${ny}x${nz} has ${nx * ny * nz}`
    )
  }
  const g = imageHeader.geometry
  const niftiVersion = fitsFloat32(g) ? 1 : 2
  const datatype = niftiDatatypeByName(labels instanceof Uint8Array ? 'uint8' : 'uint16')
  const pixdim = Array.from({ length: 8 }, (_, i) => g.pixdim[i] ?? 0)
  return {
    niftiVersion,
    littleEndian: true,
    magic: niftiVersion === 1 ? 'n+1' : 'n+2',
    dim: [3, nx, ny, nz, 1, 1, 1, 1],
    intentCode: 0,
    intentName: '',
    datatypeCode: datatype.code,
    bitpix: datatype.bytesPerVoxel * 8,
    pixdim,
    voxOffset: niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET,
    sclSlope: 1,
    sclInter: 0,
    description: VOXLOOP_LABEL_DESCRIPTION,
    ...transformFieldsOf(g)
  }
}

/** Header + voxels, uncompressed (the one copy of the labels that gzip needs as input). */
function labelNiftiBytes(labels: LabelArray, imageHeader: VolumeHeader): Uint8Array {
  const header = encodeNiftiHeader(labelNiftiHeader(labels, imageHeader))
  const out = new Uint8Array(header.length + labels.byteLength)
  out.set(header, 0)
  out.set(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength), header.length)
  if (labels instanceof Uint16Array && !HOST_LITTLE_ENDIAN) Buffer.from(out.buffer, header.length).swap16()
  return out
}

/** The gzipped .nii.gz bytes of a label map for `imageHeader` (for export and for the writer). */
export function encodeLabelNifti(labels: LabelArray, imageHeader: VolumeHeader): Uint8Array {
  return gzipSync(labelNiftiBytes(labels, imageHeader), { level: GZIP_LEVEL })
}

/** Compresses off the main thread (zlib thread pool) and replaces `path` atomically. */
export async function writeLabelNifti(path: string, labels: LabelArray, imageHeader: VolumeHeader): Promise<void> {
  if (!/\.nii\.gz$/i.test(path)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${path}: label maps are written as .nii.gz; use that extension`)
  }
  const compressed = await gzipAsync(labelNiftiBytes(labels, imageHeader), { level: GZIP_LEVEL })
  await writeFileAtomic(path, compressed)
}
