/**
 * PNG through pngjs, with two things pngjs does not do done here: the chunk walk before decoding
 * (size limits, truncation, pHYs spacing) and dropping tRNS. pngjs turns the pixels of a grey or
 * RGB image that match tRNS's colour into (0, 0, 0, 0); for a mask that would rewrite a label value
 * as background, and since Image2D drops alpha anyway the chunk is removed before pngjs sees it.
 *
 * Samples are kept as stored (`skipRescale`): a 1-bit mask reads 0/1 rather than 0/255, a 16-bit
 * image keeps its 16 bits.
 */
import { crc32 } from 'node:zlib'
import { PNG } from 'pngjs'
import { VoxloopError } from '../../../shared/errors'
import { checkImageSize, imageError, keptChannels, MAX_IMAGE_2D_SIDE, type Image2D } from './common'

const SIGNATURE_BYTES = 8
/** Valid bit depths per colour type (PNG spec, table 11.1). */
const DEPTHS_BY_COLOUR_TYPE: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]]
])

interface PngHeader {
  width: number
  height: number
  depth: number
  colourType: number
}

interface PngChunks {
  header: PngHeader
  spacingMm: [number, number] | null
  /** The file without its tRNS chunk (the same bytes when it has none). */
  withoutTransparency: Uint8Array
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0)
}

/** Walks the chunks without inflating anything: the header is checked before pngjs allocates the image. */
function readChunks(bytes: Uint8Array, file: string): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let header: PngHeader | null = null
  let spacingMm: [number, number] | null = null
  let transparency: [number, number] | null = null
  let sawImageData = false
  let at = SIGNATURE_BYTES
  for (;;) {
    if (at + 8 > bytes.length) throw imageError(file, `truncated PNG: the file ends at byte ${bytes.length} before its IEND chunk`)
    const length = view.getUint32(at)
    const type = chunkType(bytes, at + 4)
    const end = at + 12 + length
    if (length > 0x7fffffff || end > bytes.length) {
      throw imageError(file, `truncated PNG: chunk ${JSON.stringify(type)} at byte ${at} runs past the end of the file (${bytes.length} bytes)`)
    }
    // pngjs checks CRCs too, but a damaged IDAT reaches its inflater first, whose message
    // ("unrecognised content at end of stream") does not say that the file is damaged.
    // CRC-32 of the chunk's type and data (PNG spec, annex D); zlib's is native (Node ≥ 20.15).
    if (crc32(bytes.subarray(at + 4, end - 4)) !== view.getUint32(end - 4)) {
      throw imageError(file, `corrupt PNG: chunk ${JSON.stringify(type)} at byte ${at} fails its CRC check (the file is damaged)`)
    }
    if (header === null && type !== 'IHDR') throw imageError(file, 'corrupt PNG: the first chunk is not IHDR')
    if (type === 'IHDR') {
      if (length !== 13) throw imageError(file, `corrupt PNG: IHDR is ${length} bytes, not 13`)
      header = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: bytes[at + 16] ?? 0, colourType: bytes[at + 17] ?? 0 }
      // Before anything else: a header claiming 100000×100000 pixels must not reach the inflater.
      checkImageSize(file, header.width, header.height)
      const depths = DEPTHS_BY_COLOUR_TYPE.get(header.colourType)
      if (depths === undefined) throw imageError(file, `corrupt PNG: colour type ${header.colourType} does not exist`)
      if (!depths.includes(header.depth)) {
        throw imageError(file, `corrupt PNG: bit depth ${header.depth} is not allowed with colour type ${header.colourType}`)
      }
    } else if (type === 'pHYs' && length === 9) {
      const perUnitX = view.getUint32(at + 8)
      const perUnitY = view.getUint32(at + 12)
      // Unit 1 is the metre; unit 0 states only the aspect ratio, which gives no size.
      if (bytes[at + 16] === 1 && perUnitX > 0 && perUnitY > 0) spacingMm = [1000 / perUnitX, 1000 / perUnitY]
    } else if (type === 'tRNS') {
      transparency = [at, end]
    } else if (type === 'IDAT') {
      sawImageData = true
    } else if (type === 'IEND') {
      break
    }
    at = end
  }
  if (header === null) throw imageError(file, 'corrupt PNG: no IHDR chunk')
  if (!sawImageData) throw imageError(file, 'corrupt PNG: no image data (IDAT chunk)')
  let withoutTransparency = bytes
  if (transparency !== null) {
    const [start, end] = transparency
    withoutTransparency = new Uint8Array(bytes.length - (end - start))
    withoutTransparency.set(bytes.subarray(0, start), 0)
    withoutTransparency.set(bytes.subarray(end), start)
  }
  return { header, spacingMm, withoutTransparency }
}

