/**
 * Choosing the decoder by content, reading from disk (the Montgomery X-rays), and the file-level
 * refusals.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeImage2d, IMAGE_2D_NAME, readImage2d } from '../../../../../src/node/formats/image2d'
import { VoxloopError } from '../../../../../src/shared/errors'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { errorOf, pngFile, tiffFile } from './fixtures'
import { sharedDataPath } from '../../../../helpers/sharedData'

const MONTGOMERY = sharedDataPath('2d', 'cxr-lung-montgomery')
const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-image2d-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function rejectionOf(promise: Promise<unknown>): Promise<VoxloopError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected a VoxloopError')
}

describe('IMAGE_2D_NAME', () => {
  it('matches the 2D image extensions in any case, and nothing else', () => {
    for (const name of ['a.png', 'b.PNG', 'c.jpg', 'd.jpeg', 'e.JPG', 'f.tif', 'g.tiff', 'h.TIF']) expect(IMAGE_2D_NAME.test(name)).toBe(true)
    for (const name of ['a.nii.gz', 'b.png.bak', 'c.jpe', 'd.gif', 'e.bmp', 'png']) expect(IMAGE_2D_NAME.test(name)).toBe(false)
  })
})

describe('decodeImage2d: format by content', () => {
  it('decodes by magic bytes, not by the name', () => {
    const png = pngFile({ width: 2, height: 1, colourType: 0, depth: 8, samples: [3, 4] })
    expect(decodeImage2d(png, 'really-a-png.jpg').format).toBe('png')
    expect(decodeImage2d(tiffFile([{ width: 2, height: 1, bitsPerSample: 8, samplesPerPixel: 1, photometric: 1, samples: [5, 6] }], false), 'x.png').format).toBe('tiff')
  })

  it('refuses an empty file and a file of another format, naming it', () => {
    expect(errorOf(() => decodeImage2d(new Uint8Array(0), 'empty.png')).message).toBe('empty.png: the file is empty')
    const gif = new TextEncoder().encode('GIF89a....')
    expect(errorOf(() => decodeImage2d(gif, 'x.png')).message).toBe('x.png: not a PNG, JPEG or TIFF image (its first bytes match none of them)')
    expect(errorOf(() => decodeImage2d(new Uint8Array([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]), 'big.tif')).message).toBe('big.tif: a BigTIFF file; only classic TIFF is read')
  })
})

describe('readImage2d', () => {
  it('reads a file written to disk and names a missing one NOT_FOUND', async () => {
    const file = path.join(tmp, 'g.png')
    writeFileSync(file, pngFile({ width: 3, height: 2, colourType: 0, depth: 8, samples: [1, 2, 3, 4, 5, 6], physical: { x: 2000, y: 2000, unit: 1 } }))
    const image = await readImage2d(file)
    expect(image).toMatchObject({ file, width: 3, height: 2, spacingMm: [0.5, 0.5] })
    expect([...image.data]).toEqual([1, 2, 3, 4, 5, 6])
    const missing = await rejectionOf(readImage2d(path.join(tmp, 'missing.png')))
    expect(missing.code).toBe('NOT_FOUND')
    expect(missing.message).toBe(`${path.join(tmp, 'missing.png')}: file not found`)
    expect((await rejectionOf(readImage2d(tmp))).message).toBe(`${tmp}: is a directory, not an image`)
  })
})

describeUnless(existsSync(MONTGOMERY) ? null : `${MONTGOMERY} is not here (MANIFEST.md section E)`, 'readImage2d: the Montgomery X-rays', () => {
  it('reads an X-ray as 512×512 8-bit grey with no stated spacing, row 0 at the top', async () => {
    const image = await readImage2d(path.join(MONTGOMERY, 'images', 'MCUCXR_0001_0.png'))
    expect(image).toMatchObject({ format: 'png', width: 512, height: 512, channels: 1, bitsPerSample: 8, spacingMm: null })
    expect(image.data).toHaveLength(512 * 512)
    // Real content: many grey levels, not a constant image.
    expect(new Set(image.data).size).toBeGreaterThan(100)
    // The same samples, in the same order (row 0 = top row), as pngjs reads them.
    const reference = PNG.sync.read(readFileSync(path.join(MONTGOMERY, 'images', 'MCUCXR_0001_0.png')))
    expect(reference.colorType).toBe(0)
    let wrong = 0
    for (let pixel = 0; pixel < 512 * 512; pixel++) if (image.data[pixel] !== reference.data[pixel * 4]) wrong++
    expect(wrong).toBe(0)
  })
})
