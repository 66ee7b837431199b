/**
 * Gamma on the range-normalised intensities, per channel: x → min + (max − min)·((x − min)/(max − min))^γ
 * with min and max of the patch, so the range is restored and only the curve between changes
 * (nnU-Net's GammaTransform without retaining statistics).
 */
import type { Random } from '../../../shared/random'
import type { TrainingSample } from '../layout'

export interface GammaOptions {
  /** Chance (0–1) of a gamma change. Default 0.3 (nnU-Net). */
  probability: number
  /**
   * γ range [min, max]; default [0.7, 1.5]. When it straddles 1, γ < 1 and γ > 1 are equally likely
   * (then uniform within [min, 1] or [1, max]), so brightening and darkening balance.
   */
  range: [number, number]
}

export const DEFAULT_GAMMA: Readonly<GammaOptions> = Object.freeze({ probability: 0.3, range: [0.7, 1.5] as [number, number] })

export function gamma(sample: TrainingSample, gammaValue: number): TrainingSample {
  if (gammaValue === 1) return sample
  if (!(gammaValue > 0)) throw new RangeError(`gamma must be positive, got ${gammaValue}`)
  const C = sample.channels
  const src = sample.image
  const image = new Float32Array(src.length)
  for (let c = 0; c < C; c++) {
    let min = Infinity
    let max = -Infinity
    for (let v = c; v < src.length; v += C) {
      const x = src[v] as number
      if (x < min) min = x
      if (x > max) max = x
    }
    const range = max - min
    if (!(range > 0)) {
      for (let v = c; v < src.length; v += C) image[v] = src[v] as number
      continue
    }
    for (let v = c; v < src.length; v += C) image[v] = min + range * Math.pow(((src[v] as number) - min) / range, gammaValue)
  }
  return { ...sample, image }
}

/** γ, or null when it does not fire; always three draws. */
export function drawGamma(options: GammaOptions, random: Random): number | null {
  const hit = random.chance(options.probability)
  const below = random.chance(0.5)
  const u = random.next()
  const [lo, hi] = options.range
  if (!hit) return null
  if (lo < 1 && hi > 1) return below ? lo + u * (1 - lo) : 1 + u * (hi - 1)
  return lo + u * (hi - lo)
}

export function randomGamma(sample: TrainingSample, options: GammaOptions, random: Random): TrainingSample {
  const value = drawGamma(options, random)
  return value === null ? sample : gamma(sample, value)
}
