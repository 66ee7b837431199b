/**
 * TIFF decoding: the forms claimed in tiff.ts (8/16-bit grey, RGB(A), palette, WhiteIsZero, each
 * compression and the predictor, both byte orders), resolution → spacing, and the refusals (pages,
 * tiles, floats, truncation, looping directories).
 */
import { createRequire } from 'node:module'
import type * as Utif from 'utif2'
import { describe, expect, it } from 'vitest'
import { decodeImage2d } from '../../../../../src/node/formats/image2d'
import { errorOf, lzwEncode, packCodes, randomSamples, type TiffCompression, tiffFile, type TiffPage } from './fixtures'

// utif2's exports are invisible to Node's ES-module loader (see tiff.ts).
const { encodeImage } = createRequire(import.meta.url)('utif2') as typeof Utif

const W = 37
const H = 23

const grey8Samples = randomSamples(W * H, 255, 1)
const grey8: TiffPage = { width: W, height: H, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, samples: grey8Samples, rowsPerStrip: 5 }

describe('decodeImage2d: TIFF', () => {
  it.each([
    [1, 'uncompressed'],
    [5, 'LZW'],
    [8, 'Deflate'],
    [32773, 'PackBits']
  ] as [TiffCompression, string][])('reads 8-bit grey, compression %i (%s)', (compression) => {
    const image = decodeImage2d(tiffFile([{ ...grey8, compression }]), 'g.tif')
    expect(image).toMatchObject({ format: 'tiff', width: W, height: H, channels: 1, bitsPerSample: 8 })
    expect([...image.data]).toEqual(grey8.samples)
  })

  it.each([true, false])('reads 16-bit grey (little-endian file: %s) with its 16 bits', (littleEndian) => {
    const samples = randomSamples(W * H, 65535, 2)
    samples[0] = 65535
    samples[1] = 1
    for (const compression of [1, 5, 8] as const) {
      const image = decodeImage2d(tiffFile([{ ...grey8, bitsPerSample: 16, samples, compression }], littleEndian), 'g16.tif')
      expect(image.bitsPerSample).toBe(16)
      expect(image.data).toBeInstanceOf(Uint16Array)
      expect([...image.data]).toEqual(samples)
    }
  })

  it.each([8, 16])('undoes the horizontal predictor at %i bits', (bits) => {
    const samples = randomSamples(W * H * 3, 2 ** bits - 1, 3)
    const page: TiffPage = { width: W, height: H, bitsPerSample: bits, samplesPerPixel: 3, photometric: 2, samples, compression: 5, predictor: 2, rowsPerStrip: 4 }
    expect([...decodeImage2d(tiffFile([page]), 'p.tif').data]).toEqual(samples)
  })

  it('reads RGB, and RGBA without its alpha', () => {
    const rgb = randomSamples(W * H * 3, 255, 4)
    const image = decodeImage2d(tiffFile([{ ...grey8, samplesPerPixel: 3, photometric: 2, samples: rgb, compression: 8 }]), 'rgb.tif')
    expect(image.channels).toBe(3)
    expect([...image.data]).toEqual(rgb)
    const rgba = randomSamples(W * H * 4, 255, 5)
    const withAlpha = decodeImage2d(tiffFile([{ ...grey8, samplesPerPixel: 4, photometric: 2, extraSamples: 2, samples: rgba }]), 'rgba.tif')
    expect([...withAlpha.data]).toEqual(rgba.filter((_, index) => index % 4 !== 3))
  })

  it('reads a TIFF held in part of a larger buffer (as readFile gives small files)', () => {
    for (const compression of [1, 5, 32773] as const) {
      const file = tiffFile([{ ...grey8, compression }])
      const pool = Buffer.alloc(file.length + 4096, 0xee)
      pool.set(file, 1000)
      const image = decodeImage2d(pool.subarray(1000, 1000 + file.length), 'pooled.tif')
      expect([...image.data]).toEqual(grey8.samples)
    }
  })

  it('reads the RGBA TIFF that utif2 itself writes', () => {
    const rgba = new Uint8Array(randomSamples(4 * 3 * 4, 255, 6))
    const image = decodeImage2d(new Uint8Array(encodeImage(rgba, 4, 3)), 'utif.tif')
    expect(image).toMatchObject({ width: 4, height: 3, channels: 3 })
    expect([...image.data]).toEqual([...rgba].filter((_, index) => index % 4 !== 3))
  })

  it('inverts WhiteIsZero so that values read as black-is-zero', () => {
    const image = decodeImage2d(tiffFile([{ ...grey8, photometric: 0 }]), 'w.tif')
    expect([...image.data]).toEqual(grey8Samples.map((value) => 255 - value))
  })

  it('reads an 8-bit palette TIFF as its colours', () => {
    const ramp = Array.from({ length: 256 }, (_, index) => index)
    const colorMap = [...ramp.map((index) => index * 257), ...ramp.map((index) => ((index * 37) % 256) * 257), ...ramp.map((index) => (255 - index) * 257)]
    const indices = randomSamples(W * H, 255, 7)
    const image = decodeImage2d(tiffFile([{ ...grey8, photometric: 3, samples: indices, colorMap }]), 'pal.tif')
    expect(image.channels).toBe(3)
    const expected = indices.flatMap((index) => [colorMap[index] ?? 0, colorMap[256 + index] ?? 0, colorMap[512 + index] ?? 0].map((value) => value >> 8))
    expect([...image.data]).toEqual(expected)
  })

  it('decodes LZW data long enough to fill and reset the code table', () => {
    const samples = randomSamples(120 * 100, 255, 8)
    const page: TiffPage = { width: 120, height: 100, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, samples, compression: 5 }
    expect(lzwEncode(new Uint8Array(samples)).length).toBeGreaterThan(4094)
    expect([...decodeImage2d(tiffFile([page]), 'big.tif').data]).toEqual(samples)
  })

  it('turns X/YResolution into millimetres for inch and centimetre units, null for none', () => {
    const inch = decodeImage2d(tiffFile([{ ...grey8, resolution: { x: [254, 1], y: [127, 1], unit: 2 } }]), 'r.tif')
    expect(inch.spacingMm?.[0]).toBeCloseTo(0.1, 12)
    expect(inch.spacingMm?.[1]).toBeCloseTo(0.2, 12)
    const cm = decodeImage2d(tiffFile([{ ...grey8, resolution: { x: [50, 1], y: [100, 2], unit: 3 } }]), 'r.tif')
    expect(cm.spacingMm).toEqual([0.2, 0.2])
    expect(decodeImage2d(tiffFile([{ ...grey8, resolution: { x: [72, 1], y: [72, 1], unit: 1 } }]), 'r.tif').spacingMm).toBeNull()
    expect(decodeImage2d(tiffFile([grey8]), 'r.tif').spacingMm).toBeNull()
  })

  it('does not count a reduced-resolution copy (a thumbnail) as a page', () => {
    const thumbnail: TiffPage = { width: 4, height: 4, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, samples: randomSamples(16, 255, 9), subfileType: 1 }
    expect([...decodeImage2d(tiffFile([grey8, thumbnail]), 't.tif').data]).toEqual(grey8.samples)
    expect([...decodeImage2d(tiffFile([thumbnail, grey8]), 't.tif').data]).toEqual(grey8.samples)
  })
})

