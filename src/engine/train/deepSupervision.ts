/**
 * Deep supervision (nnU-Net): a network may give, besides its full-resolution probabilities, the
 * probabilities of lower decoder stages (each 1/2 of the one before). Each output is scored against
 * the labels at its own resolution, and the losses are added with weights by resolution, 1, 1/2,
 * 1/4, … normalised to sum to 1, so the coarse stages learn the layout early and the main output
 * stays the one that counts. Outputs may also all be at full resolution (U-Net++'s heads on its
 * nested decoders X^{0,1…depth}): they then weigh the same, U-Net++'s averaged loss.
 *
 * The labels at 1/f resolution are soft: each coarse voxel holds the share of each class among the
 * f³ fine voxels it covers (average pooling of the one-hot labels; f² in the plane for a 2D network,
 * whose outputs keep D = 1, hence factors per axis), computed in JS from the batch's label array so
 * that no pooling kernel is needed on any backend.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { LabelArray } from '../../shared/volume'

/** The model's outputs as a list: the main (full-resolution) output first. */
export function outputsOf(result: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(result) ? result : [result]
}

/** Downsampling factors [D, H, W] of a deep supervision output: [f, f, f] for a 3D network, [1, f, f] for a 2D one. */
export type SupervisionFactors = [number, number, number]

/** Input size over output size per spatial axis [D, H, W]: positive integers, or INVALID_ARGUMENT. */
export function downsamplingFactor(fine: readonly number[], coarse: readonly number[]): SupervisionFactors {
  const factors = [1, 2, 3].map((axis) => (fine[axis] as number) / (coarse[axis] as number)) as SupervisionFactors
  if (factors.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new VoxloopError('INVALID_ARGUMENT', `deep supervision: output ${JSON.stringify(coarse)} is not an integer downsampling of ${JSON.stringify(fine)}`)
  }
  return factors
}

/**
 * Soft one-hot labels at 1/factor resolution, float32 [b, D/fd, H/fh, W/fw, K]: for each coarse
 * voxel the fraction of its fd·fh·fw fine voxels of each class. `shape` is [b, D, H, W] (W fastest);
 * `factor` one number for every axis, or [fd, fh, fw].
 */
export function softLabelsDownsampled(labels: LabelArray, shape: readonly [number, number, number, number], numClasses: number, factor: number | readonly [number, number, number]): Float32Array {
  const [b, d, h, w] = shape
  const [fd, fh, fw] = typeof factor === 'number' ? [factor, factor, factor] : factor
  if (d % fd || h % fh || w % fw) throw new VoxloopError('INVALID_ARGUMENT', `deep supervision: [${d}, ${h}, ${w}] is not divisible by ${typeof factor === 'number' ? factor : `[${factor.join(', ')}]`}`)
  const [cd, ch, cw] = [d / fd, h / fh, w / fw]
  const out = new Float32Array(b * cd * ch * cw * numClasses)
  const share = 1 / (fd * fh * fw)
  for (let n = 0; n < b; n++) {
    for (let z = 0; z < d; z++) {
      const cz = Math.floor(z / fd)
      for (let y = 0; y < h; y++) {
        const cy = Math.floor(y / fh)
        const rowIn = ((n * d + z) * h + y) * w
        const rowOut = ((n * cd + cz) * ch + cy) * cw
        for (let x = 0; x < w; x++) {
          const label = labels[rowIn + x] as number
          if (label >= numClasses) throw new VoxloopError('INVALID_ARGUMENT', `deep supervision: label ${label} is not below numClasses ${numClasses}`)
          out[(rowOut + Math.floor(x / fw)) * numClasses + label] += share
        }
      }
    }
  }
  return out
}

/**
 * Loss weights of outputs of these shapes ([b, D, H, W, K], the main one first): each output's
 * resolution relative to the main one (1/f for the largest factor f over its axes), normalised to
 * sum to 1. The plain U-Nets' heads at 1, 1/2, 1/4 of the input get nnU-Net's 1, 1/2, 1/4; heads
 * that all predict at full resolution (U-Net++) get equal shares. One output: [1].
 */
export function supervisionWeights(shapes: ReadonlyArray<readonly number[]>): number[] {
  const [main] = shapes
  if (!main) throw new VoxloopError('INVALID_ARGUMENT', 'deep supervision needs at least one output, got 0')
  const raw = shapes.map((shape) => 1 / Math.max(...downsamplingFactor(main, shape)))
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w) => w / sum)
}

/** The targets of each output: the exact one-hot at full resolution (also for extra full-resolution heads), soft labels below it. */
export function supervisionTargets(fullOneHot: tf.Tensor, labels: LabelArray, outputs: readonly tf.Tensor[]): tf.Tensor[] {
  const [b, d, h, w, k] = fullOneHot.shape as [number, number, number, number, number]
  return outputs.map((output, i) => {
    if (i === 0) return fullOneHot
    const [fd, fh, fw] = downsamplingFactor(fullOneHot.shape, output.shape)
    if (fd === 1 && fh === 1 && fw === 1) return fullOneHot
    return tf.tensor(softLabelsDownsampled(labels, [b, d, h, w], k, [fd, fh, fw]), [b, d / fd, h / fh, w / fw, k])
  })
}
