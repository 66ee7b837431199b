import { labelColorRgb } from '../../../shared/labelColors'
import { parseHexColor } from './colormaps'

export interface PaletteEntry {
  id: number
  color: string
  visible: boolean
}

/**
 * One RGBA entry per possible label value of a 16-bit label map (0..65535), laid out as a 256×256
 * texture: value v is texel (v mod 256, ⌊v / 256⌋). A full table rather than a per-slice remap of
 * the values present: 256 KiB once, built in well under a millisecond, and nothing to redo when a
 * brush stroke brings a value onto a slice. (A 65536×1 texture would exceed the 16384-texel width many GPUs allow.)
 */
export const PALETTE_SIZE = 65536
export const PALETTE_WIDTH = 256

let generated: Uint8Array | null = null

/** Every value's generated colour, opaque; background (0) transparent. Built once. */
function generatedPalette(): Uint8Array {
  if (generated) return generated
  const table = new Uint8Array(PALETTE_SIZE * 4)
  for (let id = 1; id < PALETTE_SIZE; id++) {
    const [r, g, b] = labelColorRgb(id)
    table[id * 4] = r
    table[id * 4 + 1] = g
    table[id * 4 + 2] = b
    table[id * 4 + 3] = 255
  }
  generated = table
  return table
}

/**
 * Label value → RGBA for all 65536 values: a table entry's own colour (alpha 0 when hidden), and the
 * generated colour for a value the table does not name, so a label value never looks like background
 * just because it is missing from the table. Background (0) is always transparent.
 */
export function buildLabelPalette(entries: readonly PaletteEntry[], target = new Uint8Array(PALETTE_SIZE * 4)): Uint8Array {
  if (target.length !== PALETTE_SIZE * 4) throw new RangeError(`a label palette holds ${PALETTE_SIZE * 4} bytes, not ${target.length}`)
  target.set(generatedPalette())
  for (const entry of entries) {
    if (!Number.isInteger(entry.id) || entry.id < 1 || entry.id >= PALETTE_SIZE) continue
    const [r, g, b] = parseHexColor(entry.color)
    target.set([r, g, b, entry.visible ? 255 : 0], entry.id * 4)
  }
  return target
}

/** The RGBA entry of `label` in a palette built by buildLabelPalette. */
export function paletteEntryOf(palette: Uint8Array, label: number): [number, number, number, number] {
  const o = label * 4
  return [palette[o] ?? 0, palette[o + 1] ?? 0, palette[o + 2] ?? 0, palette[o + 3] ?? 0]
}
