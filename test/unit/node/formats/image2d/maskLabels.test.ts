/**
 * Masks to label ids by the rules in maskLabels.ts: the Montgomery lung masks (0/255), anti-aliased
 * and JPEG masks, small-integer and spaced-out ids, colour masks through a class list, and the
 * refusals (an image given as a mask, unlisted values and colours).
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { encode as jpegJsEncode } from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { decodeImage2d, labelsFromMask, parseClassList, readImage2d, type Image2D } from '../../../../../src/node/formats/image2d'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { errorOf } from './fixtures'
import { sharedDataPath } from '../../../../helpers/sharedData'

const MONTGOMERY = sharedDataPath('2d', 'cxr-lung-montgomery')
const montgomeryMissing = (() => {
  try {
    return readdirSync(path.join(MONTGOMERY, 'masks')).length === 40 ? null : `${MONTGOMERY}/masks does not hold the 40 masks of MANIFEST.md section E`
  } catch {
    return `${MONTGOMERY} is not here (MANIFEST.md section E)`
  }
})()

function grey(width: number, height: number, values: ArrayLike<number>, file = 'm.png', bits: 8 | 16 = 8): Image2D {
  const data = bits === 16 ? Uint16Array.from(values) : Uint8Array.from(values)
  return { file, format: 'png', width, height, channels: 1, bitsPerSample: bits, data, spacingMm: null }
}

function rgb(width: number, height: number, values: ArrayLike<number>, file = 'm.png'): Image2D {
  return { file, format: 'png', width, height, channels: 3, bitsPerSample: 8, data: Uint8Array.from(values), spacingMm: null }
}

/** A disc of radius r in an n×n image, its edge anti-aliased by 4×4 supersampling (coverage × 255). */
function antiAliasedDisc(n: number, r: number): { values: number[]; inside: number[] } {
  const values: number[] = []
  const inside: number[] = []
  const centre = n / 2
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let covered = 0
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (Math.hypot(x + (sx + 0.5) / 4 - centre, y + (sy + 0.5) / 4 - centre) < r) covered++
      const value = Math.round((covered / 16) * 255)
      values.push(value)
      inside.push(value >= 128 ? 1 : 0)
    }
  }
  return { values, inside }
}

describeUnless(montgomeryMissing, 'labelsFromMask: the Montgomery lung masks', () => {
  it('reads every mask as binary-255 with one label covering 16–40 % of the image (to two decimals)', async () => {
    const files = readdirSync(path.join(MONTGOMERY, 'masks')).sort()
    expect(files).toHaveLength(40)
    for (const name of files) {
      const mask = await readImage2d(path.join(MONTGOMERY, 'masks', name))
      expect(mask).toMatchObject({ width: 512, height: 512, channels: 1, bitsPerSample: 8 })
      const result = labelsFromMask(mask, null)
      expect(result.encoding).toBe('binary-255')
      expect(result.ids).toEqual([1])
      expect(result.notes).toEqual([])
      let lung = 0
      let wrong = 0
      for (let index = 0; index < result.labels.length; index++) {
        if (result.labels[index] !== (mask.data[index] === 255 ? 1 : 0)) wrong++
        lung += result.labels[index] ?? 0
      }
      expect(wrong).toBe(0)
      // MANIFEST.md gives 0.16–0.40, rounded to two decimals.
      const fraction = lung / result.labels.length
      expect(fraction).toBeGreaterThanOrEqual(0.155)
      expect(fraction).toBeLessThan(0.405)
    }
  })

  it('refuses an X-ray given as a mask', async () => {
    const image = await readImage2d(path.join(MONTGOMERY, 'images', 'MCUCXR_0001_0.png'))
    expect(errorOf(() => labelsFromMask(image, null)).message).toMatch(/^\/.*MCUCXR_0001_0\.png: \d+ distinct grey values — this looks like an image, not a mask/)
  })

  it('reads a mask with the class list "1 lung" as label 1, and with {"lung": 255} as label 255', async () => {
    const mask = await readImage2d(path.join(MONTGOMERY, 'masks', 'MCUCXR_0001_0.png'))
    const one = labelsFromMask(mask, parseClassList('1 lung', 'classes.txt'))
    expect(one.encoding).toBe('binary-255')
    expect(one.ids).toEqual([1])
    const stored = labelsFromMask(mask, parseClassList('{"lung": 255}', 'classes.json'))
    expect(stored.encoding).toBe('ids')
    expect(stored.ids).toEqual([255])
  })
})

