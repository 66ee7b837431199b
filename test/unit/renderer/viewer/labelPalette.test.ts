import { describe, expect, it } from 'vitest'
import { defaultLabelColor, rgbToLab } from '../../../../src/shared/labelColors'
import {
  buildLabelPalette,
  deltaE2000,
  distinctLabelColor,
  paletteEntryOf,
  PALETTE_SIZE,
  PALETTE_WIDTH,
  type Lab
} from '../../../../src/renderer/src/viewer/labelPalette'
import { parseHexColor } from '../../../../src/renderer/src/viewer/colormaps'

/** What the shaders do: texelFetch(uPalette, ivec2(v & 255, v >> 8)) on a 256-wide texture. */
function shaderLookup(palette: Uint8Array, value: number): [number, number, number, number] {
  const texel = (value >> 8) * PALETTE_WIDTH + (value & 255)
  return paletteEntryOf(palette, texel)
}

describe('buildLabelPalette', () => {
  it('covers every 16-bit value: the table is 256×256 RGBA', () => {
    expect(PALETTE_SIZE).toBe(65536)
    expect(buildLabelPalette([]).length).toBe(PALETTE_SIZE * 4)
    expect(PALETTE_SIZE % PALETTE_WIDTH).toBe(0)
  })

  it('gives ids above 255 their own opaque colours, distinct from each other and from 1..255', () => {
    const entries = [1, 2, 255, 256, 300, 65535].map((id) => ({ id, color: defaultLabelColor(id), visible: true }))
    const palette = buildLabelPalette(entries)
    for (const id of [256, 300, 65535]) {
      const [r, g, b, a] = shaderLookup(palette, id)
      expect(a).toBe(255)
      expect([r, g, b]).toEqual(parseHexColor(defaultLabelColor(id)))
    }
    const colours = [1, 2, 255, 256, 300, 65535].map((id) => shaderLookup(palette, id).slice(0, 3).join())
    expect(new Set(colours).size).toBe(6)
    // Value 256 must not alias value 0 (background) or 1, as an 8-bit table would.
    expect(shaderLookup(palette, 0)[3]).toBe(0)
    expect(shaderLookup(palette, 256)).not.toEqual(shaderLookup(palette, 1))
  })

  it('keeps explicit colours, hides hidden labels and never draws background', () => {
    const palette = buildLabelPalette([
      { id: 1, color: '#102030', visible: true },
      { id: 300, color: '#abcdef', visible: true },
      { id: 301, color: '#ffffff', visible: false }
    ])
    expect(shaderLookup(palette, 1)).toEqual([0x10, 0x20, 0x30, 255])
    expect(shaderLookup(palette, 300)).toEqual([0xab, 0xcd, 0xef, 255])
    expect(shaderLookup(palette, 301)[3]).toBe(0)
    expect(shaderLookup(palette, 0)).toEqual([0, 0, 0, 0])
  })

  it('draws a value missing from the table in its generated colour instead of as background', () => {
    const palette = buildLabelPalette([{ id: 1, color: '#ff0000', visible: true }])
    expect(shaderLookup(palette, 4000)).toEqual([...parseHexColor(defaultLabelColor(4000)), 255])
  })

  it('is deterministic and rebuilds in place (a hidden label shown again gets its colour back)', () => {
    const target = new Uint8Array(PALETTE_SIZE * 4)
    const shown = [{ id: 700, color: '#123456', visible: true }]
    const first = buildLabelPalette(shown, target).slice()
    buildLabelPalette([{ id: 700, color: '#123456', visible: false }], target)
    expect(shaderLookup(target, 700)[3]).toBe(0)
    expect(buildLabelPalette(shown, target)).toEqual(first)
    expect(buildLabelPalette(shown)).toEqual(first)
  })

  it('refuses a target of the wrong size', () => {
    expect(() => buildLabelPalette([], new Uint8Array(256 * 4))).toThrow(/65536|262144/)
  })
})

describe('deltaE2000', () => {
  // Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes",
  // Table 1: pairs chosen to exercise the hue wrap-around, the mean-hue cases and the rotation term.
  const sharma: [Lab, Lab, number][] = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, 3.1571, -77.2803], [50, 0, -82.7485], 2.8615],
    [[50, 2.8361, -74.02], [50, 0, -82.7485], 3.4412],
    [[50, -1.3802, -84.2814], [50, 0, -82.7485], 1.0],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.49, -0.001], [50, -2.49, 0.0009], 7.1792],
    [[50, 2.49, -0.001], [50, -2.49, 0.0011], 7.2195],
    [[50, 2.5, 0], [73, 25, -18], 27.1492],
    [[50, 2.5, 0], [61, -5, 29], 22.8977],
    [[50, 2.5, 0], [56, -27, -3], 31.903],
    [[50, 2.5, 0], [58, 24, 15], 19.4535],
    [[50, 2.5, 0], [50, 3.1736, 0.5854], 1.0],
    [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
    [[63.0109, -31.0961, -5.8663], [62.8187, -29.7946, -4.0864], 1.263],
    [[2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082]
  ]

  it.each(sharma)('matches the published difference of %j and %j (%f)', (lab1, lab2, expected) => {
    expect(deltaE2000(lab1, lab2)).toBeCloseTo(expected, 4)
    // Symmetric, as the formula is.
    expect(deltaE2000(lab2, lab1)).toBeCloseTo(expected, 4)
  })

  it('is 0 for the same colour', () => {
    expect(deltaE2000([40, 20, -30], [40, 20, -30])).toBe(0)
  })
})

describe('distinctLabelColor', () => {
  const lab = (hex: string): Lab => rgbToLab(parseHexColor(hex))
  const nearest = (color: string, existing: readonly string[]): number => Math.min(...existing.map((other) => deltaE2000(lab(color), lab(other))))

  it('keeps the preferred colour when nothing is taken or it is already far from every taken colour', () => {
    expect(distinctLabelColor([], '#123456')).toBe('#123456')
    // Pure red alone: the generated blue of id 3 is as far from it as any candidate would be for the eye.
    const far = distinctLabelColor(['#e6194b'], defaultLabelColor(3))
    expect(nearest(far, ['#e6194b'])).toBeGreaterThan(30)
  })

  it('moves away from a preferred colour that nearly equals a taken one', () => {
    const taken = ['#f2a93b', '#e0413a', '#3b8fe0']
    const chosen = distinctLabelColor(taken, '#f0a840')
    expect(chosen).not.toBe('#f0a840')
    expect(nearest(chosen, taken)).toBeGreaterThan(nearest('#f0a840', taken) + 20)
  })

  it('returns a valid colour inside the lightness and chroma the label colours keep', () => {
    const chosen = distinctLabelColor(['#808080', '#ffffff', '#000000'])
    expect(chosen).toMatch(/^#[0-9a-f]{6}$/)
    const [l, a, b] = lab(chosen)
    expect(l).toBeGreaterThanOrEqual(35)
    expect(l).toBeLessThanOrEqual(85)
    expect(Math.hypot(a, b)).toBeGreaterThanOrEqual(20)
  })

  it('is deterministic', () => {
    const taken = ['#f2a93b', '#e0413a', '#3b8fe0', '#3cb44b']
    expect(distinctLabelColor(taken)).toBe(distinctLabelColor(taken))
  })
})
