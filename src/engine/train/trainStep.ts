/**
 * One optimiser step on one batch: forward in training mode, the run's loss (segmentationLoss;
 * soft Dice + cross-entropy by default; per output with deep supervision), gradients of
 * the trainable weights, update. Everything but the weights and the optimiser's slots is disposed.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { Batch } from '../data/BatchSampler'
import { batchLossFunction, releaseAbandonedTape } from './batchLoss'

export { releaseAbandonedTape } from './batchLoss'
import { DEFAULT_LOSS, type LossPlan } from '../../shared/training'
import { checkLossClasses } from './losses'
import { checkedOnGpu, RESUME_ON_ANOTHER_BACKEND } from '../backends/webgpu/gpuErrors'
import type { RemoteTilePredictor } from '../gpuHost/activeGpuHost'

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
  /**
   * Where the stepper has idle compute of its own (the data-parallel workers): prediction tiles
   * [B, D, H, W, C] of the current weights → probabilities [B, D, H, W, K], for validation.
   */
  predictTiles?: RemoteTilePredictor
  /**
   * The target's weights were set outside a step (the best checkpoint's, for the post-processing
   * choice at the end of a run): `predictTiles` must send them to the workers before predicting.
   */
  weightsChanged?(): void
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
  return tf.tidy(() => {
    const cost = optimizer.minimize(batchLossFunction(target.model, target.numClasses, batch, loss), true, target.variables)
    if (!cost) throw new VoxloopError('INTERNAL', 'the optimiser returned no loss')
    return cost
  })
}