export function decodePng(bytes: Uint8Array, file: string): Image2D {
  const { header, spacingMm, withoutTransparency } = readChunks(bytes, file)
  let decoded: ReturnType<typeof PNG.sync.read>
  try {
    const buffer = Buffer.from(withoutTransparency.buffer, withoutTransparency.byteOffset, withoutTransparency.byteLength)
    decoded = PNG.sync.read(buffer, { skipRescale: true })
  } catch (error) {
    // pngjs's messages ("Crc error", "Ran out of data", "unexpected end of file") say which.
    throw imageError(file, `corrupt or truncated PNG (${error instanceof Error ? error.message : String(error)})`, error)
  }
  const { width, height } = header
  const pixelCount = width * height
  // pngjs always hands back RGBA: a Buffer up to 8 bits, a Uint16Array for 16.
  const rgba = decoded.data as Uint8Array | Uint16Array
  if (rgba.length < pixelCount * 4) throw imageError(file, 'corrupt PNG: the image data is shorter than its header says')
  const hasColour = header.colourType === 2 || header.colourType === 3 || header.colourType === 6
  if (header.depth === 16) {
    // With skipRescale pngjs keeps 16-bit samples in a Uint16Array; anything else would be 8-bit.
    if (!(rgba instanceof Uint16Array)) throw imageError(file, 'corrupt PNG: its 16-bit samples did not decode as 16-bit')
    const kept = keptChannels(rgba, pixelCount, 4, hasColour, (length) => new Uint16Array(length))
    return { file, format: 'png', width, height, bitsPerSample: 16, spacingMm, ...kept }
  }
  const samples = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length)
  const kept = keptChannels(samples, pixelCount, 4, hasColour, (length) => new Uint8Array(length))
  return { file, format: 'png', width, height, bitsPerSample: 8, spacingMm, ...kept }
}

/**
 * A label map as a grey PNG: 8-bit unless an id exceeds 255 (then 16-bit). With 'binary-255'
 * label 1 is written as 255 (the 0/255 masks most 2D tools expect) and any other id is refused,
 * since it could not be read back as what it was.
 */
export function encodePngMask(labels: Uint8Array | Uint16Array, width: number, height: number, encoding: 'binary-255' | 'ids'): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_IMAGE_2D_SIDE || height > MAX_IMAGE_2D_SIDE) {
    throw new VoxloopError('INVALID_ARGUMENT', `a PNG mask of ${width}×${height} pixels cannot be written (1 to ${MAX_IMAGE_2D_SIDE} each way)`)
  }
  const pixelCount = width * height
  if (labels.length !== pixelCount) {
    throw new VoxloopError('INVALID_ARGUMENT', `the label map has ${labels.length} values but a ${width}×${height} mask needs ${pixelCount}`)
  }
  let maxId = 0
  for (let index = 0; index < pixelCount; index++) {
    const id = labels[index] ?? 0
    if (id > maxId) maxId = id
    if (encoding === 'binary-255' && id > 1) {
      throw new VoxloopError('INVALID_ARGUMENT', `label ${id} cannot be written to a 0/255 mask (only label 1 can); write label ids instead`)
    }
  }
  const bitDepth = maxId > 255 ? 16 : 8
  let data: Buffer
  if (bitDepth === 8) {
    data = Buffer.alloc(pixelCount)
    for (let index = 0; index < pixelCount; index++) {
      const id = labels[index] ?? 0
      data[index] = encoding === 'binary-255' && id === 1 ? 255 : id
    }
  } else {
    // pngjs reads 16-bit input as a native-endian Uint16Array over the whole buffer, so the
    // samples get a buffer of their own.
    const samples = new Uint16Array(pixelCount)
    samples.set(labels)
    data = Buffer.from(samples.buffer)
  }
  const png = new PNG()
  png.width = width
  png.height = height
  png.data = data
  const written = PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false })
  return new Uint8Array(written.buffer, written.byteOffset, written.byteLength)
}
