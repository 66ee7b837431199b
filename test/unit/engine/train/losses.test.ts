import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  binaryCrossEntropyLoss,
  crossEntropyLoss,
  diceCrossEntropyLoss,
  focalLoss,
  oneHotLabels,
  segmentationLoss,
  softDiceLoss,
  softDicePerClass,
  tverskyIndexPerClass,
  tverskyLoss
} from '../../../../src/engine/train/losses'
import type { LossPlan } from '../../../../src/shared/training'

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

/** Two voxels of a two-class (binary) task: truth [1, 0] foreground, predictions of the foreground 0.8 and 0.3. */
const binaryTruth = (): tf.Tensor => tf.tensor5d([0, 1, 1, 0], [1, 1, 1, 2, 2])
const binaryPrediction = (): tf.Tensor => tf.tensor5d([0.2, 0.8, 0.7, 0.3], [1, 1, 1, 2, 2])

describe('binary cross-entropy and dice-bce', () => {
  it('BCE is the mean of −[t·log q + (1 − t)·log(1 − q)] of the foreground probability q', () => {
    expect(value(binaryCrossEntropyLoss(binaryTruth(), binaryPrediction()))).toBeCloseTo(-(Math.log(0.8) + Math.log(1 - 0.3)) / 2, 6)
  })

  it('dice-bce = diceWeight · (1 − foreground soft Dice) + ceWeight · BCE', () => {
    // Foreground: I = 0.8, T = 1, P = 1.1; Dice (2·0.8 + 1) / (1 + 1.1 + 1).
    const dice = (2 * 0.8 + 1) / (1 + 1.1 + 1)
    const bce = -(Math.log(0.8) + Math.log(0.7)) / 2
    const loss: LossPlan = { kind: 'dice-bce', diceWeight: 0.5, ceWeight: 2 }
    expect(value(segmentationLoss(binaryTruth(), binaryPrediction(), loss))).toBeCloseTo(0.5 * (1 - dice) + 2 * bce, 6)
  })

  it('on a two-class softmax equals the two-class cross-entropy (p₀ = 1 − p₁), away from the clipping: docs/TRAINING.md', () => {
    expect(value(binaryCrossEntropyLoss(binaryTruth(), binaryPrediction()))).toBeCloseTo(value(crossEntropyLoss(binaryTruth(), binaryPrediction())), 6)
  })

  it('refuses more than one foreground class, naming the count', () => {
    expect(() => segmentationLoss(yTrue(), yPred(), { kind: 'dice-bce', diceWeight: 1, ceWeight: 1 })).toThrow(/'dice-bce' is for one foreground label; this model has 2/)
    expect(() => binaryCrossEntropyLoss(yTrue(), yPred())).toThrow(/exactly 2 classes/)
  })
})

describe('focal loss', () => {
  it('is the mean of −α_t·(1 − p_t)^γ·log p_t', () => {
    // yTrue/yPred: voxel 1 true class 1 with p 0.7, voxel 2 true class 2 with p 0.6.
    const plain = -((0.3 ** 2) * Math.log(0.7) + 0.4 ** 2 * Math.log(0.6)) / 2
    expect(value(focalLoss(yTrue(), yPred(), { gamma: 2 }))).toBeCloseTo(plain, 6)
    // α = 0.25 weighs both (foreground) voxels by 0.25; a background voxel would get 0.75.
    expect(value(focalLoss(yTrue(), yPred(), { gamma: 2, alpha: 0.25 }))).toBeCloseTo(0.25 * plain, 6)
    const background = tf.tensor5d([1, 0, 0], [1, 1, 1, 1, 3])
    const predicted = tf.tensor5d([0.6, 0.3, 0.1], [1, 1, 1, 1, 3])
    expect(value(focalLoss(background, predicted, { gamma: 1, alpha: 0.25 }))).toBeCloseTo(-0.75 * 0.4 * Math.log(0.6), 6)
    tf.dispose([background, predicted])
  })

  it('with γ = 0 and no α is the cross-entropy, and focal(γ 0) + Dice is dice-ce', () => {
    expect(value(focalLoss(yTrue(), yPred(), { gamma: 0 }))).toBeCloseTo(value(crossEntropyLoss(yTrue(), yPred())), 6)
    const focal = value(segmentationLoss(yTrue(), yPred(), { kind: 'focal', diceWeight: 0.7, ceWeight: 1.5, gamma: 0, alpha: null }))
    expect(focal).toBeCloseTo(value(diceCrossEntropyLoss(yTrue(), yPred(), { diceWeight: 0.7, ceWeight: 1.5 })), 6)
  })

  it('counts a well-classified voxel less than the cross-entropy does', () => {
    const truth = tf.tensor5d([0, 1], [1, 1, 1, 1, 2])
    const confident = tf.tensor5d([0.05, 0.95], [1, 1, 1, 1, 2])
    const ratio = value(focalLoss(truth, confident, { gamma: 2 })) / value(crossEntropyLoss(truth, confident))
    expect(ratio).toBeCloseTo(0.05 ** 2, 6)
    tf.dispose([truth, confident])
  })

  it('stays finite with γ < 1 on a saturated probability (the modulating factor is clipped)', () => {
    const truth = tf.tensor5d([0, 1], [1, 1, 1, 1, 2])
    const saturated = tf.tensor5d([0, 1], [1, 1, 1, 1, 2])
    const gradient = tf.grad((p: tf.Tensor) => focalLoss(truth, p, { gamma: 0.5 }))(saturated)
    expect(Array.from(gradient.dataSync()).every(Number.isFinite)).toBe(true)
    tf.dispose([truth, saturated, gradient])
  })
})

