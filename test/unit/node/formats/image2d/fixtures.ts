import { VoxloopError } from '../../../../../src/shared/errors'
/**
 * Writers for the 2D image tests: PNG and TIFF files built byte by byte from the specifications,
 * for what the libraries' own encoders cannot write (pngjs: no palette, no 1/2/4-bit, no pHYs;
 * utif2: no compression, no 16-bit, one byte order) and for damaged files. They share no code with
 * the readers under test.
 */
import zlib from 'node:zlib'

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length)
  const view = new DataView(chunk.buffer)
  view.setUint32(0, data.length)
  for (let index = 0; index < 4; index++) chunk[4 + index] = type.charCodeAt(index)
  chunk.set(data, 8)
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)))
  return chunk
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

export const CHANNELS_OF_COLOUR_TYPE: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

export interface PngSpec {
  width: number
  height: number
  colourType: 0 | 2 | 3 | 4 | 6
  depth: 1 | 2 | 4 | 8 | 16
  /** Row-major samples, channels interleaved, as stored (palette indices for colour type 3). */
  samples: ArrayLike<number>
  palette?: readonly [number, number, number][]
  transparency?: Uint8Array
  /** Pixels per unit, unit 1 = metre, 0 = aspect ratio only. */
  physical?: { x: number; y: number; unit: 0 | 1 }
  interlaced?: boolean
}

/** Adam7's passes: first column, first row, column step, row step (PNG spec, 8.2). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
] as const

/** Filter type 0 rows of the pixels (x, y) listed, packed at the spec's depth. */
function packRows(spec: PngSpec, rows: readonly (readonly [number, number])[][]): Uint8Array {
  const channels = CHANNELS_OF_COLOUR_TYPE[spec.colourType] ?? 1
  const parts: Uint8Array[] = []
  for (const row of rows) {
    const rowBytes = Math.ceil((row.length * channels * spec.depth) / 8)
    const packed = new Uint8Array(rowBytes + 1)
    let sample = 0
    for (const [x, y] of row) {
      for (let channel = 0; channel < channels; channel++, sample++) {
        const value = spec.samples[(y * spec.width + x) * channels + channel] ?? 0
        if (spec.depth === 16) {
          packed[1 + sample * 2] = value >> 8
          packed[2 + sample * 2] = value & 0xff
        } else if (spec.depth === 8) {
          packed[1 + sample] = value
        } else {
          const bit = sample * spec.depth
          const at = 1 + (bit >> 3)
          packed[at] = (packed[at] ?? 0) | (value << (8 - spec.depth - (bit & 7)))
        }
      }
    }
    parts.push(packed)
  }
  return concat(parts)
}

/** A PNG, filter type 0 on every row (so the bytes are predictable), Adam7-interlaced on request. */
export function pngFile(spec: PngSpec): Uint8Array {
  const rowsOf = (firstX: number, firstY: number, stepX: number, stepY: number): [number, number][][] => {
    const rows: [number, number][][] = []
    for (let y = firstY; y < spec.height; y += stepY) {
      const row: [number, number][] = []
      for (let x = firstX; x < spec.width; x += stepX) row.push([x, y])
      if (row.length > 0) rows.push(row)
    }
    return rows
  }
  const raw = spec.interlaced === true ? concat(ADAM7.map(([x, y, stepX, stepY]) => packRows(spec, rowsOf(x, y, stepX, stepY)))) : packRows(spec, rowsOf(0, 0, 1, 1))
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, spec.width)
  view.setUint32(4, spec.height)
  header[8] = spec.depth
  header[9] = spec.colourType
  header[12] = spec.interlaced === true ? 1 : 0
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header)]
  if (spec.physical !== undefined) {
    const phys = new Uint8Array(9)
    new DataView(phys.buffer).setUint32(0, spec.physical.x)
    new DataView(phys.buffer).setUint32(4, spec.physical.y)
    phys[8] = spec.physical.unit
    parts.push(pngChunk('pHYs', phys))
  }
  if (spec.palette !== undefined) parts.push(pngChunk('PLTE', new Uint8Array(spec.palette.flat())))
  if (spec.transparency !== undefined) parts.push(pngChunk('tRNS', spec.transparency))
  parts.push(pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', new Uint8Array(0)))
  return concat(parts)
}

