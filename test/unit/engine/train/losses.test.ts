import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  crossEntropyLoss,
  diceCrossEntropyLoss,
  oneHotLabels,
  softDiceLoss,
  softDicePerClass
} from '../../../../src/engine/train/losses'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const value = (scalar: tf.Tensor): number => {
  const result = scalar.dataSync()[0] as number
  scalar.dispose()
  return result
}

/** Two voxels (batch 1, 1×1×2), three classes. */
const yTrue = (): tf.Tensor => tf.tensor5d([0, 1, 0, 0, 0, 1], [1, 1, 1, 2, 3])
const yPred = (): tf.Tensor => tf.tensor5d([0.2, 0.7, 0.1, 0.1, 0.3, 0.6], [1, 1, 1, 2, 3])

describe('soft Dice', () => {
  it('per class over the batch: (2·Σtp + s) / (Σt + Σp + s)', () => {
    const dice = softDicePerClass(yTrue(), yPred(), { smooth: 1 })
    const expected = [(0 + 1) / (0 + 0.3 + 1), (2 * 0.7 + 1) / (1 + 1.0 + 1), (2 * 0.6 + 1) / (1 + 0.7 + 1)]
    Array.from(dice.dataSync()).forEach((d, k) => expect(d).toBeCloseTo(expected[k] as number, 6))
    dice.dispose()
  })

  it('loss = 1 − mean over foreground classes (background only when asked)', () => {
    const d1 = (2 * 0.7 + 1) / 3
    const d2 = (2 * 0.6 + 1) / 2.7
    const d0 = 1 / 1.3
    expect(value(softDiceLoss(yTrue(), yPred()))).toBeCloseTo(1 - (d1 + d2) / 2, 6)
    expect(value(softDiceLoss(yTrue(), yPred(), { includeBackground: true }))).toBeCloseTo(1 - (d0 + d1 + d2) / 3, 6)
  })

  it('is 0 for a perfect prediction and sums over the batch, not per item', () => {
    const truth = oneHotLabels(Uint8Array.from([1, 2, 0, 0, 2, 2, 1, 0]), [2, 1, 2, 2], 3)
    expect(value(softDiceLoss(truth, truth, { smooth: 0 }))).toBeCloseTo(0, 7)
    // Item 2 has no class 1 but predicts 0.5 of it in one voxel. Over the batch, class 1 Dice is
    // 2·1 / (1 + 1.5) = 0.8 and class 2 Dice 1: loss 0.1. (Per item, item 2 would score class 1 as 0.)
    const batchTruth = tf.tensor5d([0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0], [2, 1, 1, 2, 3])
    const batchPrediction = tf.tensor5d([0, 1, 0, 0, 0, 1, 0.5, 0.5, 0, 1, 0, 0], [2, 1, 1, 2, 3])
    expect(value(softDiceLoss(batchTruth, batchPrediction, { smooth: 0 }))).toBeCloseTo(0.1, 6)
    tf.dispose([truth, batchTruth, batchPrediction])
  })

  it('an absent class predicted absent scores 1 thanks to the smooth term', () => {
    const truth = tf.tensor5d([1, 0, 1, 0], [1, 1, 1, 2, 2])
    const dice = softDicePerClass(truth, truth, { smooth: 1 })
    expect(Array.from(dice.dataSync())).toEqual([(4 + 1) / (4 + 1), 1])
    tf.dispose([truth, dice])
  })
})

