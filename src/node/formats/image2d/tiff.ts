/**
 * TIFF through utif2, for what it decodes faithfully and the tests check: one page, stripped (not
 * tiled), 8- or 16-bit unsigned samples, grey (black or white is zero), grey + alpha, RGB, RGBA or
 * 8-bit palette, uncompressed, LZW, Deflate or PackBits, with or without the horizontal predictor.
 *
 * The IFD chain is walked and checked here before utif2 sees the file, because utif2 trusts it: a
 * chain that loops makes it loop for ever, a strip past the end of the file reads as zeros, an
 * unknown compression leaves the image black, a second page is silently ignored, and one bad code
 * in an LZW strip can make its decoder loop for ever (lzwStripIsValid). Everything outside the
 * list above is refused by name rather than decoded wrongly. Tiled files are refused too: utif2's
 * tile path also prints to stdout, which the CLI uses for its output.
 */
import { createRequire } from 'node:module'
import type * as Utif from 'utif2'
import { checkImageSize, formatCount, imageError, keptChannels, type Image2D } from './common'

// utif2 assigns its functions to `module.exports` after creating it, which Node's ES-module
// loader cannot see as named exports; required at run time, its own types describe it.
const UTIF = createRequire(import.meta.url)('utif2') as typeof Utif

const TAG = {
  newSubfileType: 254,
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  xResolution: 282,
  yResolution: 283,
  planarConfiguration: 284,
  resolutionUnit: 296,
  predictor: 317,
  colorMap: 320,
  tileWidth: 322,
  sampleFormat: 339
} as const

const COMPRESSIONS: ReadonlyMap<number, string> = new Map([
  [1, 'none'],
  [5, 'LZW'],
  [8, 'Deflate'],
  [32946, 'Deflate'],
  [32773, 'PackBits']
])
const PHOTOMETRIC_NAMES: ReadonlyMap<number, string> = new Map([
  [4, 'transparency mask'],
  [5, 'CMYK'],
  [6, 'YCbCr'],
  [8, 'CIE L*a*b*'],
  [9, 'ICC L*a*b*'],
  [10, 'ITU L*a*b*'],
  [32844, 'LogL'],
  [32845, 'LogLuv']
])
/** More IFDs than this in one chain is a corrupt (or hostile) file, not a stack of pages. */
const MAX_IFDS = 4096
/** Bytes per value of the field types read here (TIFF 6.0, section 2). */
const TYPE_BYTES: ReadonlyMap<number, number> = new Map([
  [1, 1],
  [3, 2],
  [4, 4],
  [5, 8],
  [16, 8]
])

/** The numeric fields of one IFD: integers as they are, rationals as numerator / denominator. */
type Fields = Map<number, number[]>

interface TiffLayout {
  pages: number
  first: Fields
  /** Where `first` is in the chain (after any reduced-resolution copies before it). */
  firstIndex: number
}

function readIfds(bytes: Uint8Array, file: string): TiffLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const little = bytes[0] === 0x49
  if (bytes.length >= 4 && view.getUint16(2, little) === 43) throw imageError(file, 'a BigTIFF file; only classic TIFF is read')
  if (bytes.length < 8) throw imageError(file, 'truncated TIFF: the file ends inside its header')
  const u16 = (at: number): number => view.getUint16(at, little)
  const u32 = (at: number): number => view.getUint32(at, little)
  const visited = new Set<number>()
  let pages = 0
  let first: Fields | null = null
  let firstIndex = 0
  let offset = u32(4)
  while (offset !== 0) {
    if (visited.has(offset)) throw imageError(file, `corrupt TIFF: its directories loop back to byte ${offset}`)
    if (visited.size >= MAX_IFDS) throw imageError(file, `corrupt TIFF: more than ${MAX_IFDS} directories`)
    visited.add(offset)
    if (offset + 2 > bytes.length) throw imageError(file, `truncated TIFF: a directory at byte ${offset} lies past the end of the file`)
    const count = u16(offset)
    const end = offset + 2 + count * 12 + 4
    if (end > bytes.length) throw imageError(file, `truncated TIFF: the directory at byte ${offset} runs past the end of the file`)
    const fields: Fields = new Map()
    for (let index = 0; index < count; index++) {
      const entry = offset + 2 + index * 12
      const tag = u16(entry)
      const type = u16(entry + 2)
      const values = u32(entry + 4)
      const size = TYPE_BYTES.get(type)
      // Text, signed and floating-point fields carry nothing this reader needs.
      if (size === undefined) continue
      const inline = size * values <= 4
      const start = inline ? entry + 8 : u32(entry + 8)
      if (start + size * values > bytes.length) throw imageError(file, `truncated TIFF: the values of tag ${tag} lie past the end of the file`)
      const read: number[] = []
      for (let value = 0; value < values; value++) {
        const at = start + value * size
        if (type === 1) read.push(bytes[at] ?? 0)
        else if (type === 3) read.push(u16(at))
        else if (type === 4) read.push(u32(at))
        else if (type === 5) read.push(u32(at + 4) === 0 ? Number.NaN : u32(at) / u32(at + 4))
      }
      fields.set(tag, read)
    }
    // Reduced-resolution copies (thumbnails, pyramid levels) are not pages of their own.
    const subfileType = fields.get(TAG.newSubfileType)?.[0] ?? 0
    if ((subfileType & 1) === 0) {
      pages++
      if (first === null) {
        first = fields
        firstIndex = visited.size - 1
      }
    }
    offset = u32(end - 4)
  }
  if (first === null) throw imageError(file, 'corrupt TIFF: it holds no image')
  return { pages, first, firstIndex }
}

