/**
 * Builds NIfTI-1/2 files of any byte order for tests, written from the nifti1.h / nifti2.h layouts
 * independently of src/ (a shared bug in reader and builder would otherwise go unnoticed).
 */
import { gzipSync } from 'node:zlib'

type Row = [number, number, number, number]

export interface NiftiSpec {
  version?: 1 | 2
  littleEndian?: boolean
  /** dim[1..]: e.g. [4, 5, 6] or [4, 5, 6, 2]; dim[0] is its length unless `rank` is given. */
  dims: number[]
  rank?: number
  datatype: number
  bitpix?: number
  /** pixdim[0..7] (pixdim[0] is qfac). */
  pixdim?: number[]
  voxOffset?: number
  sclSlope?: number
  sclInter?: number
  qformCode?: number
  sformCode?: number
  quatern?: [number, number, number]
  qoffset?: [number, number, number]
  srow?: [Row, Row, Row]
  magic?: string
  intentCode?: number
  xyztUnits?: number
  /** Bytes placed right after the 4-byte extension flag (the flag is set when present). */
  extension?: Uint8Array
}

export function headerBytes(spec: NiftiSpec, defaultVoxOffset: number): Uint8Array {
  const version = spec.version ?? 1
  const le = spec.littleEndian ?? true
  const size = version === 1 ? 348 : 540
  const extension = spec.extension ?? new Uint8Array(0)
  const out = new Uint8Array(size + 4 + extension.length)
  const v = new DataView(out.buffer)
  const dim = [spec.rank ?? spec.dims.length, ...spec.dims]
  while (dim.length < 8) dim.push(1)
  const pixdim = spec.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1]
  while (pixdim.length < 8) pixdim.push(0)
  const srow = spec.srow ?? [
    [pixdim[1], 0, 0, 0],
    [0, pixdim[2], 0, 0],
    [0, 0, pixdim[3], 0]
  ]
  const quatern = spec.quatern ?? [0, 0, 0]
  const qoffset = spec.qoffset ?? [0, 0, 0]
  const voxOffset = spec.voxOffset ?? defaultVoxOffset
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i)
  }
  v.setInt32(0, size, le)
  if (version === 1) {
    dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, le))
    v.setInt16(68, spec.intentCode ?? 0, le)
    v.setInt16(70, spec.datatype, le)
    v.setInt16(72, spec.bitpix ?? 0, le)
    pixdim.forEach((p, i) => v.setFloat32(76 + 4 * i, p, le))
    v.setFloat32(108, voxOffset, le)
    v.setFloat32(112, spec.sclSlope ?? 1, le)
    v.setFloat32(116, spec.sclInter ?? 0, le)
    v.setUint8(123, spec.xyztUnits ?? 10)
    v.setInt16(252, spec.qformCode ?? 0, le)
    v.setInt16(254, spec.sformCode ?? 0, le)
    ;[...quatern, ...qoffset].forEach((q, i) => v.setFloat32(256 + 4 * i, q, le))
    srow.flat().forEach((s, i) => v.setFloat32(280 + 4 * i, s, le))
    ascii(344, spec.magic ?? 'n+1')
  } else {
    ascii(4, spec.magic ?? 'n+2')
    out.set([0x0d, 0x0a, 0x1a, 0x0a], 8)
    v.setInt16(12, spec.datatype, le)
    v.setInt16(14, spec.bitpix ?? 0, le)
    dim.forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), le))
    pixdim.forEach((p, i) => v.setFloat64(104 + 8 * i, p, le))
    v.setBigInt64(168, BigInt(voxOffset), le)
    v.setFloat64(176, spec.sclSlope ?? 1, le)
    v.setFloat64(184, spec.sclInter ?? 0, le)
    v.setInt32(344, spec.qformCode ?? 0, le)
    v.setInt32(348, spec.sformCode ?? 0, le)
    ;[...quatern, ...qoffset].forEach((q, i) => v.setFloat64(352 + 8 * i, q, le))
    srow.flat().forEach((s, i) => v.setFloat64(400 + 8 * i, s, le))
    v.setInt32(500, spec.xyztUnits ?? 10, le)
    v.setInt32(504, spec.intentCode ?? 0, le)
  }
  if (extension.length > 0) out[size] = 1
  out.set(extension, size + 4)
  return out
}

/** Voxel bytes in the requested byte order (typed arrays hold host = little-endian order). */
export function voxelBytes(data: ArrayBufferView, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
  const size = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1
  if (!littleEndian && size > 1) {
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse()
  }
  return bytes
}

/** A single-file NIfTI (.nii), voxels at vox_offset (default right after header and extension). */
export function buildNifti(spec: NiftiSpec, data: ArrayBufferView): Uint8Array {
  const base = (spec.version ?? 1) === 1 ? 352 : 544
  const defaultOffset = base + (spec.extension?.length ?? 0)
  const header = headerBytes(spec, defaultOffset)
  const voxOffset = spec.voxOffset ?? defaultOffset
  const voxels = voxelBytes(data, spec.littleEndian ?? true)
  const out = new Uint8Array(Math.max(header.length, voxOffset) + voxels.length)
  out.set(header, 0)
  out.set(voxels, Math.max(header.length, voxOffset))
  return out
}

export function buildNiftiGz(spec: NiftiSpec, data: ArrayBufferView): Uint8Array {
  return gzipSync(buildNifti(spec, data))
}

/** A .hdr/.img pair: [header bytes, image bytes]; vox_offset defaults to 0 in the .img. */
export function buildNiftiPair(spec: NiftiSpec, data: ArrayBufferView): [Uint8Array, Uint8Array] {
  const magic = spec.magic ?? ((spec.version ?? 1) === 1 ? 'ni1' : 'ni2')
  const header = headerBytes({ ...spec, magic }, 0)
  const voxOffset = spec.voxOffset ?? 0
  const voxels = voxelBytes(data, spec.littleEndian ?? true)
  const image = new Uint8Array(voxOffset + voxels.length)
  image.set(voxels, voxOffset)
  return [header, image]
}
