import { labelColorRgb, rgbToLab } from '../../../shared/labelColors'
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

export type Lab = readonly [number, number, number]

/**
 * CIEDE2000 colour difference (Sharma, Wu & Dalal 2005, kL = kC = kH = 1). Used rather than the
 * Euclidean ΔE*76 because ΔE*76 overstates differences between saturated colours (two oranges at
 * ΔE*76 25 look alike) and understates them among blues and greys, which is where "nearly the same
 * colour" complaints come from. About 1 is a just-noticeable difference; above 10, two label colours
 * read as different colours.
 */
export function deltaE2000(lab1: Lab, lab2: Lab): number {
  const [l1, a1, b1] = lab1
  const [l2, a2, b2] = lab2
  const rad = Math.PI / 180
  const c1 = Math.hypot(a1, b1)
  const c2 = Math.hypot(a2, b2)
  const cMean7 = ((c1 + c2) / 2) ** 7
  const g = 0.5 * (1 - Math.sqrt(cMean7 / (cMean7 + 25 ** 7)))
  const a1p = (1 + g) * a1
  const a2p = (1 + g) * a2
  const c1p = Math.hypot(a1p, b1)
  const c2p = Math.hypot(a2p, b2)
  const hueOf = (a: number, b: number): number => (a === 0 && b === 0 ? 0 : (Math.atan2(b, a) / rad + 360) % 360)
  const h1p = hueOf(a1p, b1)
  const h2p = hueOf(a2p, b2)

  const dLp = l2 - l1
  const dCp = c2p - c1p
  let dhp = 0
  if (c1p * c2p !== 0) {
    dhp = h2p - h1p
    if (dhp > 180) dhp -= 360
    else if (dhp < -180) dhp += 360
  }
  const dHp = 2 * Math.sqrt(c1p * c2p) * Math.sin((dhp / 2) * rad)

  const lMean = (l1 + l2) / 2
  const cMeanP = (c1p + c2p) / 2
  let hMean = h1p + h2p
  if (c1p * c2p !== 0) {
    if (Math.abs(h1p - h2p) <= 180) hMean /= 2
    else hMean = h1p + h2p < 360 ? (hMean + 360) / 2 : (hMean - 360) / 2
  }
  const t =
    1 -
    0.17 * Math.cos((hMean - 30) * rad) +
    0.24 * Math.cos(2 * hMean * rad) +
    0.32 * Math.cos((3 * hMean + 6) * rad) -
    0.2 * Math.cos((4 * hMean - 63) * rad)
  const dTheta = 30 * Math.exp(-(((hMean - 275) / 25) ** 2))
  const cMeanP7 = cMeanP ** 7
  const rC = 2 * Math.sqrt(cMeanP7 / (cMeanP7 + 25 ** 7))
  const sL = 1 + (0.015 * (lMean - 50) ** 2) / Math.sqrt(20 + (lMean - 50) ** 2)
  const sC = 1 + 0.045 * cMeanP
  const sH = 1 + 0.015 * cMeanP * t
  const rT = -Math.sin(2 * dTheta * rad) * rC
  const termL = dLp / sL
  const termC = dCp / sC
  const termH = dHp / sH
  return Math.sqrt(termL ** 2 + termC ** 2 + termH ** 2 + rT * termC * termH)
}

interface Candidates {
  hex: string[]
  lab: Lab[]
}

let candidates: Candidates | null = null

/**
 * Colours a new label may get: a 16-level sRGB grid kept to lightness L* 35..85 (neither lost on a
 * dark image nor white) and chroma ≥ 20 (not read as a grey intensity), the rule the generated label
 * colours follow (shared/labelColors.ts). About 1,700 colours, built once.
 */
function labelColorCandidates(): Candidates {
  if (candidates) return candidates
  const levels = 16
  const hex: string[] = []
  const lab: Lab[] = []
  for (let r = 0; r < levels; r++) {
    for (let g = 0; g < levels; g++) {
      for (let b = 0; b < levels; b++) {
        const rgb: [number, number, number] = [r * 17, g * 17, b * 17]
        const [l, a, bb] = rgbToLab(rgb)
        if (l < 35 || l > 85 || Math.hypot(a, bb) < 20) continue
        hex.push(rgbHex(rgb))
        lab.push([l, a, bb])
      }
    }
  }
  candidates = { hex, lab }
  return candidates
}

function rgbHex([r, g, b]: readonly [number, number, number]): string {
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`
}

/**
 * The colour for a label added to a table already holding `existing` colours ('#rrggbb'): among the
 * candidates, the one whose nearest existing colour is farthest away in CIEDE2000 (farthest-point
 * choice). `preferred` (the id's generated colour, so that a value painted before it was named keeps
 * its look) wins whenever it is within 1 ΔE00 of the best, a difference nobody sees. The generated
 * colour alone was not enough: it is spread from the other generated colours by ΔE*76, not from the
 * colours a table actually has (the demo's fourth label came out a second orange, 14.5 ΔE00 from the
 * organ's; after 27 generated colours the 28th is 8.9 from one of them). Tens of milliseconds for a
 * few dozen labels, about 0.4 s for thousands (the early exit keeps most candidates short).
 */
export function distinctLabelColor(existing: readonly string[], preferred?: string): string {
  const { hex, lab } = labelColorCandidates()
  const taken = existing.map((color) => rgbToLab(parseHexColor(color)))
  if (taken.length === 0) return preferred ?? (hex[0] as string)
  const nearestTaken = (candidate: Lab, atLeast: number): number => {
    let nearest = Infinity
    for (const other of taken) {
      nearest = Math.min(nearest, deltaE2000(candidate, other))
      // Cannot beat the best so far: stop early (most candidates sit near some taken colour).
      if (nearest <= atLeast) break
    }
    return nearest
  }
  let best = -1
  let bestDistance = -Infinity
  for (let c = 0; c < hex.length; c++) {
    const distance = nearestTaken(lab[c] as Lab, bestDistance)
    if (distance > bestDistance) {
      best = c
      bestDistance = distance
    }
  }
  if (preferred && nearestTaken(rgbToLab(parseHexColor(preferred)), -Infinity) >= bestDistance - 1) return preferred
  return hex[best] as string
}