/**
 * Whether an LZW strip is one utif2 can decode without hanging. Its decoder follows every code
 * through its table; a code beyond the next free entry (which no encoder writes) makes an entry
 * that points at itself, and the decoder then loops for ever. This replays the decoder's own
 * steps (code widths, table growth, Clear and EOI) without producing output and reports the first
 * impossible code.
 */
function lzwStripIsValid(bytes: Uint8Array, offset: number, length: number): boolean {
  const CLEAR = 256
  const END = 257
  let position = offset * 8
  const limit = (offset + length) * 8
  let width = 9
  let next = 258
  const read = (): number => {
    const at = position >>> 3
    const word = ((bytes[at] ?? 0) << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0)
    const code = (word >>> (24 - (position & 7) - width)) & ((1 << width) - 1)
    position += width
    return code
  }
  const addEntry = (): void => {
    next++
    if (next + 1 === 1 << width && width !== 12) width++
  }
  while (position < limit) {
    let code = read()
    if (code === END) return true
    if (code === CLEAR) {
      width = 9
      next = 258
      code = read()
      if (code === END) return true
      // The first code after Clear starts a string: it must be a byte value.
      if (code >= CLEAR) return false
      continue
    }
    if (code > next || next > 4095) return false
    addEntry()
  }
  return true
}

function field(fields: Fields, tag: number, fallback: number): number {
  return fields.get(tag)?.[0] ?? fallback
}

/** Millimetres per pixel from X/YResolution: inch (2, the default) and centimetre (3); unit 1 states no size. */
function spacingFrom(fields: Fields): [number, number] | null {
  const unit = field(fields, TAG.resolutionUnit, 2)
  const x = fields.get(TAG.xResolution)?.[0]
  const y = fields.get(TAG.yResolution)?.[0]
  if (x === undefined || y === undefined || !(x > 0) || !(y > 0) || !Number.isFinite(x) || !Number.isFinite(y)) return null
  const mmPerUnit = unit === 2 ? 25.4 : unit === 3 ? 10 : null
  return mmPerUnit === null ? null : [mmPerUnit / x, mmPerUnit / y]
}

