/**
 * Header extensions of a single-file NIfTI, checked so that every file Voxloop stores can be read
 * by other tools. Our reader skips extensions by vox_offset and never looks at them, but nibabel
 * (Nifti1Extensions.from_fileobj) walks them as esize/ecode pairs up to vox_offset and fails the
 * whole load on an esize below 16 or past vox_offset, on a DICOM (ecode 2) or CIFTI (ecode 32)
 * extension whose content pydicom or its XML parser cannot parse, and on a set extension flag with
 * vox_offset 0 (it then reads "extensions" to the end of the file); it also refuses a vox_offset
 * below the header's end.
 *
 * Rather than rewrite the file, a bad extension is neutralised in place by a few byte patches:
 * vox_offset, the voxels and every valid extension stay exactly where they are.
 * - esize not a positive multiple of 16 or running past vox_offset: from there to vox_offset
 *   becomes one "ignore" extension (ecode 0) sized to the largest multiple of 16 that fits, so
 *   nothing after it is parsed (any walk is lost at a bad esize anyway);
 * - ecode that is not an even code in nifti1.h's list (0–NIFTI_MAX_ECODE), or one whose content
 *   other readers parse and we cannot check (DICOM; CIFTI XML, meaningless on the volumes we read
 *   since we refuse CIFTI files): the ecode becomes 0 and the content stays, inert;
 * - vox_offset below the end of the header (0 is read as "right after it"): set to exactly that.
 */
import { FileByteStream } from './FileByteStream'
import { formatCount } from './niftiErrors'
import { decodeNiftiHeader, NIFTI1_HEADER_BYTES, NIFTI1_MIN_VOX_OFFSET, NIFTI2_HEADER_BYTES, NIFTI2_MIN_VOX_OFFSET } from './niftiHeaderCodec'
import { interpretNiftiHeader, type NiftiDataLayout } from './niftiHeaderValidation'
import type { ReadNiftiOptions } from './readNifti'

/** nifti1.h's highest extension code (NIFTI_ECODE_MRS, 44) at the time of writing. */
export const NIFTI_MAX_ECODE = 44
const ECODE_IGNORE = 0
/** Codes whose content nibabel parses (pydicom, CIFTI-2 XML), failing the whole load when it is damaged. */
const PARSED_ECODES = new Map([
  [2, 'a DICOM extension (ecode 2), whose content cannot be checked here'],
  [32, 'a CIFTI extension (ecode 32), whose XML cannot be checked here and which only CIFTI files use']
])
/** Header extensions are small (XML label tables, JSON sidecars); a bigger area is not walked. */
const HEADER_CHUNK_BYTES = 16 << 10

/** Bytes to overwrite in the decompressed file, at `offset` from its start. */
export interface BytePatch {
  offset: number
  bytes: Uint8Array
}

export interface ExtensionCheck {
  /** Where the voxels start and how many bytes they take, as the reader sees them. */
  layout: NiftiDataLayout
  /** Whether the file is gzipped (by its content, whatever its name says). */
  compressed: boolean
  /** Empty when the file can be stored as it is. */
  patches: BytePatch[]
  /** What was dropped and why, one entry per fix, for the import report. */
  dropped: string[]
}

function int32(value: number, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setInt32(0, value, littleEndian)
  return bytes
}

function voxOffsetPatch(niftiVersion: 1 | 2, value: number, littleEndian: boolean): BytePatch {
  if (niftiVersion === 1) {
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, littleEndian)
    return { offset: 108, bytes }
  }
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), littleEndian)
  return { offset: 168, bytes }
}

function ecodeProblem(ecode: number): string | null {
  const parsed = PARSED_ECODES.get(ecode)
  if (parsed) return parsed
  if (!(ecode >= 0 && ecode <= NIFTI_MAX_ECODE && ecode % 2 === 0)) return `ecode ${ecode} is not a NIfTI extension code`
  return null
}

/**
 * Checks a single-file NIfTI's header extensions (see the module comment); reads only the header
 * and the extension area. Throws like readNiftiHeader for a file that cannot be read at all.
 */
