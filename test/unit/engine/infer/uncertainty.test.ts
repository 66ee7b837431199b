import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { withFlipTta } from '../../../../src/engine/infer/flipTta'
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
