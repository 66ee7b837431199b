/**
 * PNG decoding: every colour type and bit depth (samples as stored, alpha dropped, grey RGB
 * collapsed), palette, tRNS that must not rewrite values, pHYs spacing, and damaged files.
 */
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { decodeImage2d, MAX_IMAGE_2D_SIDE } from '../../../../../src/node/formats/image2d'
import { concat, errorOf, pngChunk, pngFile, type PngSpec, randomSamples } from './fixtures'

const W = 5
const H = 3

describe('decodeImage2d: PNG colour types and depths', () => {
  it.each([1, 2, 4, 8] as const)('reads %i-bit grey as the stored values (not rescaled to 0..255)', (depth) => {
    const max = 2 ** depth - 1
    const samples = randomSamples(W * H, max, depth)
    samples[0] = max
    samples[1] = 0
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 0, depth, samples }), 'g.png')
    expect(image).toMatchObject({ format: 'png', width: W, height: H, channels: 1, bitsPerSample: 8, spacingMm: null })
    expect(image.data).toBeInstanceOf(Uint8Array)
    expect([...image.data]).toEqual(samples)
  })

  it('reads a 1-bit mask as 0/1', () => {
    const samples = [0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 0, depth: 1, samples }), 'm.png')
    expect([...image.data]).toEqual(samples)
  })

  it('keeps 16-bit grey as 16-bit values', () => {
    const samples = randomSamples(W * H, 65535, 16)
    samples[0] = 65535
    samples[1] = 256
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 0, depth: 16, samples }), 'g16.png')
    expect(image.bitsPerSample).toBe(16)
    expect(image.data).toBeInstanceOf(Uint16Array)
    expect([...image.data]).toEqual(samples)
  })

  it.each([8, 16] as const)('reads %i-bit RGB with its channels interleaved', (depth) => {
    const samples = randomSamples(W * H * 3, 2 ** depth - 1, 3 + depth)
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 2, depth, samples }), 'rgb.png')
    expect(image).toMatchObject({ channels: 3, bitsPerSample: depth })
    expect([...image.data]).toEqual(samples)
  })

  it.each([8, 16] as const)('drops the alpha of %i-bit RGBA', (depth) => {
    const samples = randomSamples(W * H * 4, 2 ** depth - 1, 4 + depth)
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 6, depth, samples }), 'rgba.png')
    expect(image.channels).toBe(3)
    expect([...image.data]).toEqual(samples.filter((_, index) => index % 4 !== 3))
  })

  it.each([8, 16] as const)('reads %i-bit grey + alpha as grey', (depth) => {
    const samples = randomSamples(W * H * 2, 2 ** depth - 1, 5 + depth)
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 4, depth, samples }), 'ga.png')
    expect(image).toMatchObject({ channels: 1, bitsPerSample: depth })
    expect([...image.data]).toEqual(samples.filter((_, index) => index % 2 === 0))
  })

  it('returns an RGB image whose channels are equal everywhere as one grey channel', () => {
    const grey = randomSamples(W * H, 255, 9)
    const samples = grey.flatMap((value) => [value, value, value, 255])
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 6, depth: 8, samples }), 'greyrgb.png')
    expect(image.channels).toBe(1)
    expect([...image.data]).toEqual(grey)
  })

  it('keeps three channels when a single pixel differs between channels', () => {
    const samples = Array.from({ length: W * H * 3 }, () => 7)
    samples[W * H * 3 - 1] = 8
    expect(decodeImage2d(pngFile({ width: W, height: H, colourType: 2, depth: 8, samples }), 'x.png').channels).toBe(3)
  })

  it.each([1, 2, 4, 8] as const)('reads a %i-bit palette image as the palette colours', (depth) => {
    const palette: [number, number, number][] = [
      [0, 0, 0],
      [255, 0, 0],
      [0, 128, 255]
    ]
    const indices = randomSamples(W * H, depth === 1 ? 1 : 2, 11)
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 3, depth, samples: indices, palette }), 'p.png')
    expect(image.channels).toBe(3)
    expect([...image.data]).toEqual(indices.flatMap((index) => palette[index] ?? []))
  })

  it('reads a palette of greys as one grey channel', () => {
    const palette: [number, number, number][] = [
      [0, 0, 0],
      [255, 255, 255]
    ]
    const indices = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0]
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 3, depth: 1, samples: indices, palette }), 'p.png')
    expect(image.channels).toBe(1)
    expect([...image.data]).toEqual(indices.map((index) => index * 255))
  })

  it('leaves pixels of the tRNS colour as they are (pngjs would zero them)', () => {
    const samples = [255, 0, 255, 128, 255, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255]
    const transparency = new Uint8Array([0, 255]) // grey 255 is "transparent"
    const image = decodeImage2d(pngFile({ width: W, height: H, colourType: 0, depth: 8, samples, transparency }), 't.png')
    expect([...image.data]).toEqual(samples)
  })

  it.each<[string, PngSpec['colourType'], PngSpec['depth'], number]>([
    ['1-bit grey', 0, 1, 1],
    ['8-bit grey', 0, 8, 1],
    ['16-bit RGB', 2, 16, 3]
  ])('reads an Adam7-interlaced %s image in row order', (_, colourType, depth, channels) => {
    const width = 13
    const height = 11
    const samples = randomSamples(width * height * channels, 2 ** depth - 1, 20 + depth)
    const image = decodeImage2d(pngFile({ width, height, colourType, depth, samples, interlaced: true }), 'i.png')
    expect(image.channels).toBe(channels)
    expect([...image.data]).toEqual(samples)
  })

  it('agrees with pngjs decoding a file pngjs wrote', () => {
    const png = new PNG({ width: 4, height: 2 })
    png.data = Buffer.from(randomSamples(4 * 2 * 4, 255, 12))
    const bytes = PNG.sync.write(png)
    const image = decodeImage2d(bytes, 'pngjs.png')
    expect([...image.data]).toEqual([...png.data].filter((_, index) => index % 4 !== 3))
  })
})

