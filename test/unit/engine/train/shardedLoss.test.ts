import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { oneHotLabels, segmentationLoss } from '../../../../src/engine/train/losses'
import {
  lossFromStatistics,
  packStatistics,
  readShardStatistics,
  shardStatisticTensors,
  shardSurrogateLoss,
  statisticsLength,
  sumPackedStatistics,
  type ShardedLossOptions
} from '../../../../src/engine/train/shardedLoss'
import { createRandom } from '../../../../src/shared/random'
import { DEFAULT_LOSS } from '../../../../src/shared/training'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const SPACE = [2, 3, 2]

/** Logits of a batch as a variable (the "model"), and its labels. */
function problem(batch: number, seed: number, classes = 3): { logits: tf.Variable; labels: Uint8Array } {
  const random = createRandom(seed)
  const voxels = batch * SPACE.reduce((a, b) => a * b, 1)
  const values = Float32Array.from({ length: voxels * classes }, () => random.next() * 4 - 2)
  // Class 2 absent everywhere in some runs: the smooth term must carry it the same way.
  const labels = Uint8Array.from({ length: voxels }, () => random.int(0, seed % 2 === 0 || classes === 2 ? 1 : 2))
  return { logits: tf.variable(tf.tensor(values, [batch, ...SPACE, classes])), labels }
}

const classesOf = (logits: tf.Tensor): number => logits.shape[logits.rank - 1] as number

function wholeBatch(logits: tf.Variable, labels: Uint8Array, options: ShardedLossOptions): { loss: number; gradient: Float32Array } {
  return tf.tidy(() => {
    const y = oneHotLabels(labels, [logits.shape[0] as number, ...SPACE], classesOf(logits))
    const { value, grads } = tf.variableGrads(() => segmentationLoss(y, tf.softmax(logits), options.loss ?? DEFAULT_LOSS, options), [logits])
    return { loss: value.dataSync()[0] as number, gradient: (grads[logits.name] as tf.Tensor).dataSync() as Float32Array }
  })
}

/** The data-parallel protocol in one process: statistics per shard, exchange, surrogates, summed gradients. */
function sharded(logits: tf.Variable, labels: Uint8Array, cuts: number[], options: ShardedLossOptions): { loss: number; gradient: Float32Array } {
  const batch = logits.shape[0] as number
  const bounds = [0, ...cuts, batch]
  const voxelsPerItem = SPACE.reduce((a, b) => a * b, 1)
  const classes = classesOf(logits)
  const length = statisticsLength(classes)
  const packed = new Float64Array(length * (bounds.length - 1))
  const shards = bounds.slice(0, -1).map((start, i) => ({ start, size: (bounds[i + 1] as number) - start }))
  shards.forEach((shard, i) => {
    tf.tidy(() => {
      const probabilities = tf.softmax(tf.slice(logits, [shard.start], [shard.size]))
      const y = oneHotLabels(labels.subarray(shard.start * voxelsPerItem, (shard.start + shard.size) * voxelsPerItem), [shard.size, ...SPACE], classes)
      packStatistics(readShardStatistics(shardStatisticTensors(y, probabilities, options), shard.size * voxelsPerItem), packed, i * length)
    })
  })
  const total = sumPackedStatistics(packed, classes, shards.length)
  const gradient = new Float32Array(logits.size)
  for (const shard of shards) {
    tf.tidy(() => {
      const y = oneHotLabels(labels.subarray(shard.start * voxelsPerItem, (shard.start + shard.size) * voxelsPerItem), [shard.size, ...SPACE], classes)
      const { grads } = tf.variableGrads(() => {
        const probabilities = tf.softmax(tf.slice(logits, [shard.start], [shard.size]))
        return shardSurrogateLoss(shardStatisticTensors(y, probabilities, options), total, options)
      }, [logits])
      const part = (grads[logits.name] as tf.Tensor).dataSync()
      for (let i = 0; i < part.length; i++) gradient[i] = (gradient[i] as number) + (part[i] as number)
    })
  }
  return { loss: lossFromStatistics(total, options), gradient }
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
  expect(scale).toBeGreaterThan(0)
  let worst = 0
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)))
  expect(worst / scale).toBeLessThan(1e-5)
}

