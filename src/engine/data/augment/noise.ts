/**
 * Additive Gaussian noise. The per-voxel values come from their own generator seeded by one draw,
 * so an augmentation is still one draw (a std and a seed) that can be logged and replayed.
 */
import { createRandom, type Random } from '../../../shared/random'
import type { TrainingSample } from '../layout'

export interface NoiseOptions {
  /** Chance (0–1) of adding noise. Default 0.1 (nnU-Net). */
  probability: number
  /** Standard deviation range [min, max] in normalised units; default [0, 0.1]. */
  stdRange: [number, number]
}

export interface NoiseParams {
  /** Standard deviation in normalised units. */
  std: number
  /** Seed of the per-voxel noise. */
  seed: number
}

export const DEFAULT_NOISE: Readonly<NoiseOptions> = Object.freeze({ probability: 0.1, stdRange: [0, 0.1] as [number, number] })

export function addGaussianNoise(sample: TrainingSample, params: NoiseParams): TrainingSample {
  if (params.std === 0) return sample
  const random = createRandom(params.seed)
  const src = sample.image
  const image = new Float32Array(src.length)
  // Box–Muller gives two independent normals per pair of uniforms; use both.
  for (let v = 0; v < src.length; v += 2) {
    const r = params.std * Math.sqrt(-2 * Math.log(1 - random.next()))
    const t = 2 * Math.PI * random.next()
    image[v] = (src[v] as number) + r * Math.cos(t)
    if (v + 1 < src.length) image[v + 1] = (src[v + 1] as number) + r * Math.sin(t)
  }
  return { ...sample, image }
}

/** A std and seed, or null when it does not fire; always three draws. */
export function drawNoise(options: NoiseOptions, random: Random): NoiseParams | null {
  const hit = random.chance(options.probability)
  const std = random.uniform(options.stdRange[0], options.stdRange[1])
  const seed = random.int(0, 0xffffffff)
  return hit ? { std, seed } : null
}

export function randomGaussianNoise(sample: TrainingSample, options: NoiseOptions, random: Random): TrainingSample {
  const params = drawNoise(options, random)
  return params === null ? sample : addGaussianNoise(sample, params)
}