describe('decodeImage2d: TIFFs refused', () => {
  it('refuses a 2-page TIFF', () => {
    expect(errorOf(() => decodeImage2d(tiffFile([grey8, grey8]), 'x.tif')).message).toBe('x.tif: a 2-page TIFF; a 2D image must have one page')
  })

  it.each<[string, Partial<TiffPage>, RegExp]>([
    ['tiled', { tiled: true }, /^t\.tif: a tiled TIFF/],
    ['floating-point', { bitsPerSample: 32, sampleFormat: 3, samples: [] }, /^t\.tif: a TIFF with 32 bits per sample/],
    ['signed 16-bit', { bitsPerSample: 16, sampleFormat: 2 }, /^t\.tif: a TIFF with signed integer samples/],
    ['CMYK', { samplesPerPixel: 4, photometric: 5, samples: [] }, /^t\.tif: a CMYK TIFF/],
    ['1-bit', { bitsPerSample: 1, samples: [] }, /^t\.tif: a TIFF with 1 bits per sample/]
  ])('refuses a %s TIFF by name', (_, change, message) => {
    expect(errorOf(() => decodeImage2d(tiffFile([{ ...grey8, ...change }]), 't.tif')).message).toMatch(message)
  })

  it('refuses a compression it does not decode (JPEG-in-TIFF)', () => {
    const bytes = tiffFile([grey8])
    // Patch the Compression field (tag 259, SHORT) from 1 to 7.
    const view = new DataView(bytes.buffer)
    const ifd = view.getUint32(4, true)
    for (let entry = 0; entry < view.getUint16(ifd, true); entry++) {
      const at = ifd + 2 + entry * 12
      if (view.getUint16(at, true) === 259) view.setUint16(at + 8, 7, true)
    }
    expect(errorOf(() => decodeImage2d(bytes, 'j.tif')).message).toBe('j.tif: a TIFF with compression 7; only uncompressed, LZW, Deflate and PackBits TIFFs are read')
  })

  it('refuses a truncated file instead of reading zeros', () => {
    const bytes = tiffFile([{ ...grey8, rowsPerStrip: H }])
    // The strips come first: cutting inside them leaves the directory unreachable or pointing past the end.
    const error = errorOf(() => decodeImage2d(bytes.subarray(0, 200), 'cut.tif'))
    expect(error.message).toMatch(/^cut\.tif: truncated TIFF/)
    const stripCut = bytes.slice()
    // Move the strip offset so that the strip runs past the end.
    const view = new DataView(stripCut.buffer)
    const ifd = view.getUint32(4, true)
    for (let entry = 0; entry < view.getUint16(ifd, true); entry++) {
      const at = ifd + 2 + entry * 12
      if (view.getUint16(at, true) === 273) view.setUint32(at + 8, stripCut.length - 10, true)
    }
    expect(errorOf(() => decodeImage2d(stripCut, 'cut.tif')).message).toMatch(/^cut\.tif: truncated TIFF: strip 1 of 1 runs past the end of the file/)
  })

  it('refuses LZW data that would make utif2 loop for ever', () => {
    // Code 259 arrives when the next free entry is 258 (impossible), then 66 makes entry 259 point
    // at itself, then 259 sends utif2's decoder round that loop (checked: it never returns).
    const rawStrip = packCodes([
      [256, 9],
      [65, 9],
      [259, 9],
      [66, 9],
      [259, 9],
      [257, 9]
    ])
    const bytes = tiffFile([{ width: 4, height: 1, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, samples: [], compression: 5, rawStrip }])
    expect(errorOf(() => decodeImage2d(bytes, 'lzw.tif')).message).toBe('lzw.tif: corrupt TIFF: strip 1 of 1 holds invalid LZW data')
  }, 10_000)

  it('refuses directories that loop instead of looping for ever', () => {
    const bytes = tiffFile([grey8])
    const view = new DataView(bytes.buffer)
    const ifd = view.getUint32(4, true)
    const next = ifd + 2 + view.getUint16(ifd, true) * 12
    view.setUint32(next, ifd, true)
    expect(errorOf(() => decodeImage2d(bytes, 'loop.tif')).message).toBe(`loop.tif: corrupt TIFF: its directories loop back to byte ${ifd}`)
  })

  it('refuses a width of 0 and images over 16384 pixels a side', () => {
    expect(errorOf(() => decodeImage2d(tiffFile([{ ...grey8, width: 0, samples: [] }]), 'z.tif')).message).toBe(
      'z.tif: the image is 0×23 pixels; a width or height of 0 holds no image'
    )
    const bytes = tiffFile([grey8])
    const view = new DataView(bytes.buffer)
    const ifd = view.getUint32(4, true)
    for (let entry = 0; entry < view.getUint16(ifd, true); entry++) {
      const at = ifd + 2 + entry * 12
      if (view.getUint16(at, true) === 257) view.setUint32(at + 8, 20000, true)
    }
    expect(errorOf(() => decodeImage2d(bytes, 'big.tif')).message).toBe('big.tif: the image is 37×20000 pixels, too large (at most 16384×16384)')
  })
})
