/**
 * One optimiser step on one batch: forward in training mode, the run's loss (segmentationLoss;
 * soft Dice + cross-entropy by default; per output with deep supervision), gradients of
 * the trainable weights, update. Everything but the weights and the optimiser's slots is disposed.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { Batch } from '../data/BatchSampler'
import { outputsOf, supervisionTargets, supervisionWeights } from './deepSupervision'
import { DEFAULT_LOSS, type LossPlan } from '../../shared/training'
import { checkLossClasses, oneHotLabels, segmentationLoss } from './losses'
import { checkedOnGpu, RESUME_ON_ANOTHER_BACKEND } from '../backends/webgpu/gpuErrors'

export interface StepModel {
  model: tf.LayersModel
  /** The trainable weights, in a fixed order (the optimiser's slots are matched by position). */
  variables: tf.Variable[]
  numClasses: number
}

export function stepModel(model: tf.LayersModel): StepModel {
  const output = model.outputs[0]
  const numClasses = output?.shape[output.shape.length - 1]
  if (typeof numClasses !== 'number') throw new VoxloopError('INVALID_ARGUMENT', `model ${model.name} has no fixed number of output classes`)
  return { model, variables: model.trainableWeights.map((weight) => weight.read() as tf.Variable), numClasses }
}

/** What runs the training loop's steps: on the engine thread (trainStep) or split over workers. */
export interface TrainingStepper {
  /** One optimiser step on the batch; resolves to its loss. */
  step(batch: Batch): Promise<number>
  dispose(): Promise<void>
}

/** The loss, or ENGINE_FAILED if it is not finite (diverged). */
export function finiteLoss(loss: number, batch: Batch): number {
  if (!Number.isFinite(loss)) {
    throw new VoxloopError('ENGINE_FAILED', `training diverged at step ${batch.step + 1} (loss ${loss}); try a lower learning rate`)
  }
  return loss
}

export function localStepper(target: StepModel, optimizer: tf.Optimizer, loss: LossPlan = DEFAULT_LOSS): TrainingStepper {
  checkLossClasses(loss, target.numClasses)
  return {
    step: (batch) => trainStep(target, optimizer, batch, loss),
    dispose: async () => undefined
  }
}

/**
 * Runs the step on this thread and resolves to its loss; ENGINE_FAILED if the loss is not finite
 * (diverged), GPU_ERROR if the webgpu backend reported an error during it (gpuErrors.ts).
 * The loss is read with `await data()`: the webgpu backend cannot read synchronously in Node.
 */
export async function trainStep(target: StepModel, optimizer: tf.Optimizer, batch: Batch, loss: LossPlan = DEFAULT_LOSS): Promise<number> {
  const value = await checkedOnGpu({ at: `at step ${batch.step + 1}`, then: RESUME_ON_ANOTHER_BACKEND }, async () => {
    let cost: tf.Scalar
    try {
      cost = minimizeOn(target, optimizer, batch, loss)
    } catch (error) {
      releaseAbandonedTape()
      throw error
    }
    try {
      return (await cost.data())[0] as number
    } finally {
      cost.dispose()
    }
  })
  return finiteLoss(value, batch)
}

/** The optimiser's update on the batch; everything but its cost (and the weights and slots) disposed. */
function minimizeOn(target: StepModel, optimizer: tf.Optimizer, batch: Batch, loss: LossPlan): tf.Scalar {
  const [b, d, h, w, c] = batch.shape
  return tf.tidy(() => {
    const x = tf.tensor5d(batch.image, [b, d, h, w, c])
    const y = oneHotLabels(batch.label, [b, d, h, w], target.numClasses)
    const cost = optimizer.minimize(
      () => {
        // Deep supervision (deepSupervision.ts): each output against the labels at its resolution, weighted.
        const outputs = outputsOf(target.model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[])
        const targets = supervisionTargets(y, batch.label, outputs)
        const weights = supervisionWeights(outputs.map((output) => output.shape))
        return tf.addN(outputs.map((output, o) => tf.mul(segmentationLoss(targets[o] as tf.Tensor, output, loss), weights[o] as number))) as tf.Scalar
      },
      true,
      target.variables
    )
    if (!cost) throw new VoxloopError('INTERNAL', 'the optimiser returned no loss')
    return cost
  })
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
