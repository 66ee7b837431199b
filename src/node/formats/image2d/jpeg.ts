/**
 * JPEG through jpeg-js (baseline and progressive, 8-bit, grey or YCbCr/RGB). The markers are walked
 * here first so that what jpeg-js would decode wrongly, or refuse obscurely, is refused by name:
 * CMYK (jpeg-js converts it to RGB with a naive formula, which would change an image's values),
 * 12-bit, lossless and arithmetic-coded files, and files cut short (which jpeg-js reports only as
 * "marker was not found").
 *
 * Spacing is always null: JFIF's density is a print resolution that cameras and converters fill
 * with 72 or 96 dpi whatever the image shows, so it says nothing about the anatomy.
 */
import { decode as decodeJpegBytes } from 'jpeg-js'
import { checkImageSize, imageError, keptChannels, MAX_IMAGE_2D_SIDE, type Image2D } from './common'

interface JpegFrame {
  marker: number
  precision: number
  width: number
  height: number
  components: number
}

/** SOF markers jpeg-js decodes: baseline, extended sequential (8-bit) and progressive Huffman. */
const DECODABLE_FRAMES = new Set([0xc0, 0xc1, 0xc2])
/** Every SOFn: C0..CF less DHT (C4), JPG (C8) and DAC (CC). */
const isFrameMarker = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
/** Markers with no length field: TEM and RST0..7 (SOI and EOI are handled on their own). */
const isStandalone = (marker: number): boolean => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)

/** The frame header and where the first scan starts, read from the markers before it. */
function readFrame(bytes: Uint8Array, file: string): { frame: JpegFrame; scanStart: number } {
  let frame: JpegFrame | null = null
  let at = 2
  for (;;) {
    if (at + 4 > bytes.length) throw imageError(file, `truncated JPEG: the file ends at byte ${bytes.length} before its image data`)
    if (bytes[at] !== 0xff) throw imageError(file, `corrupt JPEG: expected a marker at byte ${at}`)
    // Any number of 0xFF fill bytes may precede a marker code.
    while (bytes[at + 1] === 0xff && at + 2 < bytes.length) at++
    const marker = bytes[at + 1] ?? 0
    if (isStandalone(marker)) {
      at += 2
      continue
    }
    if (marker === 0xd9) throw imageError(file, 'corrupt JPEG: it ends (EOI) before any image data')
    const length = ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)
    if (length < 2 || at + 2 + length > bytes.length) throw imageError(file, `truncated JPEG: the segment at byte ${at} runs past the end of the file`)
    if (isFrameMarker(marker)) {
      if (length < 8) throw imageError(file, 'corrupt JPEG: its frame header is too short')
      frame = {
        marker,
        precision: bytes[at + 4] ?? 0,
        height: ((bytes[at + 5] ?? 0) << 8) | (bytes[at + 6] ?? 0),
        width: ((bytes[at + 7] ?? 0) << 8) | (bytes[at + 8] ?? 0),
        components: bytes[at + 9] ?? 0
      }
    }
    if (marker === 0xda) {
      if (frame === null) throw imageError(file, 'corrupt JPEG: image data (SOS) before the frame header (SOF)')
      return { frame, scanStart: at + 2 + length }
    }
    at += 2 + length
  }
}

/** The end-of-image marker after the scans: 0xFFD9 cannot occur inside entropy-coded data (0xFF is stuffed). */
function hasEndOfImage(bytes: Uint8Array, scanStart: number): boolean {
  for (let at = bytes.length - 2; at >= scanStart; at--) if (bytes[at] === 0xff && bytes[at + 1] === 0xd9) return true
  return false
}

export function decodeJpeg(bytes: Uint8Array, file: string): Image2D {
  const { frame, scanStart } = readFrame(bytes, file)
  checkImageSize(file, frame.width, frame.height)
  if (frame.components === 4) throw imageError(file, 'a CMYK JPEG; save it as RGB or greyscale (CMYK colours cannot be read reliably)')
  if (frame.components !== 1 && frame.components !== 3) throw imageError(file, `a JPEG with ${frame.components} colour components; only greyscale (1) and RGB (3) are read`)
  if (frame.precision !== 8) throw imageError(file, `a ${frame.precision}-bit JPEG; only 8-bit JPEGs are read (save it as 16-bit PNG or TIFF)`)
  if (!DECODABLE_FRAMES.has(frame.marker)) {
    throw imageError(file, `a lossless, hierarchical or arithmetic-coded JPEG (SOF marker 0x${frame.marker.toString(16)}); only baseline and progressive JPEGs are read`)
  }
  if (!hasEndOfImage(bytes, scanStart)) throw imageError(file, 'truncated JPEG: the file ends before its end-of-image marker')
  let decoded: { width: number; height: number; data: Uint8Array }
  try {
    decoded = decodeJpegBytes(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      // The size was checked above; these only lift jpeg-js's own defaults (100 MP, 512 MB) to it.
      maxResolutionInMP: Math.ceil((MAX_IMAGE_2D_SIDE * MAX_IMAGE_2D_SIDE) / 1e6),
      maxMemoryUsageInMB: 4096
    })
  } catch (error) {
    throw imageError(file, `corrupt JPEG (${error instanceof Error ? error.message : String(error)})`, error)
  }
  const { width, height } = decoded
  const pixelCount = width * height
  if (width !== frame.width || height !== frame.height || decoded.data.length < pixelCount * 3) {
    throw imageError(file, 'corrupt JPEG: the decoded image does not match its frame header')
  }
  // jpeg-js writes grey as R = G = B; keptChannels returns one of them.
  const kept = keptChannels(decoded.data, pixelCount, 3, frame.components === 3, (length) => new Uint8Array(length))
  return { file, format: 'jpeg', width, height, bitsPerSample: 8, spacingMm: null, ...kept }
}
