/**
 * Training steps whose gradients come from a GPU host (the desktop app's hidden window): the batch's
 * loss and gradients are computed there, on the weights sent with it, and the engine's optimiser
 * applies them here, as with the gradient workers (DataParallelStepper.ts). So weights, optimiser
 * slots, checkpoints and exact resume live in the engine, on its own backend.
 */
import * as tf from '@tensorflow/tfjs'
import { DEFAULT_LOSS, type LossPlan } from '../../shared/training'
import { VoxloopError } from '../../shared/errors'
import { RESUME_ON_ANOTHER_BACKEND } from '../backends/webgpu/gpuFailure'
import { checkLossClasses } from '../train/losses'
import { finiteLoss, type StepModel, type TrainingStepper } from '../train/trainStep'
import type { GpuHostClient } from './GpuHostClient'

export async function remoteStepper(host: GpuHostClient, target: StepModel, optimizer: tf.Optimizer, loss: LossPlan = DEFAULT_LOSS): Promise<TrainingStepper> {
  checkLossClasses(loss, target.numClasses)
  if (target.model.weights.length !== target.model.trainableWeights.length) {
    // The host gets the trainable weights each step; frozen or running-statistics weights would drift.
    throw new VoxloopError('INVALID_ARGUMENT', `model ${target.model.name} has non-trainable weights, which training in the GPU window does not synchronise`)
  }
  const key = await host.load(target.model, target.numClasses, loss, false, { at: 'while loading the model', then: RESUME_ON_ANOTHER_BACKEND })
  return {
    async step(batch) {
      const work = { at: `at step ${batch.step + 1}`, then: RESUME_ON_ANOTHER_BACKEND }
      // Read with await: the engine's own backend may hold them where a synchronous read is refused.
      const weights = await Promise.all(target.variables.map(async (v) => (await v.data()) as Float32Array))
      const reply = await host.step({ key, weights, image: batch.image, labels: batch.label, shape: batch.shape }, work)
      if (reply.gradients.length !== target.variables.length) {
        throw new VoxloopError('GPU_ERROR', `the GPU window returned ${reply.gradients.length} gradients for ${target.variables.length} weights ${work.at}; ${work.then}`)
      }
      const value = finiteLoss(reply.loss, batch)
      tf.tidy(() => optimizer.applyGradients(target.variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(reply.gradients[i] as Float32Array, v.shape) }))))
      return value
    },
    dispose: async () => undefined
  }
}
