/**
 * validateModel with a real (tiny) tfjs model on prepared cases: next to the Dice it reports the
 * validation loss, the training loss of each held-out case on the resampled grid, averaged.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { prepareCase } from '../../../../src/engine/data'
import { predictPreparedCase } from '../../../../src/engine/infer/predictCase'
import { diceCrossEntropyLoss, oneHotLabels, segmentationLoss } from '../../../../src/engine/train/losses'
import { validateModel, type HeldOutCase } from '../../../../src/engine/train/validate'
import type { TrainingClass } from '../../../../src/shared/training'
import { seededValues } from '../../../helpers/seededTensors'
import { labelVolumeFrom, volumeFrom } from '../data/fixtures'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const CLASSES: TrainingClass[] = [
  { index: 1, labelId: 1, name: 'ball' },
  { index: 2, labelId: 5, name: 'slab' }
]
const PATCH: [number, number, number] = [8, 8, 8]

/** A 1×1×1 convolution and a softmax with seeded weights: a deterministic per-voxel classifier. */
function tinyModel(seed: number): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.conv3d({ inputShape: [...PATCH, 1], filters: 3, kernelSize: 1, activation: 'softmax' })] })
  model.setWeights([tf.tensor5d(seededValues(3, seed), [1, 1, 1, 1, 3]).mul(4), tf.tensor1d(seededValues(3, seed + 1))])
  return model
}

/** Anisotropic (1 × 1 × 2 mm, resampled to 1 mm), so the prepared grid differs from the case's own. */
function heldOut(id: string, shift: number): HeldOutCase {
  const dims: [number, number, number] = [12, 10, 6]
  const spacing: [number, number, number] = [1, 1, 2]
  const classOf = (i: number, j: number, k: number): number => (Math.hypot(i - 6 - shift, j - 5, 2 * k - 6) < 3.5 ? 1 : k === 0 ? 2 : 0)
  const image = volumeFrom(dims, spacing, 1, (i, j, k) => [10, 200, -150][classOf(i, j, k)] as number)
  const label = labelVolumeFrom(dims, spacing, classOf)
  const prepared = prepareCase(image, label, { targetSpacing: [1, 1, 1], modality: 'MR', id })
  return { id, prepared, reference: label.data as Uint8Array }
}

async function oracleLoss(model: tf.LayersModel, c: HeldOutCase): Promise<number> {
  const { probabilities } = await predictPreparedCase(model, c.prepared, 3, { patchShape: PATCH, batchSize: 2 })
  return tf.tidy(() => {
    const [d, h, w] = c.prepared.shape
    const yTrue = oneHotLabels(c.prepared.label as Uint8Array, [1, d, h, w], 3)
    return diceCrossEntropyLoss(yTrue, tf.tensor5d(probabilities, [1, d, h, w, 3])).dataSync()[0] as number
  })
}

describe('validateModel', () => {
  it('reports the mean over the held-out cases of the training loss on the resampled grid, beside the Dice', async () => {
    const model = tinyModel(3)
    const cases = [heldOut('a', 0), heldOut('b', 2)]
    expect(cases[0]?.prepared.shape).not.toEqual([6, 10, 12])
    const scores = await validateModel(model, cases, { patchSize: PATCH, batchSize: 2, classes: CLASSES }, async () => undefined)
    const expected = ((await oracleLoss(model, cases[0] as HeldOutCase)) + (await oracleLoss(model, cases[1] as HeldOutCase))) / 2
    expect(scores?.cases).toBe(2)
    expect(scores?.perLabel.map((l) => l.labelId)).toEqual([1, 5])
    expect(scores?.loss).toBeCloseTo(expected, 5)
    model.dispose()
  })

  it('gives a model that separates the classes a lower validation loss than one that does not', async () => {
    const cases = [heldOut('a', 0)]
    const plan = { patchSize: PATCH, batchSize: 2, classes: CLASSES }
    // Intensities 10 / 200 / −150 normalise to about 0 / + / −: these weights rank the right class first.
    const good = tf.sequential({ layers: [tf.layers.conv3d({ inputShape: [...PATCH, 1], filters: 3, kernelSize: 1, activation: 'softmax' })] })
    good.setWeights([tf.tensor5d([0, 6, -6], [1, 1, 1, 1, 3]), tf.tensor1d([2, -2, -2])])
    const flat = tf.sequential({ layers: [tf.layers.conv3d({ inputShape: [...PATCH, 1], filters: 3, kernelSize: 1, activation: 'softmax' })] })
    flat.setWeights([tf.zeros([1, 1, 1, 1, 3]), tf.zeros([3])])
    const goodScores = await validateModel(good, cases, plan, async () => undefined)
    const flatScores = await validateModel(flat, cases, plan, async () => undefined)
    expect(goodScores?.meanForegroundDice).toBeGreaterThan(flatScores?.meanForegroundDice ?? 1)
    expect(goodScores?.loss).toBeLessThan(flatScores?.loss ?? 0)
    // Uniform probabilities: cross-entropy log 3 per voxel, whatever the label.
    expect(flatScores?.loss).toBeGreaterThan(Math.log(3))
    good.dispose()
    flat.dispose()
  })

  it("reports the run's loss when the plan names one, and the pixel accuracy of each case's own grid", async () => {
    const model = tinyModel(3)
    const cases = [heldOut('a', 0), heldOut('b', 2)]
    const loss = { kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 } as const
    const scores = await validateModel(model, cases, { patchSize: PATCH, batchSize: 2, classes: CLASSES, loss }, async () => undefined)
    const oracle = async (c: HeldOutCase): Promise<number> => {
      const { probabilities } = await predictPreparedCase(model, c.prepared, 3, { patchShape: PATCH, batchSize: 2 })
      return tf.tidy(() => {
        const [d, h, w] = c.prepared.shape
        return segmentationLoss(oneHotLabels(c.prepared.label as Uint8Array, [1, d, h, w], 3), tf.tensor5d(probabilities, [1, d, h, w, 3]), loss).dataSync()[0] as number
      })
    }
    expect(scores?.loss).toBeCloseTo(((await oracle(cases[0] as HeldOutCase)) + (await oracle(cases[1] as HeldOutCase))) / 2, 5)
    // Pixel accuracy against the reference on the case's own grid, as the Dice is.
    const accuracy = async (c: HeldOutCase): Promise<number> => {
      const { classIndices } = await predictPreparedCase(model, c.prepared, 3, { patchShape: PATCH, batchSize: 2 })
      let agree = 0
      for (let i = 0; i < c.reference.length; i++) if (classIndices[i] === c.reference[i]) agree++
      return agree / c.reference.length
    }
    expect(scores?.pixelAccuracy).toBeCloseTo(((await accuracy(cases[0] as HeldOutCase)) + (await accuracy(cases[1] as HeldOutCase))) / 2, 12)
    model.dispose()
  })

  it('is null without held-out cases', async () => {
    const model = tinyModel(1)
    expect(await validateModel(model, [], { patchSize: PATCH, batchSize: 2, classes: CLASSES }, async () => undefined)).toBeNull()
    model.dispose()
  })
})
