/**
 * JPEG decoding through jpeg-js, and the files refused before it is asked: CMYK, 12-bit, lossless,
 * truncated.
 */
import { decode as jpegJsDecode, encode as jpegJsEncode } from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { decodeImage2d } from '../../../../../src/node/formats/image2d'
import { errorOf } from './fixtures'

/** A smooth RGBA gradient (JPEG-friendly), or a grey one with R = G = B. */
function gradient(width: number, height: number, grey: boolean): Uint8Array {
  const rgba = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4
      const red = Math.round((x / (width - 1)) * 255)
      rgba[at] = red
      rgba[at + 1] = grey ? red : Math.round((y / (height - 1)) * 255)
      rgba[at + 2] = grey ? red : 128
      rgba[at + 3] = 255
    }
  }
  return rgba
}

function encode(width: number, height: number, grey: boolean): Uint8Array {
  return new Uint8Array(jpegJsEncode({ width, height, data: gradient(width, height, grey) }, 90).data)
}

/** The offset of the first SOFn marker's length field. */
function frameAt(bytes: Uint8Array): number {
  for (let at = 2; at < bytes.length - 1; at++) if (bytes[at] === 0xff && (bytes[at + 1] === 0xc0 || bytes[at + 1] === 0xc2)) return at
  throw new Error('no SOF')
}

describe('decodeImage2d: JPEG', () => {
  it('reads a colour JPEG as jpeg-js decodes it, three channels', () => {
    const bytes = encode(40, 24, false)
    const image = decodeImage2d(bytes, 'c.jpg')
    expect(image).toMatchObject({ format: 'jpeg', width: 40, height: 24, channels: 3, bitsPerSample: 8, spacingMm: null })
    const reference = jpegJsDecode(bytes, { useTArray: true, formatAsRGBA: false })
    expect([...image.data]).toEqual([...reference.data])
    // And near what was encoded (quality 90): the reader does not scramble channels or rows.
    const source = gradient(40, 24, false)
    let worst = 0
    for (let pixel = 0; pixel < 40 * 24; pixel++) {
      for (let channel = 0; channel < 3; channel++) worst = Math.max(worst, Math.abs((image.data[pixel * 3 + channel] ?? 0) - (source[pixel * 4 + channel] ?? 0)))
    }
    expect(worst).toBeLessThan(24)
  })

  it('returns a JPEG of a grey image as one channel', () => {
    const image = decodeImage2d(encode(32, 16, true), 'g.jpg')
    expect(image.channels).toBe(1)
    expect(image.data.length).toBe(32 * 16)
  })

  it('reads a JPEG whatever the file is called', () => {
    expect(decodeImage2d(encode(8, 8, false), 'named-as.png').format).toBe('jpeg')
  })

  it('refuses a CMYK JPEG by name', () => {
    const bytes = encode(16, 16, false)
    bytes[frameAt(bytes) + 9] = 4 // number of components in SOF
    expect(errorOf(() => decodeImage2d(bytes, 'cmyk.jpg')).message).toBe('cmyk.jpg: a CMYK JPEG; save it as RGB or greyscale (CMYK colours cannot be read reliably)')
  })

  it('refuses 12-bit and lossless JPEGs by name', () => {
    const twelve = encode(16, 16, false)
    twelve[frameAt(twelve) + 4] = 12
    expect(errorOf(() => decodeImage2d(twelve, 'x.jpg')).message).toBe('x.jpg: a 12-bit JPEG; only 8-bit JPEGs are read (save it as 16-bit PNG or TIFF)')
    const lossless = encode(16, 16, false)
    lossless[frameAt(lossless) + 1] = 0xc3
    expect(errorOf(() => decodeImage2d(lossless, 'x.jpg')).message).toMatch(/^x\.jpg: a lossless, hierarchical or arithmetic-coded JPEG \(SOF marker 0xc3\)/)
  })

  it('names a truncated JPEG as truncated', () => {
    const bytes = encode(64, 64, false)
    expect(errorOf(() => decodeImage2d(bytes.subarray(0, bytes.length - 200), 'cut.jpg')).message).toBe('cut.jpg: truncated JPEG: the file ends before its end-of-image marker')
    expect(errorOf(() => decodeImage2d(bytes.subarray(0, 100), 'cut.jpg')).message).toMatch(/^cut\.jpg: truncated JPEG/)
  })

  it('refuses a frame of 0 rows', () => {
    const bytes = encode(16, 16, false)
    const frame = frameAt(bytes)
    bytes[frame + 5] = 0
    bytes[frame + 6] = 0
    expect(errorOf(() => decodeImage2d(bytes, 'z.jpg')).message).toBe('z.jpg: the image is 16×0 pixels; a width or height of 0 holds no image')
  })
})
