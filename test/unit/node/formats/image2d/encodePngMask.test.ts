/**
 * PNG masks for export: 8-bit unless an id exceeds 255, 0/255 for 'binary-255', and the round trip
 * encodePngMask → decodeImage2d → labelsFromMask giving back the same labels.
 */
import path from 'node:path'
import { existsSync } from 'node:fs'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { decodeImage2d, encodePngMask, labelsFromMask, readImage2d } from '../../../../../src/node/formats/image2d'
import { itUnless } from '../../../../helpers/skipWithReason'
import { errorOf, randomSamples } from './fixtures'
import { sharedDataPath } from '../../../../helpers/sharedData'

const MONTGOMERY_MASK = sharedDataPath('2d', 'cxr-lung-montgomery', 'masks', 'MCUCXR_0001_0.png')

describe('encodePngMask', () => {
  it('writes ids up to 255 as an 8-bit grey PNG and reads them back unchanged', () => {
    const labels = Uint8Array.from(randomSamples(31 * 17, 20, 1))
    const bytes = encodePngMask(labels, 31, 17, 'ids')
    const png = PNG.sync.read(Buffer.from(bytes))
    expect(png).toMatchObject({ width: 31, height: 17, colorType: 0, depth: 8 })
    const image = decodeImage2d(bytes, 'out.png')
    expect(image).toMatchObject({ channels: 1, bitsPerSample: 8 })
    const back = labelsFromMask(image, null)
    expect(back.encoding).toBe('ids')
    expect([...back.labels]).toEqual([...labels])
  })

  it('writes 16 bits when an id exceeds 255, and reads them back unchanged', () => {
    const labels = Uint16Array.from(randomSamples(23 * 9, 40, 2).map((value) => value * 1000))
    labels[0] = 65535
    const bytes = encodePngMask(labels, 23, 9, 'ids')
    expect(PNG.sync.read(Buffer.from(bytes)).depth).toBe(16)
    const image = decodeImage2d(bytes, 'out.png')
    expect(image.bitsPerSample).toBe(16)
    const back = labelsFromMask(image, null)
    expect(back.labels).toBeInstanceOf(Uint16Array)
    expect([...back.labels]).toEqual([...labels])
  })

  it("writes label 1 as 255 with 'binary-255', read back as the same 0/1 labels", () => {
    const labels = Uint8Array.from(randomSamples(20 * 20, 1, 3))
    const image = decodeImage2d(encodePngMask(labels, 20, 20, 'binary-255'), 'out.png')
    expect(new Set(image.data)).toEqual(new Set([0, 255]))
    const back = labelsFromMask(image, null)
    expect(back.encoding).toBe('binary-255')
    expect([...back.labels]).toEqual([...labels])
  })

  itUnless(existsSync(MONTGOMERY_MASK) ? null : `${MONTGOMERY_MASK} is not here (MANIFEST.md section E)`, 'writes a Montgomery mask back with the pixel values it was read with', async () => {
    const mask = await readImage2d(MONTGOMERY_MASK)
    const { labels } = labelsFromMask(mask, null)
    const written = decodeImage2d(encodePngMask(labels, mask.width, mask.height, 'binary-255'), path.basename(MONTGOMERY_MASK))
    expect(Buffer.from(written.data).equals(Buffer.from(mask.data))).toBe(true)
  })

  it('refuses ids other than 0 and 1 for a 0/255 mask, and labels of the wrong size', () => {
    expect(errorOf(() => encodePngMask(Uint8Array.from([0, 1, 2, 0]), 2, 2, 'binary-255')).message).toBe(
      'label 2 cannot be written to a 0/255 mask (only label 1 can); write label ids instead'
    )
    expect(errorOf(() => encodePngMask(new Uint8Array(5), 2, 2, 'ids')).message).toBe('the label map has 5 values but a 2×2 mask needs 4')
    expect(errorOf(() => encodePngMask(new Uint8Array(0), 0, 2, 'ids')).code).toBe('INVALID_ARGUMENT')
  })
})
