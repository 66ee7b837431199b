import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { gaussianWeights, slidingWindowPredict, tileOrigins, tilePositions } from '../../../../src/engine/infer/slidingWindow'
import type { Shape3 } from '../../../../src/engine/data/layout'
import { seededValues, useBackend } from '../kernels/testBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('tileOrigins', () => {
  it.each([
    // volume, patch, overlap
    [64, 32, 0.5],
    [65, 32, 0.5],
    [33, 32, 0.5],
    [100, 24, 0.25],
    [37, 8, 0],
    [32, 32, 0.5],
    [7, 16, 0.5],
    [50, 16, 0.9]
  ])('volume %i, patch %i, overlap %f: covers every voxel with steps no longer than patch·(1 − overlap)', (volume, patch, overlap) => {
    const origins = tileOrigins(volume, patch, overlap)
    const covered = new Uint8Array(volume)
    for (const o of origins) for (let v = Math.max(0, o); v < Math.min(volume, o + patch); v++) covered[v] = 1
    expect([...covered].every((c) => c === 1)).toBe(true)
    if (volume >= patch) {
      expect(origins[0]).toBe(0)
      expect(origins.at(-1)).toBe(volume - patch)
      for (let i = 1; i < origins.length; i++) {
        expect((origins[i] as number) - (origins[i - 1] as number)).toBeGreaterThan(0)
        expect((origins[i] as number) - (origins[i - 1] as number)).toBeLessThanOrEqual(Math.max(1, Math.floor(patch * (1 - overlap))))
      }
    } else {
      // One patch, centred on the short volume (padded on both sides).
      expect(origins).toEqual([Math.floor((volume - patch) / 2)])
    }
  })

  it('gives the expected counts for 50% overlap', () => {
    expect(tileOrigins(64, 32, 0.5)).toEqual([0, 16, 32])
    expect(tileOrigins(33, 32, 0.5)).toEqual([0, 1])
    expect(tilePositions([64, 33, 20], [32, 32, 32], 0.5)).toHaveLength(3 * 2 * 1)
  })

  it('refuses nonsense sizes and overlaps', () => {
    expect(() => tileOrigins(0, 8, 0.5)).toThrow(/positive integer/)
    expect(() => tileOrigins(10, 8, 1)).toThrow(/overlap/)
  })

  it('moves the grid by a margin: the tiles of the volume padded on each side, in the volume\'s coordinates', () => {
    // The hippocampus's median case on its 32×48×32 patch: 2 tiles per axis either way.
    expect(tilePositions([35, 51, 36], [32, 48, 32], 0.5).map((p) => p[0])).toEqual([0, 0, 0, 0, 3, 3, 3, 3])
    const moved = tilePositions([35, 51, 36], [32, 48, 32], 0.5, [4, 0, 2])
    expect([...new Set(moved.map((p) => p[0]))]).toEqual([-4, 7])
    expect([...new Set(moved.map((p) => p[1]))]).toEqual([0, 3])
    expect([...new Set(moved.map((p) => p[2]))]).toEqual([-2, 6])
    // Still every voxel covered.
    const covered = new Uint8Array(35)
    for (const o of [-4, 7]) for (let v = Math.max(0, o); v < Math.min(35, o + 32); v++) covered[v] = 1
    expect(covered.every((c) => c === 1)).toBe(true)
    expect(() => tilePositions([8, 8, 8], [4, 4, 4], 0.5, [-1, 0, 0])).toThrow(/margin/)
  })
})

describe('gaussianWeights', () => {
  it('peaks at 1 in the centre, is symmetric and positive everywhere', () => {
    const shape: Shape3 = [8, 6, 5]
    const weights = gaussianWeights(shape)
    let max = 0
    for (const w of weights) {
      expect(w).toBeGreaterThan(0)
      max = Math.max(max, w)
    }
    expect(max).toBeCloseTo(1, 6)
    const at = (d: number, h: number, w: number): number => weights[w + 5 * (h + 6 * d)] as number
    expect(at(0, 0, 0)).toBeCloseTo(at(7, 5, 4), 7)
    expect(at(3, 2, 2)).toBeGreaterThan(at(0, 2, 2))
  })

  it('keeps corner weights above zero even when σ is tiny', () => {
    for (const w of gaussianWeights([16, 16, 16], 0.01)) expect(w).toBeGreaterThan(0)
  })
})

/** A channels-last image [D, H, W, C] of seeded values. */
function image(shape: Shape3, channels: number, seed: number): { image: Float32Array; shape: Shape3; channels: number } {
  return { image: seededValues(shape[0] * shape[1] * shape[2] * channels, seed), shape, channels }
}

/** Not voxel-wise: each patch's output depends on the whole patch, so tiles and blending matter. */
const wholePatchPredictor = (batch: tf.Tensor5D): tf.Tensor5D =>
  tf.tidy(() => {
    const mean = tf.mean(batch, [1, 2, 3], true)
    return tf.softmax(tf.concat([tf.add(batch, mean), tf.sub(batch, mean)], 4)) as tf.Tensor5D
  })