/** TIFF LZW (MSB-first codes, 9 to 12 bits, Clear at the start and when the table fills, "early change" widths). */
export function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = []
  let buffer = 0
  let bits = 0
  const write = (code: number, width: number): void => {
    buffer = (buffer << width) | code
    bits += width
    while (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff)
      bits -= 8
      buffer &= (1 << bits) - 1
    }
  }
  let width = 9
  let next = 258
  const table = new Map<number, number>()
  write(256, width)
  let prefix = -1
  for (const byte of data) {
    if (prefix === -1) {
      prefix = byte
      continue
    }
    const key = prefix * 256 + byte
    const code = table.get(key)
    if (code !== undefined) {
      prefix = code
      continue
    }
    write(prefix, width)
    table.set(key, next++)
    // The decoder adds each entry one code later than the encoder, and widens after entry
    // 2^n - 1: so the encoder widens once its next code is 2^n.
    if (next === 1 << width && width < 12) width++
    if (next >= 4094) {
      write(256, width)
      table.clear()
      next = 258
      width = 9
    }
    prefix = byte
  }
  if (prefix !== -1) write(prefix, width)
  // Reading that last code, the decoder adds the entry the encoder never made, and may widen.
  if (next + 1 === 1 << width && width < 12) width++
  write(257, width)
  if (bits > 0) out.push((buffer << (8 - bits)) & 0xff)
  return new Uint8Array(out)
}

/** Codes packed MSB-first at the widths given, for hand-made (and broken) LZW streams. */
export function packCodes(codes: readonly [code: number, width: number][]): Uint8Array {
  const out: number[] = []
  let buffer = 0
  let bits = 0
  for (const [code, width] of codes) {
    buffer = (buffer << width) | code
    bits += width
    while (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff)
      bits -= 8
      buffer &= (1 << bits) - 1
    }
  }
  if (bits > 0) out.push((buffer << (8 - bits)) & 0xff)
  return new Uint8Array(out)
}

/** PackBits: runs of 3+ equal bytes as repeats, the rest as literals. */
export function packBitsEncode(data: Uint8Array): Uint8Array {
  const out: number[] = []
  let at = 0
  while (at < data.length) {
    let run = 1
    while (at + run < data.length && run < 128 && data[at + run] === data[at]) run++
    if (run >= 3) {
      out.push(257 - run, data[at] ?? 0)
      at += run
      continue
    }
    let literal = 1
    while (at + literal < data.length && literal < 128 && !(data[at + literal] === data[at + literal + 1] && data[at + literal] === data[at + literal + 2])) literal++
    out.push(literal - 1, ...data.subarray(at, at + literal))
    at += literal
  }
  return new Uint8Array(out)
}

export type TiffCompression = 1 | 5 | 8 | 32773

export interface TiffPage {
  width: number
  height: number
  bitsPerSample: number
  samplesPerPixel: number
  photometric: number
  /** Samples row-major, channels interleaved (written in the file's byte order). */
  samples: ArrayLike<number>
  compression?: TiffCompression
  /** 2: horizontal differencing applied by the writer. */
  predictor?: 1 | 2
  rowsPerStrip?: number
  /** [value, unit]: unit 1 none, 2 inch, 3 centimetre; pixels per unit as a rational. */
  resolution?: { x: [number, number]; y: [number, number]; unit: number }
  colorMap?: readonly number[]
  extraSamples?: number
  sampleFormat?: number
  subfileType?: number
  tiled?: boolean
  /** The stored bytes of a single strip, used as they are (for damaged compressed data). */
  rawStrip?: Uint8Array
}

type Entry = { tag: number; type: 3 | 4 | 5; values: number[] }