export function decodeTiff(bytes: Uint8Array, file: string): Image2D {
  const { pages, first: fields, firstIndex } = readIfds(bytes, file)
  if (pages > 1) throw imageError(file, `a ${pages}-page TIFF; a 2D image must have one page`)
  const width = field(fields, TAG.width, 0)
  const height = field(fields, TAG.height, 0)
  checkImageSize(file, width, height)
  const samplesPerPixel = field(fields, TAG.samplesPerPixel, 1)
  const bits = fields.get(TAG.bitsPerSample) ?? [1]
  const depth = bits[0] ?? 1
  const photometric = field(fields, TAG.photometric, samplesPerPixel >= 3 ? 2 : 1)
  const compression = field(fields, TAG.compression, 1)
  if (fields.has(TAG.tileWidth)) throw imageError(file, 'a tiled TIFF; only stripped TIFFs are read (save it again without tiles)')
  if (!bits.every((value) => value === depth) || (depth !== 8 && depth !== 16)) {
    throw imageError(file, `a TIFF with ${bits.join('/')} bits per sample; only 8- and 16-bit samples are read`)
  }
  const sampleFormat = fields.get(TAG.sampleFormat) ?? [1]
  if (!sampleFormat.every((value) => value === 1)) {
    const kind = sampleFormat.includes(3) ? 'floating-point' : sampleFormat.includes(2) ? 'signed integer' : 'unknown'
    throw imageError(file, `a TIFF with ${kind} samples; only unsigned integer samples are read`)
  }
  if (!COMPRESSIONS.has(compression)) {
    throw imageError(file, `a TIFF with compression ${compression}; only uncompressed, LZW, Deflate and PackBits TIFFs are read`)
  }
  const predictor = field(fields, TAG.predictor, 1)
  if (predictor !== 1 && predictor !== 2) throw imageError(file, `a TIFF with predictor ${predictor}; only none (1) and horizontal (2) are read`)
  if (samplesPerPixel > 1 && field(fields, TAG.planarConfiguration, 1) !== 1) {
    throw imageError(file, 'a TIFF with its colour channels in separate planes; only interleaved (chunky) TIFFs are read')
  }
  const photometricName = PHOTOMETRIC_NAMES.get(photometric)
  if (photometricName !== undefined) throw imageError(file, `a ${photometricName} TIFF; only greyscale, RGB and palette TIFFs are read`)
  const isGrey = photometric === 0 || photometric === 1
  if (isGrey && samplesPerPixel !== 1 && samplesPerPixel !== 2) throw imageError(file, `a greyscale TIFF with ${samplesPerPixel} samples per pixel`)
  if (photometric === 2 && samplesPerPixel !== 3 && samplesPerPixel !== 4) throw imageError(file, `an RGB TIFF with ${samplesPerPixel} samples per pixel`)
  if (photometric === 3 && (samplesPerPixel !== 1 || depth !== 8)) throw imageError(file, 'a palette TIFF that is not 8-bit with one sample per pixel')
  if (!isGrey && photometric !== 2 && photometric !== 3) throw imageError(file, `a TIFF with photometric interpretation ${photometric}`)

  const rowBytes = width * samplesPerPixel * (depth / 8)
  const offsets = fields.get(TAG.stripOffsets) ?? []
  const counts = fields.get(TAG.stripByteCounts) ?? []
  if (offsets.length === 0 || counts.length !== offsets.length) throw imageError(file, 'corrupt TIFF: its strip offsets and byte counts are missing or do not match')
  const rowsPerStrip = Math.min(field(fields, TAG.rowsPerStrip, height), height)
  if (offsets.length !== Math.ceil(height / Math.max(rowsPerStrip, 1))) {
    throw imageError(file, `corrupt TIFF: ${offsets.length} strips of ${rowsPerStrip} rows cannot hold ${height} rows`)
  }
  let stored = 0
  for (const [index, start] of offsets.entries()) {
    const count = counts[index] ?? 0
    if (start + count > bytes.length) {
      throw imageError(file, `truncated TIFF: strip ${index + 1} of ${offsets.length} runs past the end of the file (${formatCount(bytes.length)} bytes)`)
    }
    stored += count
  }
  if (compression === 5) {
    for (const [index, start] of offsets.entries()) {
      if (!lzwStripIsValid(bytes, start, counts[index] ?? 0)) throw imageError(file, `corrupt TIFF: strip ${index + 1} of ${offsets.length} holds invalid LZW data`)
    }
  }
  if (compression === 1 && stored < rowBytes * height) {
    throw imageError(file, `truncated TIFF: its strips hold ${formatCount(stored)} bytes but ${width}×${height} pixels need ${formatCount(rowBytes * height)}`)
  }

  // utif2 reads the file through `.buffer`, so it gets an ArrayBuffer holding the file alone (a
  // Node Buffer's `slice` would share the pool it came from, so the copy is made explicitly).
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  const buffer = copy.buffer
  let data: Uint8Array
  try {
    const ifd = UTIF.decode(buffer)[firstIndex]
    if (ifd === undefined) throw new Error('no image directory')
    UTIF.decodeImage(buffer, ifd)
    data = ifd.data
  } catch (error) {
    throw imageError(file, `corrupt TIFF (${error instanceof Error ? error.message : String(error)})`, error)
  }
  if (!(data instanceof Uint8Array) || data.length < rowBytes * height) throw imageError(file, 'corrupt TIFF: its image data is shorter than its header says')
  const pixelCount = width * height
  const spacingMm = spacingFrom(fields)

  if (depth === 16) {
    // utif2 hands back 16-bit samples in little-endian order whatever the file's byte order.
    const samples = new Uint16Array(pixelCount * samplesPerPixel)
    const source = new DataView(data.buffer, data.byteOffset, data.byteLength)
    for (let index = 0; index < samples.length; index++) samples[index] = source.getUint16(index * 2, true)
    if (photometric === 0) for (let index = 0; index < samples.length; index++) samples[index] = 0xffff - (samples[index] ?? 0)
    const kept = keptChannels(samples, pixelCount, samplesPerPixel, photometric === 2, (length) => new Uint16Array(length))
    return { file, format: 'tiff', width, height, bitsPerSample: 16, spacingMm, ...kept }
  }
  if (photometric === 3) {
    // ColorMap: all reds, then all greens, then all blues, 16 bits each.
    const map = fields.get(TAG.colorMap) ?? []
    if (map.length !== 3 * 256) throw imageError(file, 'corrupt TIFF: a palette image without a 256-entry colour map')
    const rgb = new Uint8Array(pixelCount * 3)
    for (let pixel = 0; pixel < pixelCount; pixel++) {
      const index = data[pixel] ?? 0
      rgb[pixel * 3] = (map[index] ?? 0) >> 8
      rgb[pixel * 3 + 1] = (map[256 + index] ?? 0) >> 8
      rgb[pixel * 3 + 2] = (map[512 + index] ?? 0) >> 8
    }
    const kept = keptChannels(rgb, pixelCount, 3, true, (length) => new Uint8Array(length))
    return { file, format: 'tiff', width, height, bitsPerSample: 8, spacingMm, ...kept }
  }
  const samples = new Uint8Array(data.subarray(0, pixelCount * samplesPerPixel))
  if (photometric === 0) for (let index = 0; index < samples.length; index++) samples[index] = 0xff - (samples[index] ?? 0)
  const kept = keptChannels(samples, pixelCount, samplesPerPixel, photometric === 2, (length) => new Uint8Array(length))
  return { file, format: 'tiff', width, height, bitsPerSample: 8, spacingMm, ...kept }
}