describe('cross-entropy', () => {
  it('is the mean over voxels of −log p(true class), in nats', () => {
    expect(value(crossEntropyLoss(yTrue(), yPred()))).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6)) / 2, 6)
  })

  it('stays finite for a zero probability (clipped at epsilon), with finite gradients', () => {
    const truth = tf.tensor5d([1, 0], [1, 1, 1, 1, 2])
    const prediction = tf.tensor5d([0, 1], [1, 1, 1, 1, 2])
    expect(value(crossEntropyLoss(truth, prediction, { epsilon: 1e-7 }))).toBeCloseTo(-Math.log(1e-7), 4)
    const gradient = tf.grad((p: tf.Tensor) => diceCrossEntropyLoss(truth, p))(prediction)
    expect(Array.from(gradient.dataSync()).every(Number.isFinite)).toBe(true)
    tf.dispose([truth, prediction, gradient])
  })

  it('from logits equals from their softmax, and stays exact where the softmax underflows', () => {
    const logits = tf.tensor5d([2, -1, 0.5, -3, 0.2, 1.1], [1, 1, 1, 2, 3])
    const fromLogits = value(crossEntropyLoss(yTrue(), logits, { predictions: 'logits' }))
    expect(fromLogits).toBeCloseTo(value(crossEntropyLoss(yTrue(), tf.softmax(logits))), 5)
    const combined = value(diceCrossEntropyLoss(yTrue(), logits, { predictions: 'logits' }))
    expect(combined).toBeCloseTo(value(diceCrossEntropyLoss(yTrue(), tf.softmax(logits))), 5)
    const extreme = tf.tensor5d([200, 0], [1, 1, 1, 1, 2])
    const truth = tf.tensor5d([0, 1], [1, 1, 1, 1, 2])
    expect(value(crossEntropyLoss(truth, extreme, { predictions: 'logits' }))).toBeCloseTo(200, 3)
    tf.dispose([logits, extreme, truth])
  })
})

describe('diceCrossEntropyLoss', () => {
  it('weights the two terms', () => {
    const dice = value(softDiceLoss(yTrue(), yPred()))
    const ce = value(crossEntropyLoss(yTrue(), yPred()))
    expect(value(diceCrossEntropyLoss(yTrue(), yPred()))).toBeCloseTo(dice + ce, 6)
    expect(value(diceCrossEntropyLoss(yTrue(), yPred(), { diceWeight: 0.25, ceWeight: 2 }))).toBeCloseTo(0.25 * dice + 2 * ce, 6)
  })

  it('leaves no tensors behind, also under tf.grad', () => {
    const truth = yTrue()
    const prediction = yPred()
    const before = tf.memory().numTensors
    value(diceCrossEntropyLoss(truth, prediction))
    const gradient = tf.grad((p: tf.Tensor) => diceCrossEntropyLoss(truth, p))(prediction)
    gradient.dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([truth, prediction])
  })

  it.each([
    [{ diceWeight: -1 }, /diceWeight must be a finite number ≥ 0/],
    [{ ceWeight: Number.NaN }, /ceWeight/],
    [{ smooth: -1 }, /smooth/],
    [{ epsilon: 0 }, /epsilon/]
  ])('rejects %j', (options, message) => {
    expect(() => diceCrossEntropyLoss(yTrue(), yPred(), options)).toThrow(message)
  })

  it('rejects mismatched shapes and a single class', () => {
    expect(() => diceCrossEntropyLoss(yTrue(), tf.zeros([1, 1, 1, 2, 2]))).toThrow(/must have one shape/)
    expect(() => softDiceLoss(tf.ones([1, 2, 1]), tf.ones([1, 2, 1]))).toThrow(/no foreground class/)
  })
})

describe('oneHotLabels', () => {
  it('turns a Uint8 label batch (W fastest) into float32 one-hot [..., K]', () => {
    const labels = Uint8Array.from([0, 2, 1, 0, 1, 1])
    const oneHot = oneHotLabels(labels, [1, 1, 2, 3], 3)
    expect(oneHot.shape).toEqual([1, 1, 2, 3, 3])
    expect(oneHot.dtype).toBe('float32')
    expect(Array.from(oneHot.dataSync())).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0])
    oneHot.dispose()
  })

  it('accepts Uint16 labels and rejects labels ≥ K or a size mismatch', () => {
    const oneHot = oneHotLabels(Uint16Array.from([3, 0]), [1, 1, 1, 2], 4)
    expect(oneHot.shape).toEqual([1, 1, 1, 2, 4])
    oneHot.dispose()
    expect(() => oneHotLabels(Uint8Array.from([0, 3]), [1, 1, 1, 2], 3)).toThrow(/label 3 is not below numClasses 3/)
    expect(() => oneHotLabels(Uint8Array.from([0, 1, 1]), [1, 1, 1, 2], 3)).toThrow(/do not fill shape/)
  })
})