/** A classic TIFF holding `pages` (strips first, then the IFDs with their out-of-line values). */
export function tiffFile(pages: readonly TiffPage[], littleEndian = true): Uint8Array {
  const bytesPerSample = (page: TiffPage): number => page.bitsPerSample / 8
  const chunks: number[] = []
  const put16 = (target: number[], value: number): void => {
    if (littleEndian) target.push(value & 0xff, (value >> 8) & 0xff)
    else target.push((value >> 8) & 0xff, value & 0xff)
  }
  const put32 = (target: number[], value: number): void => {
    if (littleEndian) target.push(value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff)
    else target.push((value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff)
  }
  chunks.push(...(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]))
  put16(chunks, 42)
  put32(chunks, 0) // patched below
  const stripLayouts: { offsets: number[]; counts: number[] }[] = []
  for (const page of pages) {
    const rowSamples = page.width * page.samplesPerPixel
    const rowsPerStrip = page.rowsPerStrip ?? page.height
    const offsets: number[] = []
    const counts: number[] = []
    for (let firstRow = 0; firstRow < page.height; firstRow += rowsPerStrip) {
      const rows = Math.min(rowsPerStrip, page.height - firstRow)
      const strip: number[] = []
      for (let row = firstRow; row < firstRow + rows; row++) {
        const rowValues = Array.from({ length: rowSamples }, (_, index) => page.samples[row * rowSamples + index] ?? 0)
        if (page.predictor === 2) {
          for (let index = rowSamples - 1; index >= page.samplesPerPixel; index--) {
            const mask = page.bitsPerSample === 16 ? 0xffff : 0xff
            rowValues[index] = ((rowValues[index] ?? 0) - (rowValues[index - page.samplesPerPixel] ?? 0)) & mask
          }
        }
        for (const value of rowValues) {
          if (bytesPerSample(page) === 2) put16(strip, value)
          else strip.push(value)
        }
      }
      const raw = new Uint8Array(strip)
      const compression = page.compression ?? 1
      const stored = page.rawStrip ?? (
        compression === 5 ? lzwEncode(raw) : compression === 8 ? new Uint8Array(zlib.deflateSync(raw)) : compression === 32773 ? packBitsEncode(raw) : raw)
      offsets.push(chunks.length)
      counts.push(stored.length)
      for (const byte of stored) chunks.push(byte)
      if (chunks.length % 2 === 1) chunks.push(0)
    }
    stripLayouts.push({ offsets, counts })
  }
  let previousNextPointer = 4
  for (const [pageIndex, page] of pages.entries()) {
    const layout = stripLayouts[pageIndex] ?? { offsets: [], counts: [] }
    const entries: Entry[] = [
      { tag: 256, type: 4, values: [page.width] },
      { tag: 257, type: 4, values: [page.height] },
      { tag: 258, type: 3, values: Array.from({ length: page.samplesPerPixel }, () => page.bitsPerSample) },
      { tag: 259, type: 3, values: [page.compression ?? 1] },
      { tag: 262, type: 3, values: [page.photometric] },
      { tag: 273, type: 4, values: layout.offsets },
      { tag: 277, type: 3, values: [page.samplesPerPixel] },
      { tag: 278, type: 4, values: [page.rowsPerStrip ?? page.height] },
      { tag: 279, type: 4, values: layout.counts }
    ]
    if (page.subfileType !== undefined) entries.push({ tag: 254, type: 4, values: [page.subfileType] })
    if (page.resolution !== undefined) {
      entries.push({ tag: 282, type: 5, values: page.resolution.x }, { tag: 283, type: 5, values: page.resolution.y }, { tag: 296, type: 3, values: [page.resolution.unit] })
    }
    entries.push({ tag: 284, type: 3, values: [1] })
    if (page.predictor !== undefined) entries.push({ tag: 317, type: 3, values: [page.predictor] })
    if (page.colorMap !== undefined) entries.push({ tag: 320, type: 3, values: [...page.colorMap] })
    if (page.tiled === true) entries.push({ tag: 322, type: 4, values: [page.width] }, { tag: 323, type: 4, values: [page.height] })
    if (page.extraSamples !== undefined) entries.push({ tag: 338, type: 3, values: [page.extraSamples] })
    if (page.sampleFormat !== undefined) entries.push({ tag: 339, type: 3, values: Array.from({ length: page.samplesPerPixel }, () => page.sampleFormat ?? 1) })
    entries.sort((a, b) => a.tag - b.tag)
    const ifdOffset = chunks.length
    // Patch the previous "next IFD" pointer to here.
    const pointer: number[] = []
    put32(pointer, ifdOffset)
    chunks.splice(previousNextPointer, 4, ...pointer)
    const ifd: number[] = []
    put16(ifd, entries.length)
    const valuesStart = ifdOffset + 2 + entries.length * 12 + 4
    const outOfLine: number[] = []
    for (const entry of entries) {
      put16(ifd, entry.tag)
      put16(ifd, entry.type)
      const count = entry.type === 5 ? entry.values.length / 2 : entry.values.length
      put32(ifd, count)
      const size = entry.type === 3 ? 2 : 4
      const encoded: number[] = []
      for (const value of entry.values) (size === 2 ? put16 : put32)(encoded, value)
      if (encoded.length <= 4) {
        while (encoded.length < 4) encoded.push(0)
        ifd.push(...encoded)
      } else {
        put32(ifd, valuesStart + outOfLine.length)
        outOfLine.push(...encoded)
      }
    }
    previousNextPointer = ifdOffset + ifd.length
    put32(ifd, 0)
    chunks.push(...ifd, ...outOfLine)
    if (chunks.length % 2 === 1) chunks.push(0)
  }
  return new Uint8Array(chunks)
}

/** A deterministic pseudo-random sequence (mulberry32) for image content. */
export function randomSamples(count: number, max: number, seed: number): number[] {
  let state = seed >>> 0
  const out: number[] = []
  for (let index = 0; index < count; index++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out.push((((t ^ (t >>> 14)) >>> 0) % (max + 1)) | 0)
  }
  return out
}

/** The VoxloopError `run` throws; fails the test when it throws nothing or something else. */
export function errorOf(run: () => unknown): VoxloopError {
  try {
    run()
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected a VoxloopError')
}
