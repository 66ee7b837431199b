/** Choosing the decoder by magic bytes, and reading a file from disk. */
import { readFile } from 'node:fs/promises'
import { VoxloopError } from '../../../shared/errors'
import { imageError, type Image2D, type Image2dFormat } from './common'
import { decodeJpeg } from './jpeg'
import { decodePng } from './png'
import { decodeTiff } from './tiff'

/** File names the 2D import looks at; the content decides the format (decodeImage2d). */
export const IMAGE_2D_NAME = /\.(png|jpe?g|tiff?)$/i

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((value, index) => bytes[index] === value)
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG_MAGIC = [0xff, 0xd8, 0xff]
const TIFF_LE_MAGIC = [0x49, 0x49, 0x2a, 0x00]
const TIFF_BE_MAGIC = [0x4d, 0x4d, 0x00, 0x2a]
const BIGTIFF_MAGICS = [
  [0x49, 0x49, 0x2b, 0x00],
  [0x4d, 0x4d, 0x00, 0x2b]
]

/** The format the bytes are in, or null; BigTIFF counts as TIFF so that its refusal names it. */
export function sniffImage2dFormat(bytes: Uint8Array): Image2dFormat | null {
  if (startsWith(bytes, PNG_MAGIC)) return 'png'
  if (startsWith(bytes, JPEG_MAGIC)) return 'jpeg'
  if (startsWith(bytes, TIFF_LE_MAGIC) || startsWith(bytes, TIFF_BE_MAGIC)) return 'tiff'
  if (BIGTIFF_MAGICS.some((magic) => startsWith(bytes, magic))) return 'tiff'
  return null
}

/** Decodes a PNG, JPEG or TIFF by its magic bytes. Throws VoxloopError (INVALID_ARGUMENT) naming `file` and the problem. */
export function decodeImage2d(bytes: Uint8Array, file: string): Image2D {
  if (bytes.length === 0) throw imageError(file, 'the file is empty')
  const format = sniffImage2dFormat(bytes)
  switch (format) {
    case 'png':
      return decodePng(bytes, file)
    case 'jpeg':
      return decodeJpeg(bytes, file)
    case 'tiff':
      return decodeTiff(bytes, file)
    case null:
      throw imageError(file, 'not a PNG, JPEG or TIFF image (its first bytes match none of them)')
  }
}

/** Reads and decodes `file`; a missing file is NOT_FOUND, an unreadable one FORBIDDEN. */
export async function readImage2d(file: string): Promise<Image2D> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    if (code === 'ENOENT') throw new VoxloopError('NOT_FOUND', `${file}: file not found`, { cause: error })
    if (code === 'EACCES' || code === 'EPERM') throw new VoxloopError('FORBIDDEN', `${file}: permission denied`, { cause: error })
    if (code === 'EISDIR') throw imageError(file, 'is a directory, not an image', error)
    throw new VoxloopError('INTERNAL', `${file}: cannot read file: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return decodeImage2d(bytes, file)
}
