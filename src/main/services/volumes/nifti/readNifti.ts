/**
 * Reading NIfTI-1/2 volumes (.nii, .nii.gz, .hdr/.img pairs, gzipped or not) into a Volume. Memory:
 * one buffer holding the stored voxels (zlib's own output buffer for .gz, which then also holds the
 * few header bytes before vox_offset), viewed as the typed array; a second array only when the
 * output type must differ (scaling to float32, planar RGB).
 */
import type { VoxloopError } from '../../../../shared/errors'
import type { Volume, VolumeHeader } from '../../../../shared/volume'
import { decodeVoxels } from './decodeVoxels'
import { FileByteStream, type StreamLabel } from './FileByteStream'
import { formatCount, niftiInvalid, niftiUnsupported } from './niftiErrors'
import { resolveNiftiFiles, type NiftiFiles } from './niftiFiles'
import { decodeNiftiHeader, NIFTI2_HEADER_BYTES } from './niftiHeaderCodec'
import { interpretNiftiHeader, type NiftiDataLayout } from './niftiHeaderValidation'

/** After the voxels, inflate at most this much more to reach (and check) the gzip trailer. */
const MAX_TRAILING_BYTES = 16 << 20
/** Bytes besides the voxels (header, extensions) that a voxel view may keep alive in its buffer. */
const MAX_RETAINED_EXTRA_BYTES = 64 << 10
/** Header-only reads inflate in small chunks: a listing of hundreds of files must stay cheap. */
const HEADER_CHUNK_BYTES = 16 << 10

function labels(path: string, files: NiftiFiles): { header: StreamLabel; data: StreamLabel } {
  if (!files.isPair) return { header: { reportPath: path, what: 'file' }, data: { reportPath: path, what: 'file' } }
  const describe = (file: string, kind: string): string => (file === path ? 'file' : `${kind} file ${file}`)
  return {
    header: { reportPath: path, what: describe(files.headerPath, 'header') },
    data: { reportPath: path, what: describe(files.dataPath, 'image') }
  }
}

async function readLayout(stream: FileByteStream, path: string, files: NiftiFiles, what: string): Promise<NiftiDataLayout> {
  const raw = decodeNiftiHeader(await stream.peek(NIFTI2_HEADER_BYTES), path, what)
  return interpretNiftiHeader(raw, path, { isPair: files.isPair })
}

function truncated(label: StreamLabel, layout: NiftiDataLayout, available: number): VoxloopError {
  const { voxOffset, dataBytes } = layout
  if (available < voxOffset) {
    return niftiInvalid(
      label.reportPath,
      `${label.what} is truncated: vox_offset ${formatCount(voxOffset)} is past the end of the data (${formatCount(available)} bytes)`
    )
  }
  return niftiInvalid(
    label.reportPath,
    `${label.what} is truncated: header needs ${formatCount(dataBytes)} bytes of voxel data after vox_offset ${formatCount(voxOffset)} but only ${formatCount(available - voxOffset)} remain`
  )
}

/** A fresh buffer of exactly `bytes`, at offset 0 (so every typed array view is aligned). */
function allocateVoxelBuffer(bytes: number, label: StreamLabel): Uint8Array {
  try {
    // Unzeroed: every byte is overwritten before the buffer is ever exposed.
    return new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes)
  } catch (error) {
    throw niftiUnsupported(label.reportPath, `not enough memory for ${formatCount(bytes)} bytes of voxel data`, error)
  }
}

/** Chunks that are consecutive slices of one ArrayBuffer, as zlib produces into a single output buffer. */
function contiguousView(chunks: Buffer[], bytes: number): Uint8Array | null {
  const first = chunks[0]
  if (!first) return null
  let end = first.byteOffset
  for (const chunk of chunks) {
    if (chunk.buffer !== first.buffer || chunk.byteOffset !== end) return null
    end += chunk.length
  }
  return new Uint8Array(first.buffer, first.byteOffset, bytes)
}

/**
 * The voxel bytes, as an aligned view: read into a fresh buffer for a raw file (whose size is
 * checked first), viewed in place in zlib's output when it is one aligned run, copied otherwise
 * (several gzip members, an ISIZE trailer that lied, an odd vox_offset).
 */
