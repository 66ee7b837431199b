/**
 * The training loss of one batch as a function of the model's weights: forward in training mode, the
 * run's loss per output (segmentationLoss; with deep supervision each output against the labels at
 * its resolution, weighted). The one definition that the engine thread's step (trainStep.ts) and the
 * desktop app's GPU window (gpuHost/) differentiate, so both compute the same gradients. Free of Node.
 */
import * as tf from '@tensorflow/tfjs'
import type { LossPlan } from '../../shared/training'
import { outputsOf, supervisionTargets, supervisionWeights } from './deepSupervision'
import { oneHotLabels, segmentationLoss } from './losses'

export interface LossBatch {
  /** [B, D, H, W, C] channels-last. */
  image: Float32Array
  /** [B, D, H, W] class indices. */
  label: Uint8Array
  shape: readonly [number, number, number, number, number]
}

/** A closure for optimizer.minimize or tf.variableGrads; call it inside a tidy. */
export function batchLossFunction(model: tf.LayersModel, numClasses: number, batch: LossBatch, loss: LossPlan): () => tf.Scalar {
  const [b, d, h, w, c] = batch.shape
  const x = tf.tensor5d(batch.image, [b, d, h, w, c])
  const y = oneHotLabels(batch.label, [b, d, h, w], numClasses)
  return () => {
    const outputs = outputsOf(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[])
    const targets = supervisionTargets(y, batch.label, outputs)
    const weights = supervisionWeights(outputs.map((output) => output.shape))
    return tf.addN(outputs.map((output, o) => tf.mul(segmentationLoss(targets[o] as tf.Tensor, output, loss), weights[o] as number))) as tf.Scalar
  }
}

/**
 * tfjs keeps the tensors a gradient needs (tf.keep) until the end of the backward pass and frees
 * them only there: a step that throws (an op a backend lacks, an allocation that failed) leaves them
 * behind with the tape, for good, on the GPU or in the wasm heap. They are freed here, so a failed
 * step leaks nothing (trainStep.test.ts). Nothing to do inside an outer gradient (gradientDepth > 0).
 */
export function releaseAbandonedTape(): void {
  const state = tf.engine().state
  if (state.gradientDepth !== 0 || !state.activeTape) return
  for (const node of state.activeTape) tf.dispose(node.saved ?? [])
  state.activeTape = []
}
