/**
 * Cross-check against Pillow (libpng, libjpeg, libtiff), an implementation that shares nothing with
 * pngjs, jpeg-js or utif2: Pillow writes each file with its own encoders and records the samples it
 * decodes; the reader must give the same samples (JPEG: within a few levels, the two IDCTs differ),
 * the same spacing, and refuse what it claims to refuse. Skipped with the reason when
 * /usr/bin/python3 has no Pillow or numpy.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { decodeImage2d } from '../../../../../src/node/formats/image2d'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { errorOf } from './fixtures'

const PYTHON = '/usr/bin/python3'

const pillowMissing = ((): string | null => {
  try {
    execFileSync(PYTHON, ['-c', 'import PIL, numpy'], { stdio: 'pipe' })
    return null
  } catch {
    return `${PYTHON} with Pillow and numpy is not available`
  }
})()

const SCRIPT = String.raw`
import json, sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(7)
h, w = 37, 53
yy, xx = np.mgrid[0:h, 0:w]
grey8 = ((xx * 255 // (w - 1) + rng.integers(0, 40, (h, w))) % 256).astype(np.uint8)
grey16 = (xx * 1200 + yy * 7 + rng.integers(0, 50, (h, w))).astype(np.uint16)
rgb = np.stack([grey8, (yy * 255 // (h - 1)).astype(np.uint8), 255 - grey8], axis=-1)
rgba = np.concatenate([rgb, rng.integers(0, 256, (h, w, 1)).astype(np.uint8)], axis=-1)
cases = []
def save(name, image, expected, channels, bits, exact=True, spacing=None, **options):
    image.save(f"{out}/{name}", **options)
    np.ascontiguousarray(expected).astype('<u2' if bits == 16 else 'u1').tofile(f"{out}/{name}.raw")
    cases.append(dict(name=name, width=w, height=h, channels=channels, bits=bits, exact=exact, spacing=spacing))
save('grey8.png', Image.fromarray(grey8), grey8, 1, 8)
save('grey16.png', Image.fromarray(grey16), grey16, 1, 16)
save('rgb.png', Image.fromarray(rgb), rgb, 3, 8, dpi=(254, 127), spacing=[0.1, 0.2])
save('rgba.png', Image.fromarray(rgba, 'RGBA'), rgb, 3, 8)
la = Image.fromarray(np.stack([grey8, 255 - grey8], axis=-1), 'LA')
save('la.png', la, grey8, 1, 8)
palette = Image.fromarray(rgb).quantize(colors=20)
save('palette.png', palette, np.asarray(palette.convert('RGB')), 3, 8)
bilevel = Image.fromarray(grey8 > 128).convert('1')
save('bilevel.png', bilevel, (np.asarray(bilevel) > 0).astype(np.uint8), 1, 8)
save('grey8-lzw.tif', Image.fromarray(grey8), grey8, 1, 8, compression='tiff_lzw')
save('grey16-lzw.tif', Image.fromarray(grey16), grey16, 1, 16, compression='tiff_lzw')
save('rgb-deflate.tif', Image.fromarray(rgb), rgb, 3, 8, compression='tiff_adobe_deflate', dpi=(254, 254), spacing=[0.1, 0.1])
save('grey8-packbits.tif', Image.fromarray(grey8), grey8, 1, 8, compression='packbits')
save('rgba-raw.tif', Image.fromarray(rgba, 'RGBA'), rgb, 3, 8)
save('grey.jpg', Image.fromarray(grey8), grey8, 1, 8, exact=False, quality=95)
save('rgb.jpg', Image.fromarray(rgb), rgb, 3, 8, exact=False, quality=95, subsampling=0)
save('rgb-progressive.jpg', Image.fromarray(rgb), rgb, 3, 8, exact=False, quality=95, subsampling=0, progressive=True)
# What Pillow itself decodes from its lossy files is the reference for those.
for case in cases:
    if not case['exact']:
        decoded = np.asarray(Image.open(f"{out}/{case['name']}"))
        decoded.astype('u1').tofile(f"{out}/{case['name']}.raw")
Image.fromarray(rgb).convert('CMYK').save(f"{out}/cmyk.jpg")
Image.fromarray(grey8).save(f"{out}/pages.tif", save_all=True, append_images=[Image.fromarray(grey8)])
json.dump(cases, open(f"{out}/cases.json", 'w'))
`

interface PillowCase {
  name: string
  width: number
  height: number
  channels: 1 | 3
  bits: 8 | 16
  exact: boolean
  spacing: [number, number] | null
}

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-pillow-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function generate(): PillowCase[] {
  execFileSync(PYTHON, ['-c', SCRIPT, tmp], { stdio: 'pipe' })
  return JSON.parse(readFileSync(path.join(tmp, 'cases.json'), 'utf8')) as PillowCase[]
}

describeUnless(pillowMissing, 'decodeImage2d agrees with Pillow', () => {
  it('reads every file Pillow writes as the samples Pillow holds', () => {
    const cases = generate()
    expect(cases.length).toBeGreaterThanOrEqual(15)
    for (const testCase of cases) {
      const image = decodeImage2d(readFileSync(path.join(tmp, testCase.name)), testCase.name)
      expect({ name: testCase.name, width: image.width, height: image.height, channels: image.channels, bits: image.bitsPerSample }).toEqual({
        name: testCase.name,
        width: testCase.width,
        height: testCase.height,
        channels: testCase.channels,
        bits: testCase.bits
      })
      const raw = readFileSync(path.join(tmp, `${testCase.name}.raw`))
      const expected = testCase.bits === 16 ? new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2) : new Uint8Array(raw)
      expect(image.data.length, testCase.name).toBe(expected.length)
      let worst = 0
      for (let index = 0; index < expected.length; index++) worst = Math.max(worst, Math.abs((image.data[index] ?? 0) - (expected[index] ?? 0)))
      // libjpeg and jpeg-js round their IDCTs differently; lossless formats must match exactly.
      expect(worst, testCase.name).toBeLessThanOrEqual(testCase.exact ? 0 : 3)
      if (testCase.spacing === null) expect(image.spacingMm, testCase.name).toBeNull()
      else {
        expect(image.spacingMm?.[0], testCase.name).toBeCloseTo(testCase.spacing[0], 4)
        expect(image.spacingMm?.[1], testCase.name).toBeCloseTo(testCase.spacing[1], 4)
      }
    }
    expect(errorOf(() => decodeImage2d(readFileSync(path.join(tmp, 'cmyk.jpg')), 'cmyk.jpg')).message).toMatch(/^cmyk\.jpg: a CMYK JPEG/)
    expect(errorOf(() => decodeImage2d(readFileSync(path.join(tmp, 'pages.tif')), 'pages.tif')).message).toBe('pages.tif: a 2-page TIFF; a 2D image must have one page')
  })
})