describe('sharded losses (every LossPlan kind)', () => {
  const cases: Array<{ name: string; batch: number; cuts: number[]; options: ShardedLossOptions; seed: number; classes?: number }> = [
    { name: 'batch 2 in two shards', batch: 2, cuts: [1], options: {}, seed: 1 },
    { name: 'batch 3 in shards of 2 and 1', batch: 3, cuts: [2], options: {}, seed: 2 },
    { name: 'batch 4 in three uneven shards, background scored, weights', batch: 4, cuts: [1, 3], options: { includeBackground: true, loss: { kind: 'dice-ce', diceWeight: 0.5, ceWeight: 2 }, smooth: 0.5 }, seed: 3 },
    { name: 'one shard (the whole batch)', batch: 2, cuts: [], options: {}, seed: 4 },
    { name: 'dice-bce, two classes, batch 3 in shards of 1 and 2', batch: 3, cuts: [1], options: { loss: { kind: 'dice-bce', diceWeight: 1, ceWeight: 1 } }, seed: 5, classes: 2 },
    { name: 'focal γ 2, batch 2 in two shards', batch: 2, cuts: [1], options: { loss: { kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2, alpha: null } }, seed: 6 },
    { name: 'focal γ 0.5 with α 0.25, weights, three shards', batch: 3, cuts: [1, 2], options: { loss: { kind: 'focal', diceWeight: 0.5, ceWeight: 3, gamma: 0.5, alpha: 0.25 } }, seed: 7 },
    { name: 'tversky 0.3/0.7, batch 2 in two shards', batch: 2, cuts: [1], options: { loss: { kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 } }, seed: 8 },
    { name: 'tversky 0.8/0.1 with background and smooth 0.5, three shards', batch: 4, cuts: [2, 3], options: { includeBackground: true, smooth: 0.5, loss: { kind: 'tversky', diceWeight: 2, ceWeight: 0.5, alpha: 0.8, beta: 0.1 } }, seed: 9 }
  ]
  for (const c of cases) {
    it(`${c.name}: same loss and gradient as the whole batch`, () => {
      const { logits, labels } = problem(c.batch, c.seed, c.classes)
      const whole = wholeBatch(logits, labels, c.options)
      const split = sharded(logits, labels, c.cuts, c.options)
      expect(split.loss).toBeCloseTo(whole.loss, 5)
      expectClose(split.gradient, whole.gradient)
      logits.dispose()
    })
  }

  it('a shard alone does not give the batch gradient (batch Dice couples the items)', () => {
    const { logits, labels } = problem(2, 5)
    const whole = wholeBatch(logits, labels, {})
    // Per-item Dice averaged would be a different loss: the coupling is real, so the exchange is needed.
    const perItem = [0, 1].map((i) => {
      const single = tf.variable(tf.slice(logits, [i], [1]))
      const result = wholeBatch(single, labels.subarray(i * 12, (i + 1) * 12), {})
      single.dispose()
      return result.loss
    })
    expect(Math.abs((perItem[0] as number) / 2 + (perItem[1] as number) / 2 - whole.loss)).toBeGreaterThan(1e-3)
    logits.dispose()
  })

  it('packs and sums statistics record by record', () => {
    const length = statisticsLength(2)
    expect(length).toBe(8)
    const packed = new Float64Array(2 * length)
    packStatistics({ intersection: Float64Array.of(1, 2), predicted: Float64Array.of(3, 4), truth: Float64Array.of(5, 6), voxelLossSum: 7, voxels: 8 }, packed, 0)
    packStatistics({ intersection: Float64Array.of(10, 20), predicted: Float64Array.of(30, 40), truth: Float64Array.of(50, 60), voxelLossSum: 70, voxels: 80 }, packed, length)
    const total = sumPackedStatistics(packed, 2, 2)
    expect(Array.from(total.intersection)).toEqual([11, 22])
    expect(Array.from(total.predicted)).toEqual([33, 44])
    expect(Array.from(total.truth)).toEqual([55, 66])
    expect(total.voxelLossSum).toBe(77)
    expect(total.voxels).toBe(88)
  })
})
