/**
 * trainStep's failure path: a step that throws (an op its backend lacks, a GPU error, an allocation
 * that failed) leaks no tensor, although tfjs keeps a gradient's saved tensors until a backward pass
 * that then never ends. The layer that fails here stands for such an op: its gradient throws.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import { releaseAbandonedTape, stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import { useBackend } from '../model/tfBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

/** Identity forward; its gradient throws, as a kernel missing on a backend would. */
class FailsBackward extends tf.layers.Layer {
  static className = 'FailsBackward'
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs
    const identity = tf.customGrad((input) => ({
      value: tf.clone(input as tf.Tensor),
      gradFunc: () => {
        throw new Error('no gradient for this op on this backend')
      }
    }))
    return identity(x)
  }
}

function tinyModel(failing: boolean): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 4, 1] })
  const conv = tf.layers.conv3d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input) as tf.SymbolicTensor
  const output = failing ? (new FailsBackward({}).apply(conv) as tf.SymbolicTensor) : conv
  return tf.model({ inputs: input, outputs: output })
}

const batch = {
  image: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)),
  label: Uint8Array.from({ length: 128 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
  shape: [2, 4, 4, 4, 1],
  step: 0,
  samples: []
} as unknown as Batch

describe('trainStep when the step throws', () => {
  it('tfjs leaves the saved tensors of a backward pass that threw; releaseAbandonedTape frees them', () => {
    const weight = tf.variable(tf.ones([3]))
    const before = tf.memory().numTensors
    const failing = tf.customGrad((x) => ({
      value: tf.clone(x as tf.Tensor),
      gradFunc: () => {
        throw new Error('backward failed')
      }
    }))
    // In a tidy, as trainStep's: it frees what the forward pass made, not what was kept for the backward one.
    expect(() => tf.tidy(() => tf.variableGrads(() => tf.sum(failing(tf.exp(tf.mul(weight, 2)))) as tf.Scalar, [weight]))).toThrow('backward failed')
    // exp's output and mul's inputs, cloned and kept for their gradients.
    expect(tf.memory().numTensors).toBeGreaterThan(before)
    releaseAbandonedTape()
    expect(tf.memory().numTensors).toBe(before)
    weight.dispose()
  })

  it('rejects with the error, leaks no tensor, and the next step trains and leaks nothing either', async () => {
    const failingModel = tinyModel(true)
    const optimizer = tf.train.sgd(0.1)
    const before = tf.memory().numTensors
    await expect(trainStep(stepModel(failingModel), optimizer, batch)).rejects.toThrow('no gradient for this op on this backend')
    expect(tf.memory().numTensors).toBe(before)

    const model = tinyModel(false)
    const target = stepModel(model)
    const weightsBefore = Array.from(await target.variables[0]!.data())
    const afterBuild = tf.memory().numTensors
    const first = await trainStep(target, optimizer, batch)
    const second = await trainStep(target, optimizer, { ...batch, step: 1 })
    expect(Number.isFinite(first) && Number.isFinite(second)).toBe(true)
    expect(second).toBeLessThan(first)
    expect(Array.from(await target.variables[0]!.data())).not.toEqual(weightsBefore)
    expect(tf.memory().numTensors).toBe(afterBuild)
    model.dispose()
    failingModel.dispose()
    optimizer.dispose()
  })
})
