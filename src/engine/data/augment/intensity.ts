/**
 * Multiplicative (contrast/brightness) and additive intensity changes, on every channel alike, in
 * normalised units. Labels are untouched and shared with the input sample (never written).
 */
import type { Random } from '../../../shared/random'
import type { TrainingSample } from '../layout'

export interface IntensityScaleOptions {
  /** Chance (0–1) of scaling. Default 0.15 (nnU-Net's brightness). */
  probability: number
  /** Factor range [min, max]; default [0.75, 1.25]. */
  range: [number, number]
}

export interface IntensityShiftOptions {
  /** Chance (0–1) of shifting. Default 0.15. */
  probability: number
  /** Offset range [min, max] in normalised units (z-score: standard deviations); default [-0.1, 0.1]. */
  range: [number, number]
}

export const DEFAULT_INTENSITY_SCALE: Readonly<IntensityScaleOptions> = Object.freeze({ probability: 0.15, range: [0.75, 1.25] as [number, number] })
export const DEFAULT_INTENSITY_SHIFT: Readonly<IntensityShiftOptions> = Object.freeze({ probability: 0.15, range: [-0.1, 0.1] as [number, number] })

/** x → x · factor. */
export function scaleIntensity(sample: TrainingSample, factor: number): TrainingSample {
  if (factor === 1) return sample
  const image = new Float32Array(sample.image.length)
  for (let v = 0; v < image.length; v++) image[v] = (sample.image[v] as number) * factor
  return { ...sample, image }
}

/** x → x + offset. */
export function shiftIntensity(sample: TrainingSample, offset: number): TrainingSample {
  if (offset === 0) return sample
  const image = new Float32Array(sample.image.length)
  for (let v = 0; v < image.length; v++) image[v] = (sample.image[v] as number) + offset
  return { ...sample, image }
}

/** A factor, or null when it does not fire; always two draws. */
export function drawIntensityScale(options: IntensityScaleOptions, random: Random): number | null {
  const hit = random.chance(options.probability)
  const factor = random.uniform(options.range[0], options.range[1])
  return hit ? factor : null
}

/** An offset, or null when it does not fire; always two draws. */
export function drawIntensityShift(options: IntensityShiftOptions, random: Random): number | null {
  const hit = random.chance(options.probability)
  const offset = random.uniform(options.range[0], options.range[1])
  return hit ? offset : null
}

export function randomScaleIntensity(sample: TrainingSample, options: IntensityScaleOptions, random: Random): TrainingSample {
  const factor = drawIntensityScale(options, random)
  return factor === null ? sample : scaleIntensity(sample, factor)
}

export function randomShiftIntensity(sample: TrainingSample, options: IntensityShiftOptions, random: Random): TrainingSample {
  const offset = drawIntensityShift(options, random)
  return offset === null ? sample : shiftIntensity(sample, offset)
}
