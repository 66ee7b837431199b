import { describe, expect, it } from 'vitest'
import { DEFAULT_LABEL_COLORS, defaultLabelColor, labelColorRgb, rgbToLab } from '../../../src/shared/labelColors'
import { defaultLabelColor as fromProject } from '../../../src/shared/project'

const deltaE = (a: string, b: string): number => {
  const lab = (hex: string): [number, number, number] => {
    const v = Number.parseInt(hex.slice(1), 16)
    return rgbToLab([(v >> 16) & 255, (v >> 8) & 255, v & 255])
  }
  const [l1, a1, b1] = lab(a)
  const [l2, a2, b2] = lab(b)
  return Math.hypot(l1 - l2, a1 - a2, b1 - b2)
}

const ids = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, n) => from + n)

describe('defaultLabelColor', () => {
  it('keeps the twelve colours ids 1..12 always had', () => {
    expect(ids(1, 12).map(defaultLabelColor)).toEqual([...DEFAULT_LABEL_COLORS])
  })

  it('gives the first 256 ids 256 different colours, no two closer than ΔE 10 (the old rule repeated every 12)', () => {
    const colors = ids(1, 256).map(defaultLabelColor)
    expect(new Set(colors).size).toBe(256)
    // The example: 1, 13, 25 and 49 used to be the same red.
    expect(new Set([1, 13, 25, 49].map(defaultLabelColor)).size).toBe(4)
    let closest = Infinity
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) closest = Math.min(closest, deltaE(colors[i] as string, colors[j] as string))
    }
    expect(closest).toBeGreaterThan(10)
  })

  it('is deterministic: the same colours on every call, and main and the renderer share it', () => {
    const first = ids(1, 400).map(defaultLabelColor)
    expect(ids(1, 400).map(defaultLabelColor)).toEqual(first)
    expect(ids(1, 400).map(fromProject)).toEqual(first)
    expect([65535, 300, 256].map(defaultLabelColor)).toEqual([65535, 300, 256].map(defaultLabelColor))
  })

  it('writes "#rrggbb" for every 16-bit id; generated ones readable on a dark image (not black, not white)', () => {
    for (const id of [...ids(1, 300), 1000, 4096, 65534, 65535]) expect(defaultLabelColor(id)).toMatch(/^#[0-9a-f]{6}$/)
    // Ids 1..12 keep their historical colours (#bcf60c is lighter than this); the rest are generated.
    for (const id of [...ids(13, 300), 1000, 4096, 65534, 65535]) {
      const [l] = rgbToLab(labelColorRgb(id))
      expect(l).toBeGreaterThan(30)
      expect(l).toBeLessThan(90)
    }
  })

  it('keeps neighbouring ids above 256 clearly apart (ΔE > 15)', () => {
    for (let id = 257; id < 2000; id++) expect(deltaE(defaultLabelColor(id), defaultLabelColor(id + 1))).toBeGreaterThan(15)
  })
})
