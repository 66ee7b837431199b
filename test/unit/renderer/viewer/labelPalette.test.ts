import { describe, expect, it } from 'vitest'
import { defaultLabelColor } from '../../../../src/shared/labelColors'
import { buildLabelPalette, paletteEntryOf, PALETTE_SIZE, PALETTE_WIDTH } from '../../../../src/renderer/src/viewer/labelPalette'
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