describe('slidingWindowPredict', () => {
  const shapes: Array<[Shape3, Shape3, number]> = [
    [[20, 17, 9], [8, 8, 8], 0.5],
    [[5, 7, 3], [8, 8, 8], 0.5],
    [[16, 16, 16], [8, 8, 8], 0],
    [[12, 30, 11], [8, 16, 8], 0.25]
  ]

  it.each(shapes)('volume %j, patch %j: a constant prediction comes back unchanged (the blend weights normalise)', async (shape, patchShape, overlap) => {
    const probabilities = [0.2, 0.5, 0.3]
    const result = await slidingWindowPredict(image(shape, 1, 1), (batch) => tf.tidy(() => tf.mul(tf.onesLike(tf.tile(batch, [1, 1, 1, 1, 3])), tf.tensor1d(probabilities)) as tf.Tensor5D), 3, {
      patchShape,
      overlap
    })
    expect(result).toHaveLength(shape[0] * shape[1] * shape[2] * 3)
    for (let v = 0; v < result.length; v++) expect(result[v]).toBeCloseTo(probabilities[v % 3] as number, 5)
  })

  it.each(shapes)('volume %j, patch %j: a voxel-wise predictor gives its own output at every voxel (patches land where they were cut)', async (shape, patchShape, overlap) => {
    const input = image(shape, 2, 2)
    const result = await slidingWindowPredict(input, (batch) => tf.softmax(batch) as tf.Tensor5D, 2, { patchShape, overlap, batchSize: 3 })
    const expected = tf.tidy(() => tf.softmax(tf.tensor2d(input.image, [input.image.length / 2, 2])).dataSync())
    for (let i = 0; i < result.length; i++) expect(result[i]).toBeCloseTo(expected[i] as number, 5)
  })

  it('runs every tile once whatever the batch size, gives the same result, and leaves no tensors behind', async () => {
    const input = image([20, 17, 9], 1, 3)
    const predictor = wholePatchPredictor
    const before = tf.memory().numTensors
    const seen: number[] = []
    const counting = (batch: tf.Tensor5D): tf.Tensor5D => {
      seen.push(batch.shape[0])
      return predictor(batch)
    }
    const one = await slidingWindowPredict(input, counting, 2, { patchShape: [8, 8, 8], batchSize: 1 })
    const tiles = tilePositions([20, 17, 9], [8, 8, 8], 0.5).length
    expect(seen.reduce((a, b) => a + b, 0)).toBe(tiles)
    seen.length = 0
    const four = await slidingWindowPredict(input, counting, 2, { patchShape: [8, 8, 8], batchSize: 4 })
    expect(seen).toEqual([...Array<number>(Math.floor(tiles / 4)).fill(4), ...(tiles % 4 ? [tiles % 4] : [])])
    for (let i = 0; i < one.length; i++) expect(four[i]).toBeCloseTo(one[i] as number, 6)
    // Probabilities stay probabilities after blending.
    for (let v = 0; v < one.length; v += 2) expect((one[v] as number) + (one[v + 1] as number)).toBeCloseTo(1, 5)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('averages the passes of moved tile grids, each blended on its own', async () => {
    const input = image([20, 17, 9], 1, 5)
    // As a U-Net's, its output depends on where the grid lies.
    const predictor = wholePatchPredictor
    const options = { patchShape: [8, 8, 8] as Shape3, batchSize: 3 }
    const plain = await slidingWindowPredict(input, predictor, 2, options)
    const explicit = await slidingWindowPredict(input, predictor, 2, { ...options, gridShifts: [[0, 0, 0]] })
    expect(explicit).toEqual(plain)
    const moved = await slidingWindowPredict(input, predictor, 2, { ...options, gridShifts: [[2, 3, 1]] })
    expect(Math.max(...moved.map((x, i) => Math.abs(x - (plain[i] as number))))).toBeGreaterThan(1e-3)
    const seen: number[] = []
    const both = await slidingWindowPredict(
      input,
      (batch) => {
        seen.push(batch.shape[0])
        return predictor(batch)
      },
      2,
      { ...options, gridShifts: [[0, 0, 0], [2, 3, 1]] }
    )
    expect(seen.reduce((a, b) => a + b, 0)).toBe(tilePositions([20, 17, 9], [8, 8, 8]).length + tilePositions([20, 17, 9], [8, 8, 8], 0.5, [2, 3, 1]).length)
    for (let i = 0; i < both.length; i++) expect(both[i]).toBeCloseTo(((plain[i] as number) + (moved[i] as number)) / 2, 6)
    for (let v = 0; v < both.length; v += 2) expect((both[v] as number) + (both[v + 1] as number)).toBeCloseTo(1, 5)
    await expect(slidingWindowPredict(input, predictor, 2, { ...options, gridShifts: [] })).rejects.toThrow(/at least one/)
  })

  it('stops when betweenBatches throws (cancel)', async () => {
    let batches = 0
    const run = slidingWindowPredict(image([16, 16, 16], 1, 4), (b) => tf.softmax(tf.concat([b, b], 4)) as tf.Tensor5D, 2, {
      patchShape: [8, 8, 8],
      batchSize: 1,
      betweenBatches: async () => {
        if (++batches === 2) throw new Error('cancelled')
      }
    })
    await expect(run).rejects.toThrow('cancelled')
    expect(batches).toBe(2)
  })
})
