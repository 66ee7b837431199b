/**
 * Random translation of the content (the "shift" of albumentations' ShiftScaleRotate). Applied in
 * the affine pass together with rotation and zoom (affine.ts, `shiftVoxels`), so the three cost one
 * resampling; this file holds its options and its draw.
 */
import type { Random } from '../../../shared/random'

export interface ShiftOptions {
  /** Chance (0–1) of a shift. Default 0 (off; the 'light' and 'heavy' presets turn it on). */
  probability: number
  /** Largest shift per axis as a share of the patch edge, 0–0.5; default 0.0625 (albumentations). */
  fraction: number
}

export const DEFAULT_SHIFT: Readonly<ShiftOptions> = Object.freeze({ probability: 0, fraction: 0.0625 })

/** Per axis [d, h, w], a share of the patch edge uniform in ±fraction, or null; always four draws. */
export function drawShift(options: ShiftOptions, random: Random): [number, number, number] | null {
  const hit = random.chance(options.probability)
  const shift: [number, number, number] = [random.uniform(-1, 1) * options.fraction, random.uniform(-1, 1) * options.fraction, random.uniform(-1, 1) * options.fraction]
  return hit ? shift : null
}