describe('decodeImage2d: PNG spacing (pHYs)', () => {
  const base: PngSpec = { width: 2, height: 2, colourType: 0, depth: 8, samples: [1, 2, 3, 4] }

  it('turns pixels per metre into millimetres, x and y apart', () => {
    const image = decodeImage2d(pngFile({ ...base, physical: { x: 5000, y: 2500, unit: 1 } }), 's.png')
    expect(image.spacingMm?.[0]).toBeCloseTo(0.2, 12)
    expect(image.spacingMm?.[1]).toBeCloseTo(0.4, 12)
  })

  it('gives null for an aspect ratio only (unit 0) or no pHYs', () => {
    expect(decodeImage2d(pngFile({ ...base, physical: { x: 1, y: 1, unit: 0 } }), 's.png').spacingMm).toBeNull()
    expect(decodeImage2d(pngFile(base), 's.png').spacingMm).toBeNull()
  })
})

describe('decodeImage2d: damaged and out-of-range PNGs', () => {
  const good = pngFile({ width: 16, height: 16, colourType: 0, depth: 8, samples: randomSamples(256, 255, 13) })

  it('refuses a truncated file, naming it', () => {
    for (const length of [12, 40, good.length - 20, good.length - 1]) {
      const error = errorOf(() => decodeImage2d(good.subarray(0, length), 'cut.png'))
      expect(error.code).toBe('INVALID_ARGUMENT')
      expect(error.message).toMatch(/^cut\.png: (truncated|corrupt)/)
    }
  })

  it('refuses a file whose image data fails its CRC', () => {
    const broken = good.slice()
    const idat = Buffer.from(broken).indexOf('IDAT')
    broken[idat + 6] = (broken[idat + 6] ?? 0) ^ 0xff
    expect(errorOf(() => decodeImage2d(broken, 'crc.png')).message).toMatch(/^crc\.png: corrupt PNG: chunk "IDAT" at byte \d+ fails its CRC check/)
  })

  /** A PNG with this header (valid CRCs) and a few bytes of image data that are never reached. */
  function headerOnly(width: number, height: number, depth: number, colourType: number): Uint8Array {
    const header = new Uint8Array(13)
    new DataView(header.buffer).setUint32(0, width)
    new DataView(header.buffer).setUint32(4, height)
    header[8] = depth
    header[9] = colourType
    return concat([good.subarray(0, 8), pngChunk('IHDR', header), pngChunk('IDAT', new Uint8Array(10)), pngChunk('IEND', new Uint8Array(0))])
  }

  it('refuses a width or height of 0 before decoding', () => {
    expect(errorOf(() => decodeImage2d(headerOnly(0, 1, 8, 0), 'zero.png')).message).toBe('zero.png: the image is 0×1 pixels; a width or height of 0 holds no image')
    expect(errorOf(() => decodeImage2d(headerOnly(3, 0, 8, 0), 'zero.png')).message).toBe('zero.png: the image is 3×0 pixels; a width or height of 0 holds no image')
  })

  it(`refuses images over ${MAX_IMAGE_2D_SIDE} pixels a side from the header alone`, () => {
    expect(errorOf(() => decodeImage2d(headerOnly(MAX_IMAGE_2D_SIDE + 1, 10, 8, 0), 'huge.png')).message).toBe(
      'huge.png: the image is 16385×10 pixels, too large (at most 16384×16384)'
    )
    expect(errorOf(() => decodeImage2d(headerOnly(10, 100000, 8, 0), 'huge.png')).message).toMatch(/too large/)
  })

  it('refuses a bit depth the colour type does not allow', () => {
    expect(errorOf(() => decodeImage2d(headerOnly(1, 1, 4, 2), 'd.png')).message).toBe('d.png: corrupt PNG: bit depth 4 is not allowed with colour type 2')
  })
})
