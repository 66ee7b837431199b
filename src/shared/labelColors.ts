/**
 * Colours for labels that arrive without one (imported label values, labels added in the app, and
 * label values present in a map but missing from the table). Deterministic: the same id always gets
 * the same colour, in main (import) and in the renderer (palette) alike.
 */

/** Twelve distinguishable label colours: ids 1..12 keep them, as projects made before had them. */
export const DEFAULT_LABEL_COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#46f0f0',
  '#f032e6',
  '#bcf60c',
  '#fabebe',
  '#008080',
  '#e6beff',
  '#9a6324'
] as const

/**
 * The demo project's label colours (main/services/demo/createDemoProject.ts), here so that the
 * renderer's tests can hold the uncertainty heat map's colours against them (uncertaintyRamp.test.ts).
 */
export const DEMO_LABEL_COLORS = { organ: '#f2a93b', lesion: '#e0413a', vessel: '#3b8fe0' } as const

/** Ids 1..SPREAD_COLORS get colours spread apart in CIELAB (see spreadColors); later ids a formula. */
export const SPREAD_COLORS = 256

export type Rgb = [number, number, number]

let spread: Rgb[] | null = null

/** The colour of label `labelId` (1..65535) as '#rrggbb'. */
export function defaultLabelColor(labelId: number): string {
  const [r, g, b] = labelColorRgb(labelId)
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`
}

/** The colour of label `labelId` (1..65535) as [r, g, b] in 0..255. */
export function labelColorRgb(labelId: number): Rgb {
  if (!Number.isInteger(labelId) || labelId < 1) return [255, 255, 255]
  if (labelId <= SPREAD_COLORS) {
    spread ??= spreadColors(SPREAD_COLORS)
    return [...(spread[labelId - 1] as Rgb)]
  }
  return sequenceColor(labelId)
}

/**
 * The twelve defaults, then greedy farthest-point sampling in CIELAB: each next colour is the
 * candidate farthest (ΔE*76) from every colour already chosen. The old rule cycled twelve colours
 * (ids 1, 13, 25, 49 looked the same) and golden-ratio hue stepping puts ids 96 and 240 at ΔE 0.5;
 * this table keeps every pair of the first 256 at least ΔE 11 apart, and consecutive ids far apart
 * because each pick is the one least like all before it. Candidates are a 12-level RGB grid with
 * lightness 35..85 (not lost on a dark image, not white) and chroma ≥ 20 (not read as grey
 * intensity). Tens of milliseconds, once, on first use. Ties go to the lowest candidate index: deterministic.
 */
function spreadColors(count: number): Rgb[] {
  const levels = 12
  const candidates: Rgb[] = []
  const lab: number[] = []
  for (let r = 0; r < levels; r++) {
    for (let g = 0; g < levels; g++) {
      for (let b = 0; b < levels; b++) {
        const rgb: Rgb = [r, g, b].map((v) => Math.round((v * 255) / (levels - 1))) as Rgb
        const [l, a, bb] = rgbToLab(rgb)
        if (l < 35 || l > 85 || Math.hypot(a, bb) < 20) continue
        candidates.push(rgb)
        lab.push(l, a, bb)
      }
    }
  }
  const nearest = new Float64Array(candidates.length).fill(Infinity)
  const chosen: Rgb[] = []
  const take = (rgb: Rgb): void => {
    chosen.push(rgb)
    const [l, a, b] = rgbToLab(rgb)
    for (let c = 0; c < candidates.length; c++) {
      const d = Math.hypot((lab[c * 3] as number) - l, (lab[c * 3 + 1] as number) - a, (lab[c * 3 + 2] as number) - b)
      if (d < (nearest[c] as number)) nearest[c] = d
    }
  }
  for (const hex of DEFAULT_LABEL_COLORS) take(parseHex(hex))
  while (chosen.length < count) {
    let best = 0
    for (let c = 1; c < candidates.length; c++) if ((nearest[c] as number) > (nearest[best] as number)) best = c
    take(candidates[best] as Rgb)
  }
  return chosen.slice(0, count)
}

/**
 * Ids beyond the spread table (rare: 16-bit atlases): an R3 low-discrepancy sequence (the 3D
 * generalisation of golden-ratio stepping) over CIELAB hue, chroma and lightness, so that nearby
 * ids still differ in all three. Lightness is chosen in Lab, not HSL, because an HSL lightness puts
 * blue at L* 26, too dark to see on an image.
 */
function sequenceColor(labelId: number): Rgb {
  const g = 1.2207440846057596 // the plastic number: x³ = x + 1
  const frac = (x: number): number => x - Math.floor(x)
  const hue = 2 * Math.PI * frac(0.5 + labelId / g)
  const chroma = 35 + 30 * frac(0.5 + labelId / (g * g))
  const lightness = 45 + 35 * frac(0.5 + labelId / (g * g * g))
  return labToRgb([lightness, chroma * Math.cos(hue), chroma * Math.sin(hue)])
}

function parseHex(hex: string): Rgb {
  const value = Number.parseInt(hex.slice(1), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

/** CIELAB (D65) → sRGB bytes, each channel clipped to the gamut. */
function labToRgb([l, a, b]: readonly [number, number, number]): Rgb {
  const fy = (l + 16) / 116
  const inverse = (f: number): number => (f ** 3 > 216 / 24389 ? f ** 3 : (116 * f - 16) / (24389 / 27))
  const x = inverse(fy + a / 500) * 0.95047
  const y = inverse(fy)
  const z = inverse(fy - b / 200) * 1.08883
  const gamma = (c: number): number => {
    const v = Math.min(1, Math.max(0, c))
    return Math.round((v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055) * 255)
  }
  return [
    gamma(3.2406 * x - 1.5372 * y - 0.4986 * z),
    gamma(-0.9689 * x + 1.8758 * y + 0.0415 * z),
    gamma(0.0557 * x - 0.204 * y + 1.057 * z)
  ]
}

/** sRGB bytes → CIELAB (D65). */
export function rgbToLab(rgb: readonly [number, number, number]): [number, number, number] {
  const linear = (c: number): number => {
    const v = c / 255
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  const [r, g, b] = rgb.map(linear) as Rgb
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116)
  const x = f((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047)
  const y = f(r * 0.2126 + g * 0.7152 + b * 0.0722)
  const z = f((r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883)
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)]
}
