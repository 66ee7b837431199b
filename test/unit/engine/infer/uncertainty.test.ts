import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { mirrorTtaAxes, withFlipTta } from '../../../../src/engine/infer/flipTta'
import { predictForReview } from '../../../../src/engine/infer/predictForReview'
import { prepareCaseVolumes } from '../../../../src/engine/train/caseVolumes'
import { mirrorAxesOf } from '../../../../src/engine/train/mirrorAxes'
import { caseUncertaintyScore, normalisedEntropy } from '../../../../src/engine/infer/uncertainty'

describe('normalised entropy', () => {
  it.each([
    [[1, 0, 0], 0],
    [[1 / 3, 1 / 3, 1 / 3], 1],
    [[0.5, 0.5, 0], Math.log(2) / Math.log(3)]
  ])('of %j is %f', (probabilities, expected) => {
    expect(normalisedEntropy(Float32Array.from(probabilities), 3)[0]).toBeCloseTo(expected, 5)
  })

  it('works voxel by voxel on channels-last maps', () => {
    const map = Float32Array.from([1, 0, 0.5, 0.5])
    expect(Array.from(normalisedEntropy(map, 2))).toEqual([0, 1])
  })
})

describe('case score', () => {
  it('averages over predicted structures and doubtful voxels only', () => {
    const entropy = Float32Array.from([0, 0.01, 0.4, 0.2, 0.8])
    const classes = Uint8Array.from([0, 0, 0, 1, 1])
    // voxel 0 and 1 are confident background and do not dilute the score
    expect(caseUncertaintyScore(entropy, classes)).toBeCloseTo((0.4 + 0.2 + 0.8) / 3, 6)
  })

  it('is 0 when everything is confidently background', () => {
    expect(caseUncertaintyScore(new Float32Array(5), new Uint8Array(5))).toBe(0)
  })
})

describe('mirror test-time augmentation', () => {
  it('averages predictions of the mirrored inputs, mirrored back', async () => {
    await tf.setBackend('cpu')
    const input = tf.tensor5d(Float32Array.from({ length: 8 }, (_, i) => i), [1, 2, 2, 2, 1])
    // A predictor that is not mirror-symmetric: output = input · position weights.
    const weights = tf.tensor5d(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [1, 2, 2, 2, 1])
    const predictor = (batch: tf.Tensor5D): tf.Tensor5D => tf.mul(batch, weights) as tf.Tensor5D
    const averaged = withFlipTta(predictor)(input)
    const expected = tf.tidy(() => {
      const parts = [[], [1], [2], [3]].map((axes) =>
        axes.length ? tf.reverse(predictor(tf.reverse(input, axes) as tf.Tensor5D), axes) : predictor(input)
      )
      return tf.div(tf.addN(parts), 4)
    })
    expect(Array.from(await averaged.data())).toEqual(Array.from(await expected.data()))
    // A mirror-equivariant predictor is unchanged by the augmentation.
    const identity = withFlipTta((batch) => tf.mul(batch, 2) as tf.Tensor5D)(input)
    expect(Array.from(await identity.data())).toEqual(Array.from((await input.data()).map((v) => v * 2)))
    tf.dispose([input, weights, averaged, expected, identity])
  })
})

describe('mirror TTA follows the training mirror axes', () => {
  it('uses only the axes the model was trained to mirror, and none for a model trained without', () => {
    expect(mirrorTtaAxes([])).toEqual([[]])
    expect(mirrorTtaAxes([0, 2])).toEqual([[], [1], [3]])
    expect(mirrorAxesOf({ augment: true, mirrorAxes: [2, 0] })).toEqual([2, 0])
    expect(mirrorAxesOf({ augment: false, mirrorAxes: [2] })).toEqual([])
    expect(mirrorAxesOf({ augment: true })).toEqual([])
  })

  it('predictForReview: TTA on a model without mirror axes is one pass and the same prediction; with an axis, two passes', async () => {
    await tf.setBackend('cpu')
    const edge = 8
    const image = Float32Array.from({ length: edge ** 3 }, (_, i) => (i % edge) / edge)
    const identity = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ]
    const header = { dims: [edge, edge, edge], spacing: [1, 1, 1], channels: 1, rasFromIjk: identity }
    const prepared = prepareCaseVolumes(
      { id: 'c', image: { header, data: image }, classLabels: null } as unknown as Parameters<typeof prepareCaseVolumes>[0],
      { targetSpacingMm: [1, 1, 1], modality: 'other' }
    )
    // A "model" that is not mirror-symmetric along W: class 1 where the voxel is in the right half.
    const model = {
      // One output: predictionModel predicts with the model itself.
      outputs: [{ shape: [null, null, null, null, 2] }],
      predict: (batch: tf.Tensor5D): tf.Tensor5D =>
        tf.tidy(() => {
          const [, d, h, w] = batch.shape
          const right = tf.tile(tf.reshape(tf.tensor1d(Array.from({ length: w }, (_, x) => (x >= w / 2 ? 0.9 : 0.1))), [1, 1, 1, w, 1]), [batch.shape[0], d, h, 1, 1])
          return tf.concat([tf.sub(1, right), right], 4) as tf.Tensor5D
        })
    } as unknown as tf.LayersModel
    const classes = [{ index: 1, labelId: 1, name: 'right' }]
    const options = { patchShape: [edge, edge, edge] as [number, number, number], classes }
    const plain = await predictForReview(model, prepared, options)
    const untrainedMirrors = await predictForReview(model, prepared, { ...options, tta: true, mirrorAxes: [] })
    expect(untrainedMirrors.ttaPasses).toBe(1)
    expect(Array.from(untrainedMirrors.labels)).toEqual(Array.from(plain.labels))
    expect(Array.from(plain.labels).reduce((s, v) => s + v, 0)).toBe(edge ** 3 / 2)
    // Mirroring W averages 0.9 with 0.1 everywhere: the asymmetric model loses its answer, as an
    // unmirrored network does on mirrored anatomy; this is why TTA must not use untrained axes.
    const mirroredW = await predictForReview(model, prepared, { ...options, tta: true, mirrorAxes: [2] })
    expect(mirroredW.ttaPasses).toBe(2)
    expect(mirroredW.score).toBeGreaterThan(plain.score)
    // Label ids above 255 keep their value (an 8-bit class map once turned 300 into 44).
    const wide = await predictForReview(model, prepared, { ...options, classes: [{ index: 1, labelId: 300, name: 'right' }] })
    expect(wide.labels).toBeInstanceOf(Uint16Array)
    expect(new Set(wide.labels)).toEqual(new Set([0, 300]))
    expect(Array.from(wide.labels).filter((v) => v === 300)).toHaveLength(edge ** 3 / 2)
  })
})
