/**
 * Quarter turns in the axial plane (H × W), numpy.rot90(x, k, axes=(h, w)) semantics: k = 1 turns
 * the first row into the first column read from the end, and the shape becomes [D, W, H] for odd k.
 * Exact (a permutation of voxels), so four turns are the identity.
 */
import type { Random } from '../../../shared/random'
import type { TrainingSample } from '../layout'

export type QuarterTurns = 0 | 1 | 2 | 3

export interface Rot90Options {
  /**
   * Chance (0–1) of a turn; the number of quarter turns is then 1, 2 or 3 with equal chance.
   * Default 0: most anatomy has a canonical in-plane orientation; enable for data that does not.
   */
  probability: number
}

export const DEFAULT_ROT90: Readonly<Rot90Options> = Object.freeze({ probability: 0 })

/** Rotates by k quarter turns (any integer; taken modulo 4). Returns `sample` itself for 0. */
export function rot90(sample: TrainingSample, k: number): TrainingSample {
  const turns = (((Math.round(k) % 4) + 4) % 4) as QuarterTurns
  if (turns === 0) return sample
  const [D, H, W] = sample.shape
  const C = sample.channels
  // Output plane is [oh, ow]; for each output (i, j) the source (h, w):
  //   k=1: (j, W-1-i)   k=2: (H-1-i, W-1-j)   k=3: (H-1-j, i)
  const oh = turns === 2 ? H : W
  const ow = turns === 2 ? W : H
  const image = new Float32Array(sample.image.length)
  const label = new Uint8Array(sample.label.length)
  let o = 0
  for (let d = 0; d < D; d++) {
    const plane = d * H * W
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o++) {
        const s = turns === 1 ? plane + j * W + (W - 1 - i) : turns === 2 ? plane + (H - 1 - i) * W + (W - 1 - j) : plane + (H - 1 - j) * W + i
        label[o] = sample.label[s] as number
        for (let c = 0; c < C; c++) image[o * C + c] = sample.image[s * C + c] as number
      }
    }
  }
  return { image, label, shape: [D, oh, ow], channels: C }
}

/** Draws the number of quarter turns; always two draws. */
export function drawRot90(options: Rot90Options, random: Random): QuarterTurns {
  const hit = random.chance(options.probability)
  const k = random.int(1, 3) as QuarterTurns
  return hit ? k : 0
}

export function randomRot90(sample: TrainingSample, options: Rot90Options, random: Random): TrainingSample {
  return rot90(sample, drawRot90(options, random))
}

export interface TransposeOptions {
  /**
   * Chance (0–1) of swapping H and W. Default 0: a transpose mirrors the plane across its diagonal,
   * so it is only for anatomy that looks alike mirrored (the 'transpose' preset entry comes only with
   * quarter turns and an in-plane mirror axis, src/shared/augmentation.ts).
   */
  probability: number
}

export const DEFAULT_TRANSPOSE: Readonly<TransposeOptions> = Object.freeze({ probability: 0 })

/** Swaps H and W: output (d, i, j) is input (d, j, i), shape [D, W, H]. Exact; its own inverse. */
export function transposeHW(sample: TrainingSample): TrainingSample {
  const [D, H, W] = sample.shape
  const C = sample.channels
  const image = new Float32Array(sample.image.length)
  const label = new Uint8Array(sample.label.length)
  let o = 0
  for (let d = 0; d < D; d++) {
    const plane = d * H * W
    for (let i = 0; i < W; i++) {
      for (let j = 0; j < H; j++, o++) {
        const s = plane + j * W + i
        label[o] = sample.label[s] as number
        for (let c = 0; c < C; c++) image[o * C + c] = sample.image[s * C + c] as number
      }
    }
  }
  return { image, label, shape: [D, W, H], channels: C }
}

/** Whether to transpose; always one draw. */
export function drawTranspose(options: TransposeOptions, random: Random): boolean {
  return random.chance(options.probability)
}
