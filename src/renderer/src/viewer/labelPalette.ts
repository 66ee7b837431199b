import { parseHexColor } from './colormaps'

export interface PaletteEntry {
  id: number
  color: string
  visible: boolean
}

/** 256 RGBA entries: label value → colour, alpha 0 for background and hidden labels. */
export function buildLabelPalette(entries: readonly PaletteEntry[], target = new Uint8Array(256 * 4)): Uint8Array {
  target.fill(0)
  for (const entry of entries) {
    if (entry.id < 1 || entry.id > 255) continue
    const [r, g, b] = parseHexColor(entry.color)
    target.set([r, g, b, entry.visible ? 255 : 0], entry.id * 4)
  }
  return target
}