describe('Tversky', () => {
  it('per class: (2I + s) / (2I + 2α·FP + 2β·FN + s)', () => {
    // Class 1: I 0.7, FP 1.0 − 0.7 = 0.3, FN 0.3; class 2: I 0.6, FP 0.1, FN 0.4; class 0: I 0, FP 0.3, FN 0.
    const tversky = (i: number, fp: number, fn: number): number => (2 * i + 1) / (2 * i + 2 * 0.3 * fp + 2 * 0.7 * fn + 1)
    const expected = [tversky(0, 0.3, 0), tversky(0.7, 0.3, 0.3), tversky(0.6, 0.1, 0.4)]
    const index = tverskyIndexPerClass(yTrue(), yPred(), { alpha: 0.3, beta: 0.7, smooth: 1 })
    Array.from(index.dataSync()).forEach((t, k) => expect(t).toBeCloseTo(expected[k] as number, 6))
    index.dispose()
    const loss: LossPlan = { kind: 'tversky', diceWeight: 1, ceWeight: 0.5, alpha: 0.3, beta: 0.7 }
    const ce = -(Math.log(0.7) + Math.log(0.6)) / 2
    expect(value(segmentationLoss(yTrue(), yPred(), loss))).toBeCloseTo(1 - ((expected[1] as number) + (expected[2] as number)) / 2 + 0.5 * ce, 6)
  })

  it('with α = β = ½ is the soft Dice (smooth included)', () => {
    for (const smooth of [0, 1, 2.5]) {
      const dice = softDicePerClass(yTrue(), yPred(), { smooth })
      const index = tverskyIndexPerClass(yTrue(), yPred(), { alpha: 0.5, beta: 0.5, smooth })
      Array.from(index.dataSync()).forEach((t, k) => expect(t).toBeCloseTo(dice.dataSync()[k] as number, 6))
      tf.dispose([dice, index])
    }
    expect(value(tverskyLoss(yTrue(), yPred(), { alpha: 0.5, beta: 0.5 }))).toBeCloseTo(value(softDiceLoss(yTrue(), yPred())), 6)
  })

  it('with β > α punishes a missed voxel more than a false alarm', () => {
    const truth = tf.tensor5d([1, 0, 0, 1], [1, 1, 1, 2, 2])
    const missed = tf.tensor5d([1, 0, 0.5, 0.5], [1, 1, 1, 2, 2])
    const falseAlarm = tf.tensor5d([0.5, 0.5, 0, 1], [1, 1, 1, 2, 2])
    expect(value(tverskyLoss(truth, missed, { alpha: 0.3, beta: 0.7 }))).toBeGreaterThan(value(tverskyLoss(truth, falseAlarm, { alpha: 0.3, beta: 0.7 })))
    tf.dispose([truth, missed, falseAlarm])
  })

  it('rejects weights outside [0, 1]', () => {
    expect(() => tverskyLoss(yTrue(), yPred(), { alpha: 1.5 })).toThrow(/tversky alpha must be in \[0, 1\]/)
  })
})

describe('segmentationLoss: gradients against finite differences', () => {
  const LOSSES: LossPlan[] = [
    { kind: 'dice-ce', diceWeight: 1, ceWeight: 1 },
    { kind: 'dice-bce', diceWeight: 1, ceWeight: 1 },
    { kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2, alpha: 0.25 },
    { kind: 'focal', diceWeight: 0, ceWeight: 1, gamma: 0.5, alpha: null },
    { kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 }
  ]
  for (const loss of LOSSES) {
    it(`${JSON.stringify(loss)}: tf.grad through the softmax matches central differences on the logits`, () => {
      const classes = loss.kind === 'dice-bce' ? 2 : 3
      // Three voxels, every class present once at most, logits away from saturation.
      const labels = Uint8Array.from(classes === 2 ? [1, 0, 1] : [1, 2, 0])
      const truth = oneHotLabels(labels, [1, 1, 1, 3], classes)
      const logits = Float32Array.from({ length: 3 * classes }, (_, i) => Math.sin(1.7 * i + 0.3))
      const f = (values: Float32Array): number => tf.tidy(() => segmentationLoss(truth, tf.softmax(tf.tensor5d(values, [1, 1, 1, 3, classes])), loss).dataSync()[0] as number)
      const analytic = tf.tidy(() => tf.grad((x: tf.Tensor) => segmentationLoss(truth, tf.softmax(x), loss))(tf.tensor5d(logits, [1, 1, 1, 3, classes])).dataSync())
      expect(Array.from(analytic).every(Number.isFinite)).toBe(true)
      const h = 1e-2
      for (let i = 0; i < logits.length; i++) {
        const up = logits.slice()
        const down = logits.slice()
        up[i] = (up[i] as number) + h
        down[i] = (down[i] as number) - h
        expect(analytic[i] as number).toBeCloseTo((f(up) - f(down)) / (2 * h), 3)
      }
      truth.dispose()
    })
  }

  it('leaves no tensors behind for any loss, also under tf.grad', () => {
    const truth = yTrue()
    const prediction = yPred()
    const before = tf.memory().numTensors
    for (const loss of LOSSES.filter((l) => l.kind !== 'dice-bce')) {
      value(segmentationLoss(truth, prediction, loss))
      tf.grad((p: tf.Tensor) => segmentationLoss(truth, p, loss))(prediction).dispose()
    }
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([truth, prediction])
  })

  it('dice-ce is diceCrossEntropyLoss exactly (runs that name no loss are unchanged)', () => {
    const a = value(segmentationLoss(yTrue(), yPred()))
    const b = value(diceCrossEntropyLoss(yTrue(), yPred()))
    expect(a).toBe(b)
  })
})