describe('labelsFromMask: grey masks without a class list', () => {
  it('thresholds a 0/255 mask with anti-aliased edges at 128, with a note', () => {
    const { values, inside } = antiAliasedDisc(128, 40)
    const between = values.filter((value) => value !== 0 && value !== 255).length
    expect(between / values.length).toBeGreaterThan(0)
    expect(between / values.length).toBeLessThan(0.02)
    const result = labelsFromMask(grey(128, 128, values), null)
    expect(result.encoding).toBe('binary-255')
    expect([...result.labels]).toEqual(inside)
    expect(result.notes).toEqual([`thresholded ${between} anti-aliased edge pixels at 128`])
  })

  it('reads 0/1 and 0/1/2 masks as the ids they hold', () => {
    expect(labelsFromMask(grey(3, 1, [0, 1, 1]), null)).toMatchObject({ encoding: 'ids', ids: [1] })
    const three = labelsFromMask(grey(4, 1, [0, 2, 1, 2]), null)
    expect(three).toMatchObject({ encoding: 'ids', ids: [1, 2], notes: [] })
    expect([...three.labels]).toEqual([0, 2, 1, 2])
  })

  it('reads {0, 128, 255} with regions of 128 as ids 128 and 255, not renumbered or thresholded', () => {
    // 20×20: left third 0, middle 128, right 255 — 128 is a region (interior pixels), not an edge.
    const values = Array.from({ length: 400 }, (_, index) => [0, 128, 255][Math.min(2, Math.floor((index % 20) / 7))] ?? 0)
    const result = labelsFromMask(grey(20, 20, values), null)
    expect(result).toMatchObject({ encoding: 'ids', ids: [128, 255], notes: [] })
    expect([...result.labels]).toEqual(values)
  })

  it('does not threshold a small region of an in-between value (a class, not an edge)', () => {
    // 60×60, left half 255; a 7×7 block of 128 (1.4 % of the pixels, under the 2 % limit) in the right half.
    const values = Array.from({ length: 3600 }, (_, index) => {
      const x = index % 60
      const y = Math.floor(index / 60)
      if (x >= 40 && x < 47 && y >= 20 && y < 27) return 128
      return x < 30 ? 255 : 0
    })
    const result = labelsFromMask(grey(60, 60, values), null)
    expect(result).toMatchObject({ encoding: 'ids', ids: [128, 255], notes: [] })
  })

  it('does not threshold in-between values above 2 % of the pixels', () => {
    // A thin ring of 100 on 5 % of the pixels, around a 255 disc: ids, not a threshold.
    const values = Array.from({ length: 400 }, (_, index) => (index < 20 ? 100 : index < 200 ? 255 : 0))
    expect(labelsFromMask(grey(20, 20, values), null)).toMatchObject({ encoding: 'ids', ids: [100, 255] })
  })

  it(`refuses more than 64 distinct values as an image`, () => {
    const values = Array.from({ length: 400 }, (_, index) => index % 214)
    expect(errorOf(() => labelsFromMask(grey(20, 20, values), null)).message).toBe(
      'm.png: 214 distinct grey values — this looks like an image, not a mask (a mask has at most 64 label values; give a class list if it really has more)'
    )
    const sixtyFour = Array.from({ length: 400 }, (_, index) => index % 65)
    expect(labelsFromMask(grey(20, 20, sixtyFour), null).ids).toHaveLength(64)
  })

  it('reads 16-bit masks as ids, in a 16-bit label array when an id exceeds 255', () => {
    const result = labelsFromMask(grey(4, 1, [0, 300, 1000, 300], 'm16.png', 16), null)
    expect(result).toMatchObject({ encoding: 'ids', ids: [300, 1000] })
    expect(result.labels).toBeInstanceOf(Uint16Array)
    expect([...result.labels]).toEqual([0, 300, 1000, 300])
  })

  it('gives an empty mask no ids and a note', () => {
    expect(labelsFromMask(grey(2, 2, [0, 0, 0, 0]), null)).toMatchObject({ encoding: 'ids', ids: [], notes: ['empty mask (every pixel is 0)'] })
  })
})

describe('labelsFromMask: JPEG masks', () => {
  function jpegOf(values: readonly number[], n: number): Image2D {
    const rgba = new Uint8Array(n * n * 4)
    values.forEach((value, index) => rgba.set([value, value, value, 255], index * 4))
    return decodeImage2d(new Uint8Array(jpegJsEncode({ width: n, height: n, data: rgba }, 85).data), 'm.jpg')
  }

  it('thresholds a black-and-white JPEG mask at 128 with a note, matching the mask it was made from', () => {
    const { values, inside } = antiAliasedDisc(96, 30)
    const mask = jpegOf(
      values.map((value) => (value >= 128 ? 255 : 0)),
      96
    )
    expect(mask.channels).toBe(1)
    const result = labelsFromMask(mask, null)
    expect(result.encoding).toBe('binary-255')
    expect(result.notes).toHaveLength(1)
    expect(result.notes[0]).toMatch(/^JPEG mask: thresholded at 128 \([\d,]+ pixels were not exactly 0 or 255 after lossy compression\)$/)
    const agree = inside.filter((value, index) => result.labels[index] === value).length
    expect(agree / inside.length).toBeGreaterThan(0.995)
  })

  it('refuses a JPEG mask of small ids, which lossy compression cannot keep', () => {
    const values = Array.from({ length: 64 * 64 }, (_, index) => (index % 64) >> 4)
    expect(errorOf(() => labelsFromMask(jpegOf(values.map((value) => value * 60), 64), null)).message).toBe(
      'm.jpg: a JPEG mask that is not black and white (0/255): lossy JPEG changes label values, so save masks as PNG'
    )
  })

  it('maps a JPEG colour mask to the nearest listed colours, with notes', () => {
    const n = 64
    const rgba = new Uint8Array(n * n * 4)
    const truth: number[] = []
    for (let index = 0; index < n * n; index++) {
      const x = index % n
      const label = x < 20 ? 0 : x < 42 ? 1 : 2
      truth.push(label)
      rgba.set([...([[0, 0, 0], [255, 0, 0], [0, 0, 255]][label] ?? []), 255], index * 4)
    }
    const mask = decodeImage2d(new Uint8Array(jpegJsEncode({ width: n, height: n, data: rgba }, 90).data), 'c.jpg')
    expect(mask.channels).toBe(3)
    const result = labelsFromMask(mask, parseClassList('1 lung #ff0000\n2 heart #0000ff', 'classes.txt'), { classFile: 'classes.txt' })
    expect(result.encoding).toBe('colours')
    expect(result.ids).toEqual([1, 2])
    expect(result.notes.some((note) => /^JPEG mask: [\d,]+ pixels took the nearest class colour \(within 48\)$/.test(note))).toBe(true)
    const agree = truth.filter((label, index) => result.labels[index] === label).length
    expect(agree / truth.length).toBeGreaterThan(0.98)
  })
})

