import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConv3dKernels, registerReductionKernels, unregisterReductionKernels } from '../../../../src/engine/kernels'
import { buildUNet3d } from '../../../../src/engine/model'
import { diceCrossEntropyLoss } from '../../../../src/engine/train/losses'
import { numDataIds, relativeError, seededValues, useBackend } from './testBackends'

/**
 * The default training model (depth 3, 8 filters, 1 residual unit: instance norm, concatenated skips,
 * Dice + cross-entropy), one batch of 2 × 16³: loss and every weight's gradient with the reduction
 * kernels equal those with the stock wasm kernels (Conv3D: the project's kernels in both).
 */
const SHAPE = [2, 16, 16, 16, 1]
const CLASSES = 3

interface StepResult {
  loss: number
  grads: Float32Array[]
}

let model: tf.LayersModel
let x: tf.Tensor
let y: tf.Tensor

function gradientStep(): StepResult {
  return tf.tidy(() => {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const { value, grads } = tf.variableGrads(() => diceCrossEntropyLoss(y, model.apply(x, { training: true }) as tf.Tensor), variables)
    return { loss: value.dataSync()[0] as number, grads: variables.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array) }
  })
}

describe('a U-Net training step on wasm with the reduction kernels', () => {
  let stock: StepResult
  beforeAll(async () => {
    await useBackend('wasm')
    registerConv3dKernels('wasm')
    model = buildUNet3d({ inputChannels: 1, numClasses: CLASSES, depth: 3, baseFilters: 8, residualUnits: 1, seed: 5 })
    x = tf.tensor(seededValues(SHAPE.reduce((a, b) => a * b, 1), 11), SHAPE)
    const labels = Int32Array.from(seededValues(x.size, 12), (v) => Math.min(CLASSES - 1, Math.floor(((v + 1) / 2) * CLASSES)))
    y = tf.oneHot(tf.tensor(labels, SHAPE.slice(0, 4), 'int32'), CLASSES).toFloat()
    unregisterReductionKernels('wasm')
    stock = gradientStep()
    registerReductionKernels('wasm')
  })
  afterAll(() => {
    tf.dispose([x, y])
    model.dispose()
    registerReductionKernels('wasm')
  })

  it('gives the stock loss and gradients (1e-4 relative per weight)', () => {
    const ours = gradientStep()
    expect(Math.abs(ours.loss - stock.loss)).toBeLessThan(1e-5 * Math.abs(stock.loss))
    expect(ours.grads.length).toBe(stock.grads.length)
    ours.grads.forEach((grad, i) => expect(relativeError(grad, stock.grads[i] as Float32Array)).toBeLessThan(1e-4))
  })

  it('leaves no tensors or wasm data ids behind over repeated steps', () => {
    gradientStep()
    const tensors = tf.memory().numTensors
    const dataIds = numDataIds()
    for (let i = 0; i < 2; i++) gradientStep()
    expect(tf.memory().numTensors).toBe(tensors)
    expect(numDataIds()).toBe(dataIds)
  })
})
