/** Colour maps as 256-entry RGB lookup tables (Uint8, 3 bytes per entry). */
export const COLORMAP_NAMES = ['grey', 'hot', 'viridis', 'bone'] as const
export type ColormapName = (typeof COLORMAP_NAMES)[number]

type Stops = Array<[number, number, number, number]>

const STOPS: Record<ColormapName, Stops> = {
  grey: [
    [0, 0, 0, 0],
    [1, 255, 255, 255]
  ],
  hot: [
    [0, 0, 0, 0],
    [0.375, 255, 0, 0],
    [0.75, 255, 255, 0],
    [1, 255, 255, 255]
  ],
  viridis: [
    [0, 68, 1, 84],
    [0.25, 59, 82, 139],
    [0.5, 33, 145, 140],
    [0.75, 94, 201, 98],
    [1, 253, 231, 37]
  ],
  bone: [
    [0, 0, 0, 0],
    [0.375, 81, 81, 113],
    [0.75, 166, 198, 198],
    [1, 255, 255, 255]
  ]
}

export function colormapTable(name: ColormapName): Uint8Array {
  const stops = STOPS[name]
  const table = new Uint8Array(256 * 4)
  for (let i = 0; i < 256; i++) {
    const t = i / 255
    let s = 0
    while (s < stops.length - 2 && t > (stops[s + 1]?.[0] ?? 1)) s++
    const a = stops[s] as [number, number, number, number]
    const b = stops[s + 1] as [number, number, number, number]
    const f = b[0] === a[0] ? 0 : (t - a[0]) / (b[0] - a[0])
    table[i * 4] = Math.round(a[1] + (b[1] - a[1]) * f)
    table[i * 4 + 1] = Math.round(a[2] + (b[2] - a[2]) * f)
    table[i * 4 + 2] = Math.round(a[3] + (b[3] - a[3]) * f)
    table[i * 4 + 3] = 255
  }
  return table
}

/** '#rrggbb' → [r, g, b] in 0..255. */
export function parseHexColor(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.replace('#', ''), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}