export async function checkNiftiExtensions(path: string, options: ReadNiftiOptions = {}): Promise<ExtensionCheck> {
  const stream = await FileByteStream.open(path, { reportPath: path, what: 'file' }, { chunkBytes: HEADER_CHUNK_BYTES })
  try {
    const head = await stream.peek(NIFTI2_HEADER_BYTES + 4)
    const raw = decodeNiftiHeader(head, path)
    const layout = interpretNiftiHeader(raw, path, { isPair: false, ...options })
    const le = raw.littleEndian
    const headerBytes = raw.niftiVersion === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES
    const minimum = raw.niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET
    const check: ExtensionCheck = { layout, compressed: stream.compressed, patches: [], dropped: [] }
    if (raw.voxOffset < minimum && raw.voxOffset !== 0) {
      check.patches.push(voxOffsetPatch(raw.niftiVersion, minimum, le))
      check.dropped.push(`vox_offset ${raw.voxOffset} is inside the header; set to ${minimum}, where the voxels are read from`)
    }
    const extensionFlag = head[headerBytes] ?? 0
    if (extensionFlag === 0) return check
    if (raw.voxOffset === 0) {
      // nibabel would look for extensions up to the end of the file.
      check.patches.push({ offset: headerBytes, bytes: new Uint8Array(4) })
      check.dropped.push('the extension flag is set but vox_offset is 0 (no room for extensions); flag cleared')
      return check
    }
    const end = layout.voxOffset
    let position = minimum
    if ((await stream.skip(position)) < position) return check
    const pair = new Uint8Array(8)
    while (end - position >= 16) {
      if ((await stream.readInto(pair)) < 8) break
      const view = new DataView(pair.buffer)
      const esize = view.getInt32(0, le)
      const ecode = view.getInt32(4, le)
      const room = end - position
      const sizeProblem =
        esize < 16 || esize % 16 !== 0
          ? `esize ${esize} is not a positive multiple of 16`
          : esize > room
            ? `esize ${formatCount(esize)} runs past vox_offset ${formatCount(end)}`
            : null
      if (sizeProblem) {
        const filler = room - (room % 16)
        check.patches.push({ offset: position, bytes: new Uint8Array([...int32(filler, le), ...int32(ECODE_IGNORE, le)]) })
        check.dropped.push(`header extension at byte ${formatCount(position)}: ${sizeProblem}; it and the rest of the extension area (${formatCount(room)} bytes) dropped`)
        break
      }
      const codeProblem = ecodeProblem(ecode)
      if (codeProblem) {
        check.patches.push({ offset: position + 4, bytes: int32(ECODE_IGNORE, le) })
        check.dropped.push(`header extension at byte ${formatCount(position)} (${formatCount(esize)} bytes): ${codeProblem}; dropped`)
      }
      if ((await stream.skip(esize - 8)) < esize - 8) break
      position += esize
    }
    return check
  } finally {
    await stream.close()
  }
}

/** One header extension: its code and content (the esize - 8 bytes after the esize/ecode pair). */
export interface NiftiExtension {
  ecode: number
  /** Byte offset of its esize field in the (decompressed) file. */
  offset: number
  content: Uint8Array
}

/** Larger extensions are left out of readNiftiExtensions' answer (label tables are a few KiB). */
export const MAX_EXTENSION_CONTENT_BYTES = 1 << 20

/**
 * The header extensions of a single-file NIfTI (`.nii`, `.nii.gz`), in file order, for metadata
 * such as the Caret label table: reads only the header and the extension area. The walk is the
 * one checkNiftiExtensions does, but nothing is repaired: it stops at the first esize that is not
 * a positive multiple of 16 or runs past vox_offset (what follows cannot be located), and an
 * extension over MAX_EXTENSION_CONTENT_BYTES is skipped. A .hdr/.img pair gives []: its
 * extensions would sit after the .hdr header, and no pair we import carries any. Throws like
 * readNiftiHeader for a file that cannot be read at all.
 */
export async function readNiftiExtensions(path: string, options: ReadNiftiOptions = {}): Promise<NiftiExtension[]> {
  if (/\.(hdr|img)(\.gz)?$/i.test(path)) return []
  const stream = await FileByteStream.open(path, { reportPath: path, what: 'file' }, { chunkBytes: HEADER_CHUNK_BYTES })
  try {
    const head = await stream.peek(NIFTI2_HEADER_BYTES + 4)
    const raw = decodeNiftiHeader(head, path)
    const layout = interpretNiftiHeader(raw, path, { isPair: false, ...options })
    const headerBytes = raw.niftiVersion === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES
    const minimum = raw.niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET
    const extensions: NiftiExtension[] = []
    if ((head[headerBytes] ?? 0) === 0 || raw.voxOffset < minimum) return extensions
    const end = layout.voxOffset
    let position = minimum
    if ((await stream.skip(position)) < position) return extensions
    const pair = new Uint8Array(8)
    while (end - position >= 16) {
      if ((await stream.readInto(pair)) < 8) break
      const view = new DataView(pair.buffer)
      const esize = view.getInt32(0, raw.littleEndian)
      const ecode = view.getInt32(4, raw.littleEndian)
      if (esize < 16 || esize % 16 !== 0 || esize > end - position) break
      if (esize - 8 <= MAX_EXTENSION_CONTENT_BYTES) {
        const content = new Uint8Array(esize - 8)
        if ((await stream.readInto(content)) < content.length) break
        extensions.push({ ecode, offset: position, content })
      } else if ((await stream.skip(esize - 8)) < esize - 8) break
      position += esize
    }
    return extensions
  } finally {
    await stream.close()
  }
}

/** Applies `patches` to `chunk`, which holds the file's bytes from `chunkStart`. */
export function applyPatches(chunk: Uint8Array, chunkStart: number, patches: readonly BytePatch[]): void {
  for (const patch of patches) {
    const from = Math.max(patch.offset, chunkStart)
    const to = Math.min(patch.offset + patch.bytes.length, chunkStart + chunk.length)
    for (let at = from; at < to; at++) chunk[at - chunkStart] = patch.bytes[at - patch.offset] ?? 0
  }
}
