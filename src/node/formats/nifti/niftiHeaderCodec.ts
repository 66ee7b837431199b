/**
 * The byte layout of NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers, in one place for reading and
 * writing. Decoding only reads fields; deciding whether they make sense is niftiHeaderValidation's job.
 *
 * We parse headers ourselves rather than through nifti-reader-js: that package is ESM-only with an
 * `exports` map that has no `require` condition, so it cannot load under tsx/CommonJS (the CLI and the
 * bench), and on corrupt extension sizes its extension walker can loop or throw plain Errors.
 */
import { otherFormat } from '../otherFormats'
import { niftiInvalid, niftiUnsupported } from './niftiErrors'

export const NIFTI1_HEADER_BYTES = 348
export const NIFTI2_HEADER_BYTES = 540
/** The header plus the 4-byte extension flag: where voxel data may start in a single file. */
export const NIFTI1_MIN_VOX_OFFSET = 352
export const NIFTI2_MIN_VOX_OFFSET = 544

export type NiftiMagic = 'n+1' | 'ni1' | 'n+2' | 'ni2'

/** Header fields as stored, numbers widened to float64; int64 fields of NIfTI-2 become Numbers. */
export interface RawNiftiHeader {
  niftiVersion: 1 | 2
  littleEndian: boolean
  magic: NiftiMagic
  /** dim[0..7]; dim[0] is the number of dimensions used. */
  dim: number[]
  intentCode: number
  intentName: string
  datatypeCode: number
  bitpix: number
  /** pixdim[0..7]; pixdim[0] is qfac. */
  pixdim: number[]
  voxOffset: number
  sclSlope: number
  sclInter: number
  description: string
  qformCode: number
  sformCode: number
  quaternB: number
  quaternC: number
  quaternD: number
  qoffsetX: number
  qoffsetY: number
  qoffsetZ: number
  srowX: [number, number, number, number]
  srowY: [number, number, number, number]
  srowZ: [number, number, number, number]
  xyztUnits: number
}

function readString(bytes: Uint8Array, start: number, length: number): string {
  const slice = bytes.subarray(start, start + length)
  const end = slice.indexOf(0)
  // latin1 never throws on arbitrary bytes, unlike a strict UTF-8 decode.
  return Buffer.from(slice.buffer, slice.byteOffset, end === -1 ? slice.length : end).toString('latin1')
}

/** Which header layout and byte order `sizeof_hdr` announces, or null for "not a NIfTI header". */
export function detectNiftiLayout(bytes: Uint8Array): { niftiVersion: 1 | 2; littleEndian: boolean } | null {
  if (bytes.length < 4) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const little = view.getInt32(0, true)
  const big = view.getInt32(0, false)
  if (little === NIFTI1_HEADER_BYTES) return { niftiVersion: 1, littleEndian: true }
  if (big === NIFTI1_HEADER_BYTES) return { niftiVersion: 1, littleEndian: false }
  if (little === NIFTI2_HEADER_BYTES) return { niftiVersion: 2, littleEndian: true }
  if (big === NIFTI2_HEADER_BYTES) return { niftiVersion: 2, littleEndian: false }
  return null
}

/**
 * Decodes the first 348/540 bytes. Throws NIFTI_INVALID for a file that is not NIfTI at all or whose
 * header is cut short, NIFTI_UNSUPPORTED for an ANALYZE 7.5 header (right size, no NIfTI magic).
 */
export function decodeNiftiHeader(bytes: Uint8Array, path: string, sourceDescription = 'file'): RawNiftiHeader {
  if (bytes.length === 0) throw niftiInvalid(path, `not a NIfTI file: the ${sourceDescription} is empty`)
  const layout = detectNiftiLayout(bytes)
  if (!layout) {
    const shown = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) : null
    throw niftiInvalid(
      path,
      shown === null
        ? `not a NIfTI file: the ${sourceDescription} has only ${bytes.length} bytes`
        : `not a NIfTI file: ${otherFormat(bytes) ?? `sizeof_hdr is ${shown}, expected 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order`}`
    )
  }
  const headerBytes = layout.niftiVersion === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES
  if (bytes.length < headerBytes) {
    throw niftiInvalid(
      path,
      `file is truncated: a NIfTI-${layout.niftiVersion} header needs ${headerBytes} bytes but the ${sourceDescription} has only ${bytes.length}`
    )
  }
  return layout.niftiVersion === 1
    ? decodeNifti1(bytes, layout.littleEndian, path)
    : decodeNifti2(bytes, layout.littleEndian, path)
}

function decodeNifti1(bytes: Uint8Array, le: boolean, path: string): RawNiftiHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, NIFTI1_HEADER_BYTES)
  const magic = readString(bytes, 344, 4)
  if (magic !== 'n+1' && magic !== 'ni1') {
    throw niftiUnsupported(
      path,
      `ANALYZE 7.5 or unknown header: sizeof_hdr is 348 but the NIfTI-1 magic is missing (found ${JSON.stringify(magic)})`
    )
  }
  const f32 = (offset: number): number => v.getFloat32(offset, le)
  const i16 = (offset: number): number => v.getInt16(offset, le)
  const row = (offset: number): [number, number, number, number] => [f32(offset), f32(offset + 4), f32(offset + 8), f32(offset + 12)]
  return {
    niftiVersion: 1,
    littleEndian: le,
    magic,
    dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
    intentCode: i16(68),
    intentName: readString(bytes, 328, 16),
    datatypeCode: i16(70),
    bitpix: i16(72),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: v.getUint8(123),
    description: readString(bytes, 148, 80),
    qformCode: i16(252),
    sformCode: i16(254),
    quaternB: f32(256),
    quaternC: f32(260),
    quaternD: f32(264),
    qoffsetX: f32(268),
    qoffsetY: f32(272),
    qoffsetZ: f32(276),
    srowX: row(280),
    srowY: row(296),
    srowZ: row(312)
  }
}