async function readVoxelBytes(stream: FileByteStream, layout: NiftiDataLayout, label: StreamLabel): Promise<Uint8Array> {
  const { voxOffset, dataBytes, datatype } = layout
  const exact = stream.exactTotalBytes
  if (exact !== null && exact < voxOffset + dataBytes) throw truncated(label, layout, exact)

  const skipped = await stream.skip(voxOffset)
  if (skipped < voxOffset) throw truncated(label, layout, skipped)

  if (exact !== null) {
    const target = allocateVoxelBuffer(dataBytes, label)
    const got = await stream.readInto(target)
    if (got < dataBytes) throw truncated(label, layout, voxOffset + got)
    return target
  }
  // Collecting before allocating: a bogus header cannot make us reserve more than the file holds.
  const { chunks, bytes } = await stream.readChunks(dataBytes)
  if (bytes < dataBytes) throw truncated(label, layout, voxOffset + bytes)
  const view = contiguousView(chunks, dataBytes)
  // The view keeps its whole buffer alive: fine for a few header bytes, not for a buffer that an
  // inflated ISIZE claim or trailing data made much larger than the voxels.
  const retainedExtra = view ? view.buffer.byteLength - dataBytes : Number.POSITIVE_INFINITY
  if (view && view.byteOffset % datatype.bytesPerElement === 0 && retainedExtra <= Math.max(MAX_RETAINED_EXTRA_BYTES, dataBytes / 16)) return view
  const target = allocateVoxelBuffer(dataBytes, label)
  let offset = 0
  for (const chunk of chunks) {
    target.set(chunk, offset)
    offset += chunk.length
  }
  return target
}

/**
 * Reads a whole volume. Throws VoxloopError: NIFTI_INVALID (corrupt, truncated, not NIfTI),
 * NIFTI_UNSUPPORTED (valid but out of scope: 5D+, CIFTI, complex…), NOT_FOUND, FORBIDDEN.
 */
export async function readNifti(path: string): Promise<Volume> {
  const files = await resolveNiftiFiles(path)
  const streamLabels = labels(path, files)
  const headerStream = await FileByteStream.open(files.headerPath, streamLabels.header, { singleOutputBuffer: !files.isPair })
  let dataStream: FileByteStream | null = null
  try {
    const layout = await readLayout(headerStream, path, files, streamLabels.header.what)
    if (files.isPair) {
      await headerStream.close()
      dataStream = await FileByteStream.open(files.dataPath, streamLabels.data, { singleOutputBuffer: true })
    }
    const stream = dataStream ?? headerStream
    const voxelBytes = await readVoxelBytes(stream, layout, streamLabels.data)
    // Reaching the end makes zlib verify the CRC of everything we just read.
    await stream.drain(MAX_TRAILING_BYTES)
    return { header: layout.header, data: decodeVoxels(voxelBytes, layout) }
  } finally {
    await headerStream.close()
    await dataStream?.close()
  }
}

/**
 * Header only, for import listings: inflates only the first few kilobytes. The data size is checked
 * against uncompressed files; a gzipped file's truncation only shows when it is read.
 */
export async function readNiftiHeader(path: string): Promise<VolumeHeader> {
  const files = await resolveNiftiFiles(path)
  const streamLabels = labels(path, files)
  const headerStream = await FileByteStream.open(files.headerPath, streamLabels.header, { chunkBytes: HEADER_CHUNK_BYTES })
  let layout: NiftiDataLayout
  try {
    layout = await readLayout(headerStream, path, files, streamLabels.header.what)
    if (!files.isPair) {
      const exact = headerStream.exactTotalBytes
      if (exact !== null && exact < layout.voxOffset + layout.dataBytes) throw truncated(streamLabels.data, layout, exact)
    }
  } finally {
    await headerStream.close()
  }
  if (files.isPair) {
    const dataStream = await FileByteStream.open(files.dataPath, streamLabels.data, { chunkBytes: HEADER_CHUNK_BYTES })
    try {
      const exact = dataStream.exactTotalBytes
      if (exact !== null && exact < layout.voxOffset + layout.dataBytes) throw truncated(streamLabels.data, layout, exact)
    } finally {
      await dataStream.close()
    }
  }
  return layout.header
}
