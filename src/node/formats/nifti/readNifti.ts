/**
 * Reading NIfTI-1/2 volumes (.nii, .nii.gz, .hdr/.img pairs, gzipped or not) into a Volume. Memory:
 * one buffer holding the stored voxels (zlib's own output buffer for .gz, which then also holds the
 * few header bytes before vox_offset), viewed as the typed array; a second array only when the
 * output type must differ (scaling to float32, planar RGB).
 *
 * The header is read first, inflating only a few kilobytes, and its declared size is checked
 * against the voxel limit before anything of that size exists; a gzipped file is then inflated
 * into exactly the declared size and no further, so a small file cannot make us inflate or hold
 * more than its header admits to (a gzip bomb costs what its header declares, and is refused when
 * that is too much).
 */
import type { VoxloopError } from '../../../shared/errors'
import type { Volume, VolumeHeader } from '../../../shared/volume'
import { decodeVoxels } from './decodeVoxels'
import { FileByteStream, type StreamLabel } from './FileByteStream'
import { formatCount, niftiInvalid, niftiUnsupported } from './niftiErrors'
import { resolveNiftiFiles, type NiftiFiles } from './niftiFiles'
import { decodeNiftiHeader, NIFTI2_HEADER_BYTES } from './niftiHeaderCodec'
import { interpretNiftiHeader, type NiftiDataLayout } from './niftiHeaderValidation'

/** Deflate cannot expand data by more than about 1032:1, so a file claiming more is truncated. */
const MAX_DEFLATE_RATIO = 1032
/**
 * Below this declared size a gzipped file is simply inflated, which finds the exact shortfall for
 * the message; above it the ratio check refuses at once rather than reserve the declared buffer.
 */
const RATIO_CHECK_FROM_BYTES = 64 * 2 ** 20
/** Bytes besides the voxels (header, extensions) that a voxel view may keep alive in its buffer. */
const MAX_RETAINED_EXTRA_BYTES = 64 << 10
/** Header-only reads inflate in small chunks: a listing of hundreds of files must stay cheap. */
const HEADER_CHUNK_BYTES = 16 << 10

export interface ReadNiftiOptions {
  /** Refuse volumes needing more voxel bytes than this (see defaultMaxVoxelBytes). */
  maxVoxelBytes?: number
}

function labels(path: string, files: NiftiFiles): { header: StreamLabel; data: StreamLabel } {
  if (!files.isPair) return { header: { reportPath: path, what: 'file' }, data: { reportPath: path, what: 'file' } }
  const describe = (file: string, kind: string): string => (file === path ? 'file' : `${kind} file ${file}`)
  return {
    header: { reportPath: path, what: describe(files.headerPath, 'header') },
    data: { reportPath: path, what: describe(files.dataPath, 'image') }
  }
}