function decodeNifti2(bytes: Uint8Array, le: boolean, path: string): RawNiftiHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, NIFTI2_HEADER_BYTES)
  const magic = readString(bytes, 4, 4)
  if (magic !== 'n+2' && magic !== 'ni2') {
    throw niftiInvalid(path, `sizeof_hdr is 540 but the NIfTI-2 magic is missing (found ${JSON.stringify(magic)})`)
  }
  // nifti2.h ends the magic with \r\n\032\n precisely so that a text-mode transfer, which rewrites
  // line ends, shows; nibabel refuses such a file, and so do we. All zero is tolerated, as nibabel does.
  const eol = Array.from(bytes.subarray(8, 12))
  if (eol.some((b) => b !== 0) && eol.join() !== '13,10,26,10') {
    throw niftiInvalid(path, `the NIfTI-2 magic's line-end check bytes are ${eol.join(', ')} instead of 13, 10, 26, 10: the file was probably damaged by a text-mode transfer`)
  }
  const f64 = (offset: number): number => v.getFloat64(offset, le)
  // int64 fields: Number() keeps the order of magnitude, which is all that validation needs.
  const i64 = (offset: number): number => Number(v.getBigInt64(offset, le))
  const i32 = (offset: number): number => v.getInt32(offset, le)
  const row = (offset: number): [number, number, number, number] => [f64(offset), f64(offset + 8), f64(offset + 16), f64(offset + 24)]
  return {
    niftiVersion: 2,
    littleEndian: le,
    magic,
    datatypeCode: v.getInt16(12, le),
    bitpix: v.getInt16(14, le),
    dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
    pixdim: Array.from({ length: 8 }, (_, i) => f64(104 + 8 * i)),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    description: readString(bytes, 240, 80),
    qformCode: i32(344),
    sformCode: i32(348),
    quaternB: f64(352),
    quaternC: f64(360),
    quaternD: f64(368),
    qoffsetX: f64(376),
    qoffsetY: f64(384),
    qoffsetZ: f64(392),
    srowX: row(400),
    srowY: row(432),
    srowZ: row(464),
    xyztUnits: i32(500),
    intentCode: i32(504),
    intentName: readString(bytes, 508, 16)
  }
}

/**
 * Little-endian header plus the 4-byte extension flag (all zero: no extensions), ready to be followed
 * by voxel data at `voxOffset` (which must equal the returned length for a single file).
 */
export function encodeNiftiHeader(h: RawNiftiHeader): Uint8Array {
  const total = h.niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET
  const bytes = new Uint8Array(total)
  const v = new DataView(bytes.buffer)
  const writeString = (offset: number, length: number, value: string): void => {
    bytes.set(Buffer.from(value, 'latin1').subarray(0, length - 1), offset)
  }
  if (h.niftiVersion === 1) {
    v.setInt32(0, NIFTI1_HEADER_BYTES, true)
    v.setUint8(38, 'r'.charCodeAt(0)) // "regular": ANALYZE readers expect it
    h.dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, true))
    v.setInt16(68, h.intentCode, true)
    v.setInt16(70, h.datatypeCode, true)
    v.setInt16(72, h.bitpix, true)
    h.pixdim.forEach((p, i) => v.setFloat32(76 + 4 * i, p, true))
    v.setFloat32(108, h.voxOffset, true)
    v.setFloat32(112, h.sclSlope, true)
    v.setFloat32(116, h.sclInter, true)
    v.setUint8(123, h.xyztUnits & 0xff)
    writeString(148, 80, h.description)
    v.setInt16(252, h.qformCode, true)
    v.setInt16(254, h.sformCode, true)
    ;[h.quaternB, h.quaternC, h.quaternD, h.qoffsetX, h.qoffsetY, h.qoffsetZ].forEach((q, i) => v.setFloat32(256 + 4 * i, q, true))
    ;[...h.srowX, ...h.srowY, ...h.srowZ].forEach((s, i) => v.setFloat32(280 + 4 * i, s, true))
    writeString(328, 16, h.intentName)
    writeString(344, 4, h.magic)
  } else {
    v.setInt32(0, NIFTI2_HEADER_BYTES, true)
    bytes.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4) // "n+2\0\r\n\032\n"
    if (h.magic === 'ni2') bytes[5] = 0x69
    v.setInt16(12, h.datatypeCode, true)
    v.setInt16(14, h.bitpix, true)
    h.dim.forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), true))
    h.pixdim.forEach((p, i) => v.setFloat64(104 + 8 * i, p, true))
    v.setBigInt64(168, BigInt(h.voxOffset), true)
    v.setFloat64(176, h.sclSlope, true)
    v.setFloat64(184, h.sclInter, true)
    writeString(240, 80, h.description)
    v.setInt32(344, h.qformCode, true)
    v.setInt32(348, h.sformCode, true)
    ;[h.quaternB, h.quaternC, h.quaternD, h.qoffsetX, h.qoffsetY, h.qoffsetZ].forEach((q, i) => v.setFloat64(352 + 8 * i, q, true))
    ;[...h.srowX, ...h.srowY, ...h.srowZ].forEach((s, i) => v.setFloat64(400 + 8 * i, s, true))
    v.setInt32(500, h.xyztUnits, true)
    v.setInt32(504, h.intentCode, true)
    writeString(508, 16, h.intentName)
  }
  return bytes
}
