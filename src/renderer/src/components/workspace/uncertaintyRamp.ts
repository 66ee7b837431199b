import { HEAT_HIGH_RGB, HEAT_LOW_RGB } from '../../viewer/shaders'

/**
 * CSS gradient stops of the uncertainty heat map as the slice shader blends it: colour
 * mix(HEAT_LOW_RGB, HEAT_HIGH_RGB, u), opacity `opacity · u` for uncertainty u in 0..1.
 */
export function heatRampStops(opacity: number, steps = 8): string[] {
  const alpha = Math.min(1, Math.max(0, opacity))
  const stops: string[] = []
  for (let s = 0; s <= steps; s++) {
    const u = s / steps
    // GLSL's mix(), written so that u = 1 gives the high colour exactly.
    const [r, g, b] = HEAT_LOW_RGB.map((low, c) => Math.round(255 * (low * (1 - u) + (HEAT_HIGH_RGB[c] as number) * u)))
    stops.push(`rgba(${r}, ${g}, ${b}, ${(alpha * u).toFixed(3)}) ${(u * 100).toFixed(1)}%`)
  }
  return stops
}
