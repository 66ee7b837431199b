/**
 * The y axis of the training charts: a range snapped to round numbers and at least three ticks
 * (issue #15 item 9: the loss chart showed one y tick, so nothing could be read off it). uPlot's
 * own choice depends on the pixel height and may leave a single tick on a short chart whose values
 * span little; these are chosen from the values alone.
 */

/** Fewest ticks an axis shows. */
export const MIN_TICKS = 3
/** Ticks aimed at. */
const TARGET_TICKS = 5

/** The round step (1, 2, 2.5 or 5 × 10^k) at or above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= raw * (1 - 1e-9)) return factor * power
  return 10 * power
}

/** [min, max] of the values shown, padded when flat, snapped to multiples of its tick step. */
export function niceRange(dataMin: number | null, dataMax: number | null): [number, number] {
  if (dataMin === null || dataMax === null || !Number.isFinite(dataMin) || !Number.isFinite(dataMax)) return [0, 1]
  let min = Math.min(dataMin, dataMax)
  let max = Math.max(dataMin, dataMax)
  if (max - min < Math.max(Math.abs(max), 1) * 1e-6) {
    // One value (the first step) or a flat line: a band around it, so that it still gets ticks.
    const pad = Math.max(Math.abs(max) * 0.05, 1e-3)
    min -= pad
    max += pad
  }
  const step = niceStep((max - min) / (TARGET_TICKS - 1))
  return [Math.floor(min / step) * step, Math.ceil(max / step) * step]
}

/** Tick values between min and max (both included when round): at least MIN_TICKS for a range from niceRange. */
export function niceTicks(min: number, max: number): number[] {
  if (!(max > min)) return [min]
  let step = niceStep((max - min) / (TARGET_TICKS - 1))
  const ticksAt = (s: number): number[] => {
    const out: number[] = []
    const first = Math.ceil(min / s - 1e-9)
    const last = Math.floor(max / s + 1e-9)
    for (let n = first; n <= last; n++) out.push(+(n * s).toPrecision(12))
    return out
  }
  let ticks = ticksAt(step)
  // A fixed range (Dice 0–1) or one uPlot widened may hold fewer: take finer steps.
  while (ticks.length < MIN_TICKS && step > (max - min) * 1e-6) {
    step = niceStep(step / 2.01)
    ticks = ticksAt(step)
  }
  return ticks
}

/** Tick labels with as many decimals as the step needs (0.25 → 2, 0.05 → 2, 5 → 0). */
export function tickLabels(ticks: readonly number[]): string[] {
  const step = ticks.length > 1 ? Math.abs((ticks[1] as number) - (ticks[0] as number)) : 1
  let decimals = 0
  while (decimals < 8 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++
  return ticks.map((t) => t.toFixed(decimals))
}