describe('labelsFromMask: class lists', () => {
  it('maps an RGB colour mask through the class list, black being the background', () => {
    const colours = [
      [0, 0, 0],
      [255, 0, 0],
      [0, 255, 0],
      [255, 0, 0]
    ]
    const result = labelsFromMask(rgb(4, 1, colours.flat()), parseClassList('1 lung 255 0 0\n2 heart #00ff00', 'classes.txt'))
    expect(result).toMatchObject({ encoding: 'colours', ids: [1, 2], notes: [] })
    expect([...result.labels]).toEqual([0, 1, 2, 1])
  })

  it('lets the class list give black to a class', () => {
    const result = labelsFromMask(rgb(2, 1, [0, 0, 0, 9, 9, 9]), parseClassList('{"background": "#090909", "air": "#000000"}', 'c.json'))
    // "air" is numbered 1 (background is 0): black is air here, and (9, 9, 9) the background.
    expect([...result.labels]).toEqual([1, 0])
  })

  it('names an unlisted colour, its pixel count and the class list', () => {
    const values: number[] = []
    for (let index = 0; index < 400; index++) values.push(...(index < 310 ? [12, 200, 7] : index < 390 ? [255, 0, 0] : [1, 2, 3]))
    const error = errorOf(() => labelsFromMask(rgb(20, 20, values), parseClassList('1 lung #ff0000', 'classes.json'), { classFile: 'classes.json' }))
    expect(error.message).toBe('m.png: colour (12, 200, 7) on 310 pixels is not in classes.json, nor are 1 other colour on 10 pixels')
  })

  it('refuses an RGB mask without a class list of colours', () => {
    const mask = rgb(2, 1, [255, 0, 0, 0, 0, 0])
    expect(errorOf(() => labelsFromMask(mask, null)).message).toBe('m.png: an RGB colour mask needs a class list with colours (name → colour); none was given')
    expect(errorOf(() => labelsFromMask(mask, parseClassList('1 lung', 'c.txt'), { classFile: 'c.txt' })).message).toBe(
      'm.png: an RGB colour mask needs a class list with colours (name → colour); c.txt gives no colours'
    )
  })

  it('names the grey values a value list does not have', () => {
    const error = errorOf(() => labelsFromMask(grey(5, 1, [0, 1, 3, 3, 7]), parseClassList('1 a\n2 b', 'c.txt'), { classFile: 'c.txt' }))
    expect(error.message).toBe('m.png: grey values 3, 7 (on 3 pixels) are not in c.txt')
  })

  it('keeps listed in-between values instead of thresholding them', () => {
    // 2 pixels of 128 on edges (under 2 %): thresholded without a list, kept when 128 is listed.
    const values = Array.from({ length: 400 }, (_, index): number => (index < 200 ? 255 : 0))
    values[199] = 128
    values[200] = 128
    expect(labelsFromMask(grey(20, 20, values), null).encoding).toBe('binary-255')
    const listed = labelsFromMask(grey(20, 20, values), parseClassList('128 edge\n255 lung', 'c.txt'))
    expect(listed).toMatchObject({ encoding: 'ids', ids: [128, 255] })
  })

  it('reads grey values through a list of grey colours', () => {
    const result = labelsFromMask(grey(3, 1, [0, 128, 255]), parseClassList('{"a": "#808080", "b": "#ffffff"}', 'c.json'))
    expect(result).toMatchObject({ encoding: 'colours', ids: [1, 2] })
    expect([...result.labels]).toEqual([0, 1, 2])
  })

  it('treats an empty class list as none', () => {
    expect(labelsFromMask(grey(2, 1, [0, 255]), [])).toMatchObject({ encoding: 'binary-255', ids: [1] })
  })
})
