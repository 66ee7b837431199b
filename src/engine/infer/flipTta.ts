import * as tf from '@tensorflow/tfjs'
import type { SpatialAxis } from '../data/layout'
import type { PatchPredictor } from './slidingWindow'

/**
 * Test-time augmentation by mirroring: the patch batch is predicted as is and mirrored along each
 * spatial axis (D, H, W), each prediction mirrored back, and the softmax outputs averaged. The
 * average is both a better segmentation and a better uncertainty estimate (disagreement between
 * mirrors raises the entropy).
 */
export const TTA_AXES: ReadonlyArray<readonly number[]> = [[], [1], [2], [3]]

/** The passes for a model trained with mirroring along `spatial`: as is, then mirrored along each. */
export function mirrorTtaAxes(spatial: readonly SpatialAxis[]): number[][] {
  return [[], ...spatial.map((axis) => [axis + 1])]
}

export function withFlipTta(predict: PatchPredictor, axesSets: ReadonlyArray<readonly number[]> = TTA_AXES): PatchPredictor {
  return (batch) =>
    tf.tidy(() => {
      let sum: tf.Tensor5D | null = null
      for (const axes of axesSets) {
        const input = axes.length ? tf.reverse(batch, [...axes]) : batch
        const output = predict(input as tf.Tensor5D)
        const back = (axes.length ? tf.reverse(output, [...axes]) : output) as tf.Tensor5D
        sum = sum ? (tf.add(sum, back) as tf.Tensor5D) : back
      }
      return tf.div(sum as tf.Tensor5D, axesSets.length) as tf.Tensor5D
    })
}
