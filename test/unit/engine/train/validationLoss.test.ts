import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { diceCrossEntropyLoss, oneHotLabels, segmentationLoss } from '../../../../src/engine/train/losses'
import { caseDiceCrossEntropy, caseLoss } from '../../../../src/engine/train/validationLoss'
import type { LossPlan } from '../../../../src/shared/training'
import { seededValues } from '../../../helpers/seededTensors'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Softmax over each voxel's K seeded logits: a valid probability map, [voxels, K] channels-last. */
function seededProbabilities(voxels: number, classes: number, seed: number, sharpness = 3): Float32Array {
  const logits = seededValues(voxels * classes, seed)
  const out = new Float32Array(voxels * classes)
  for (let v = 0; v < voxels; v++) {
    let sum = 0
    for (let k = 0; k < classes; k++) sum += (out[v * classes + k] = Math.exp(sharpness * (logits[v * classes + k] as number)))
    for (let k = 0; k < classes; k++) out[v * classes + k] = (out[v * classes + k] as number) / sum
  }
  return out
}

function seededLabels(voxels: number, classes: number, seed: number): Uint8Array {
  return Uint8Array.from(seededValues(voxels, seed), (x) => Math.min(classes - 1, Math.floor(((x + 1) / 2) * classes)))
}

/** The oracle: the training loss itself, on one batch item holding the whole case. */
function tfjsLoss(probabilities: Float32Array, labels: Uint8Array, shape: [number, number, number], classes: number): number {
  return tf.tidy(() => {
    const yTrue = oneHotLabels(labels, [1, ...shape], classes)
    const yPred = tf.tensor5d(probabilities, [1, ...shape, classes])
    return diceCrossEntropyLoss(yTrue, yPred).dataSync()[0] as number
  })
}

describe('caseDiceCrossEntropy', () => {
  it.each([
    // shape, classes, seed
    [[4, 5, 6], 2, 1],
    [[6, 6, 6], 3, 2],
    [[3, 7, 5], 4, 3],
    [[8, 8, 8], 3, 4]
  ] as Array<[[number, number, number], number, number]>)('%j with %i classes (seed %i) equals diceCrossEntropyLoss', (shape, classes, seed) => {
    const voxels = shape[0] * shape[1] * shape[2]
    const probabilities = seededProbabilities(voxels, classes, seed)
    const labels = seededLabels(voxels, classes, seed + 100)
    expect(caseDiceCrossEntropy(probabilities, labels, classes)).toBeCloseTo(tfjsLoss(probabilities, labels, shape, classes), 5)
  })

  it('counts a class absent from both maps as Dice 1 (smooth) and clips a zero probability as the training loss does', () => {
    const classes = 3
    // Class 2 appears nowhere; voxel 1's true class gets probability 0 (cross-entropy capped at −log 1e-7).
    const probabilities = Float32Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0])
    const labels = Uint8Array.from([0, 1, 1, 1])
    expect(caseDiceCrossEntropy(probabilities, labels, classes)).toBeCloseTo(tfjsLoss(probabilities, labels, [1, 2, 2], classes), 5)
    // Dice of class 1: (2·2 + 1) / (3 + 2 + 1); class 2: 1; CE: −log(1e-7) / 4.
    expect(caseDiceCrossEntropy(probabilities, labels, classes)).toBeCloseTo(1 - (5 / 6 + 1) / 2 + -Math.log(1e-7) / 4, 6)
  })

  it('is lower for a prediction closer to the label', () => {
    const classes = 3
    const labels = seededLabels(200, classes, 9)
    const oneHot = new Float32Array(200 * classes)
    labels.forEach((label, v) => (oneHot[v * classes + label] = 1))
    const noisy = seededProbabilities(200, classes, 10)
    const blended = oneHot.map((p, i) => 0.7 * p + 0.3 * (noisy[i] as number))
    expect(caseDiceCrossEntropy(blended, labels, classes)).toBeLessThan(caseDiceCrossEntropy(noisy, labels, classes))
  })

  it('refuses maps that do not match, naming the sizes', () => {
    expect(() => caseDiceCrossEntropy(new Float32Array(9), new Uint8Array(4), 2)).toThrow(/9 probabilities do not match 4 labels × 2 classes/)
    expect(() => caseDiceCrossEntropy(new Float32Array(4), Uint8Array.from([0, 3]), 2)).toThrow(/label 3 is not below 2 classes/)
    expect(() => caseDiceCrossEntropy(new Float32Array(4), new Uint8Array(4), 1)).toThrow(/at least 2 classes/)
  })
})

describe('caseLoss: the run\'s loss by name', () => {
  const LOSSES: Array<[LossPlan, number]> = [
    [{ kind: 'dice-ce', diceWeight: 0.5, ceWeight: 2 }, 3],
    [{ kind: 'dice-bce', diceWeight: 1, ceWeight: 1 }, 2],
    [{ kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2, alpha: null }, 3],
    [{ kind: 'focal', diceWeight: 0.3, ceWeight: 2, gamma: 0.5, alpha: 0.25 }, 4],
    [{ kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 }, 3]
  ]
  it.each(LOSSES)('%j on %i classes equals segmentationLoss on the whole case', (loss, classes) => {
    const shape: [number, number, number] = [4, 5, 6]
    const voxels = 4 * 5 * 6
    const probabilities = seededProbabilities(voxels, classes, 7)
    const labels = seededLabels(voxels, classes, 107)
    const expected = tf.tidy(() => segmentationLoss(oneHotLabels(labels, [1, ...shape], classes), tf.tensor5d(probabilities, [1, ...shape, classes]), loss).dataSync()[0] as number)
    expect(caseLoss(probabilities, labels, classes, loss)).toBeCloseTo(expected, 5)
  })

  it('the default loss is caseDiceCrossEntropy itself; dice-bce refuses more than one foreground label', () => {
    const probabilities = seededProbabilities(60, 3, 8)
    const labels = seededLabels(60, 3, 108)
    expect(caseLoss(probabilities, labels, 3, { kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })).toBe(caseDiceCrossEntropy(probabilities, labels, 3))
    expect(() => caseLoss(probabilities, labels, 3, { kind: 'dice-bce', diceWeight: 1, ceWeight: 1 })).toThrow(/one foreground label/)
  })
})
