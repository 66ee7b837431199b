import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import { buildPlainUNet3d } from '../../../../src/engine/model/buildPlainUNet3d'
import { predictionModel } from '../../../../src/engine/model/predictionModel'
import { downsamplingFactor, softLabelsDownsampled, supervisionTargets, supervisionWeights } from '../../../../src/engine/train/deepSupervision'
import { diceCrossEntropyLoss, oneHotLabels } from '../../../../src/engine/train/losses'
import { stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import { useBackend } from '../model/tfBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('deep supervision', () => {
  it('weights outputs by resolution, 1, 1/2, 1/4, … normalised to 1; heads all at full resolution (U-Net++) weigh the same', () => {
    expect(supervisionWeights([[2, 8, 8, 8, 3]])).toEqual([1])
    const three = supervisionWeights([
      [2, 8, 8, 8, 3],
      [2, 4, 4, 4, 3],
      [2, 2, 2, 2, 3]
    ])
    expect(three[0]).toBeCloseTo(4 / 7)
    expect(three[1]).toBeCloseTo(2 / 7)
    expect(three[2]).toBeCloseTo(1 / 7)
    // A 2D network's heads keep D = 1: the in-plane factor counts.
    const planar = supervisionWeights([
      [2, 1, 16, 16, 2],
      [2, 1, 8, 8, 2]
    ])
    expect(planar[0]).toBeCloseTo(2 / 3)
    expect(planar[1]).toBeCloseTo(1 / 3)
    expect(supervisionWeights([[1, 1, 8, 8, 2], [1, 1, 8, 8, 2], [1, 1, 8, 8, 2], [1, 1, 8, 8, 2]])).toEqual([0.25, 0.25, 0.25, 0.25])
    expect(() => supervisionWeights([])).toThrow(/at least one output/)
    expect(() => supervisionWeights([[1, 8, 8, 8, 2], [1, 16, 8, 8, 2]])).toThrow(/not an integer downsampling/)
  })

  it('soft labels at half resolution hold each class share of the 2×2×2 block they cover', () => {
    // One item, 2×2×4 (D, H, W): the left 2×2×2 block is all class 1; the right one has three voxels of class 2.
    const labels = Uint8Array.from([1, 1, 2, 0, 1, 1, 2, 0, 1, 1, 2, 0, 1, 1, 0, 0])
    const soft = softLabelsDownsampled(labels, [1, 2, 2, 4], 3, 2)
    expect(Array.from(soft)).toEqual([0, 1, 0, 5 / 8, 0, 3 / 8])
    expect(() => softLabelsDownsampled(labels, [1, 2, 2, 4], 2, 2)).toThrow(/label 2 is not below numClasses 2/)
    expect(() => softLabelsDownsampled(labels, [1, 2, 2, 4], 3, 3)).toThrow(/not divisible by 3/)
    expect(downsamplingFactor([1, 8, 8, 8, 3], [1, 4, 4, 4, 3])).toEqual([2, 2, 2])
    expect(() => downsamplingFactor([1, 8, 8, 8, 3], [1, 3, 4, 4, 3])).toThrow(/not an integer downsampling/)
    expect(() => downsamplingFactor([1, 8, 8, 8, 3], [1, 16, 4, 4, 3])).toThrow(/not an integer downsampling/)
  })

  it('a 2D output [b, 1, H/2, W/2, K] is a [1, 2, 2] downsampling: soft labels over each 2×2 square of the one slice', () => {
    // One slice, 2×4 (H, W): the left square is all class 1, the right one has one voxel of class 2.
    const labels = Uint8Array.from([1, 1, 2, 0, 1, 1, 0, 0])
    expect(downsamplingFactor([1, 1, 2, 4, 3], [1, 1, 1, 2, 3])).toEqual([1, 2, 2])
    expect(Array.from(softLabelsDownsampled(labels, [1, 1, 2, 4], 3, [1, 2, 2]))).toEqual([0, 1, 0, 3 / 4, 0, 1 / 4])
    expect(() => softLabelsDownsampled(labels, [1, 1, 2, 4], 3, 2)).toThrow(/\[1, 2, 4\] is not divisible by 2/)
    const y = oneHotLabels(labels, [1, 1, 2, 4], 3)
    const half = tf.zeros([1, 1, 1, 2, 3])
    const [full, coarse] = supervisionTargets(y, labels, [y, half])
    expect(full).toBe(y)
    expect(coarse?.shape).toEqual([1, 1, 1, 2, 3])
    expect(Array.from(coarse?.dataSync() ?? [])).toEqual([0, 1, 0, 3 / 4, 0, 1 / 4])
    tf.dispose([y, half, coarse as tf.Tensor])
  })

  it('a plain U-Net with deep supervision predicts through its main output only, and its training loss adds the half-resolution term', async () => {
    const model = buildPlainUNet3d({ inputChannels: 1, numClasses: 2, depth: 3, baseFilters: 2, deepSupervision: true, seed: 3 })
    expect(model.outputs).toHaveLength(2)
    const view = predictionModel(model)
    expect(view.outputs).toHaveLength(1)
    expect(predictionModel(model)).toBe(view) // one view per model
    const plainModel = buildPlainUNet3d({ inputChannels: 1, numClasses: 2, depth: 3, baseFilters: 2, seed: 3 })
    expect(predictionModel(plainModel)).toBe(plainModel)

    const image = Float32Array.from({ length: 512 }, (_, i) => (i % 8 < 4 ? 1 : -1))
    const label = Uint8Array.from(image, (v) => (v > 0 ? 1 : 0))
    const x = tf.tensor5d(image, [1, 8, 8, 8, 1])
    const [main, half] = model.predict(x) as tf.Tensor[]
    expect(half?.shape).toEqual([1, 4, 4, 4, 2])
    const viewed = view.predict(x) as tf.Tensor
    expect(Array.from(viewed.dataSync())).toEqual(Array.from((main as tf.Tensor).dataSync()))

    // The loss trainStep minimises, recomputed by hand from the two outputs.
    const y = oneHotLabels(label, [1, 8, 8, 8], 2)
    const targets = supervisionTargets(y, label, [main as tf.Tensor, half as tf.Tensor])
    const [w0, w1] = supervisionWeights([main as tf.Tensor, half as tf.Tensor].map((o) => o.shape)) as [number, number]
    const expected = w0 * diceCrossEntropyLoss(targets[0] as tf.Tensor, main as tf.Tensor).dataSync()[0]! + w1 * diceCrossEntropyLoss(targets[1] as tf.Tensor, half as tf.Tensor).dataSync()[0]!
    const mainOnly = diceCrossEntropyLoss(y, main as tf.Tensor).dataSync()[0]!
    expect(Math.abs(expected - mainOnly)).toBeGreaterThan(1e-4)
    const batch = { image, label, shape: [1, 8, 8, 8, 1], step: 0, samples: [] } as Batch
    // SGD with rate 0: the step reports the loss of the current weights and changes nothing.
    const loss = await trainStep(stepModel(model), tf.train.sgd(0), batch)
    expect(loss).toBeCloseTo(expected, 5)
    tf.dispose([x, main, half, viewed, y, ...targets])
    model.dispose()
    plainModel.dispose()
  })
})