async function readLayout(
  stream: FileByteStream,
  path: string,
  files: NiftiFiles,
  what: string,
  options: ReadNiftiOptions
): Promise<NiftiDataLayout> {
  const raw = decodeNiftiHeader(await stream.peek(NIFTI2_HEADER_BYTES), path, what)
  return interpretNiftiHeader(raw, path, { isPair: files.isPair, ...options })
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
 * (an odd vox_offset, large extensions, a volume too large for one zlib buffer).
 */
/**
 * Refuses a data file that cannot hold what the header declares, before any voxel buffer exists:
 * exactly for a raw file, by deflate's maximum ratio for a gzipped one.
 */
function checkDeclaredSize(stream: FileByteStream, layout: NiftiDataLayout, label: StreamLabel): void {
  const declared = layout.voxOffset + layout.dataBytes
  const exact = stream.exactTotalBytes
  if (exact !== null && exact < declared) throw truncated(label, layout, exact)
  if (stream.compressed && declared > RATIO_CHECK_FROM_BYTES && declared > stream.fileBytes * MAX_DEFLATE_RATIO) {
    throw niftiInvalid(
      label.reportPath,
      `${label.what} is truncated: the header declares ${formatCount(declared)} bytes but ${formatCount(stream.fileBytes)} bytes of gzip cannot hold more than ${formatCount(stream.fileBytes * MAX_DEFLATE_RATIO)}`
    )
  }
}

/** checkDeclaredSize for the .img half of a pair, opened only for that. */
async function checkPairData(dataPath: string, label: StreamLabel, layout: NiftiDataLayout): Promise<void> {
  const probe = await FileByteStream.open(dataPath, label, { chunkBytes: HEADER_CHUNK_BYTES })
  try {
    checkDeclaredSize(probe, layout, label)
  } finally {
    await probe.close()
  }
}

/** Opens the data for a whole read: a gzip stream inflates into one buffer of the declared size. */
function openData(path: string, label: StreamLabel, layout: NiftiDataLayout): Promise<FileByteStream> {
  const declared = layout.voxOffset + layout.dataBytes
  return FileByteStream.open(path, label, { outputBytes: declared + 1, maxOutputBytes: declared })
}

async function readVoxelBytes(stream: FileByteStream, layout: NiftiDataLayout, label: StreamLabel): Promise<Uint8Array> {
  const { voxOffset, dataBytes, datatype } = layout
  const exact = stream.exactTotalBytes

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
  // The view keeps its whole buffer alive: fine for a few header bytes, not for large extensions
  // before vox_offset.
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

/** Reads and checks the header, and checks that the data file can hold what it declares. */
async function checkedLayout(path: string, files: NiftiFiles, streamLabels: ReturnType<typeof labels>, options: ReadNiftiOptions): Promise<NiftiDataLayout> {
  const headerStream = await FileByteStream.open(files.headerPath, streamLabels.header, { chunkBytes: HEADER_CHUNK_BYTES })
  let layout: NiftiDataLayout
  try {
    layout = await readLayout(headerStream, path, files, streamLabels.header.what, options)
    if (!files.isPair) checkDeclaredSize(headerStream, layout, streamLabels.data)
  } finally {
    await headerStream.close()
  }
  if (files.isPair) await checkPairData(files.dataPath, streamLabels.data, layout)
  return layout
}

/**
 * Reads a whole volume. Throws VoxloopError: NIFTI_INVALID (corrupt, truncated, not NIfTI, not a
 * regular file), NIFTI_UNSUPPORTED (valid but out of scope: 5D+, CIFTI, complex, too large…),
 * NOT_FOUND, FORBIDDEN.
 */
export async function readNifti(path: string, options: ReadNiftiOptions = {}): Promise<Volume> {
  const files = await resolveNiftiFiles(path)
  const streamLabels = labels(path, files)
  const layout = await checkedLayout(path, files, streamLabels, options)
  // Opened afresh so that a gzipped file inflates into one buffer of the declared size
  // (re-inflating the header's few kilobytes costs nothing).
  const stream = await openData(files.dataPath, streamLabels.data, layout)
  try {
    const voxelBytes = await readVoxelBytes(stream, layout, streamLabels.data)
    // Reaching the end makes zlib verify the CRC of everything we just read; a stream that goes on
    // past the declared size was already stopped there, so this inflates nothing more.
    await stream.drain(0)
    return { header: layout.header, data: decodeVoxels(voxelBytes, layout) }
  } finally {
    await stream.close()
  }
}

/**
 * Header only, for import listings: inflates only the first few kilobytes. The data size is checked
 * exactly against uncompressed files, and against deflate's maximum ratio for gzipped ones (whose
 * truncation otherwise only shows when they are read).
 */
export async function readNiftiHeader(path: string, options: ReadNiftiOptions = {}): Promise<VolumeHeader> {
  return (await readNiftiLayout(path, options)).header
}

/** The header's layout (header, voxel offset and size), with the same checks as readNiftiHeader. */
export async function readNiftiLayout(path: string, options: ReadNiftiOptions = {}): Promise<NiftiDataLayout> {
  const files = await resolveNiftiFiles(path)
  return checkedLayout(path, files, labels(path, files), options)
}
