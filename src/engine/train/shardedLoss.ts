/**
 * diceCrossEntropyLoss over a batch that is split across workers (data-parallel training), with
 * the same value and gradient as on the whole batch.
 *
 * Batch Dice is not a sum over batch items: each class's ratio (2·ΣI + s) / (ΣT + ΣP + s) needs the
 * whole batch's sums before any gradient exists. So a step runs in two halves around one exchange:
 *   1. each shard runs its forward and reduces it to its statistics: per class I = Σ t·p,
 *      P = Σ p, T = Σ t, and the cross-entropy sum C = −Σ t·log p;
 *   2. the shards' statistics are added (the same order everywhere, in float64);
 *   3. each shard differentiates a surrogate that is linear in its own statistics, with the
 *      coefficients ∂L/∂I and ∂L/∂P taken at the whole batch's sums. By the chain rule the shards'
 *      surrogate gradients add up to the gradient of L on the whole batch.
 * shardedLoss.test.ts checks this against diceCrossEntropyLoss.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { DEFAULT_CE_EPSILON, DEFAULT_DICE_SMOOTH } from './losses'

/** The loss of trainStep: diceCrossEntropyLoss's options that the sharded form supports. */
export interface ShardedLossOptions {
  smooth?: number
  includeBackground?: boolean
  epsilon?: number
  diceWeight?: number
  ceWeight?: number
}

/** One shard's statistics as tensors (the surrogate is built from them). */
export interface ShardStatisticTensors {
  intersection: tf.Tensor1D
  predicted: tf.Tensor1D
  truth: tf.Tensor1D
  crossEntropySum: tf.Scalar
}

/** Statistics as numbers: per class arrays of length K, and the cross-entropy sum. */
export interface ShardStatistics {
  intersection: Float64Array
  predicted: Float64Array
  truth: Float64Array
  crossEntropySum: number
  /** Voxels (batch × space) these statistics cover. */
  voxels: number
}

/** Float64 values in one statistics record: 3 per class, the cross-entropy sum and the voxel count. */
export const statisticsLength = (classes: number): number => 3 * classes + 2

/** yTrue one-hot and yPred softmax probabilities, [b, …, K]. */
export function shardStatisticTensors(yTrue: tf.Tensor, yPred: tf.Tensor, options: ShardedLossOptions = {}): ShardStatisticTensors {
  if (yTrue.shape.join() !== yPred.shape.join()) throw new VoxloopError('INVALID_ARGUMENT', `shard statistics: yTrue ${JSON.stringify(yTrue.shape)} and yPred ${JSON.stringify(yPred.shape)} differ`)
  const epsilon = options.epsilon ?? DEFAULT_CE_EPSILON
  const axes = Array.from({ length: yTrue.rank - 1 }, (_, i) => i)
  return {
    intersection: tf.sum(tf.mul(yTrue, yPred), axes) as tf.Tensor1D,
    predicted: tf.sum(yPred, axes) as tf.Tensor1D,
    truth: tf.sum(yTrue, axes) as tf.Tensor1D,
    crossEntropySum: tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, epsilon, 1))))) as tf.Scalar
  }
}

export function readShardStatistics(tensors: ShardStatisticTensors, voxels: number): ShardStatistics {
  return {
    intersection: Float64Array.from(tensors.intersection.dataSync()),
    predicted: Float64Array.from(tensors.predicted.dataSync()),
    truth: Float64Array.from(tensors.truth.dataSync()),
    crossEntropySum: tensors.crossEntropySum.dataSync()[0] as number,
    voxels
  }
}

/** Writes `stats` into `into` (statisticsLength(K) values) at `offset`. */
export function packStatistics(stats: ShardStatistics, into: Float64Array, offset: number): void {
  const k = stats.intersection.length
  into.set(stats.intersection, offset)
  into.set(stats.predicted, offset + k)
  into.set(stats.truth, offset + 2 * k)
  into[offset + 3 * k] = stats.crossEntropySum
  into[offset + 3 * k + 1] = stats.voxels
}

/** The sum of `count` packed records starting at 0, added in record order. */
export function sumPackedStatistics(packed: Float64Array, classes: number, count: number): ShardStatistics {
  const length = statisticsLength(classes)
  const total = new Float64Array(length)
  for (let record = 0; record < count; record++) {
    for (let i = 0; i < length; i++) total[i] = (total[i] as number) + (packed[record * length + i] as number)
  }
  return {
    intersection: total.slice(0, classes),
    predicted: total.slice(classes, 2 * classes),
    truth: total.slice(2 * classes, 3 * classes),
    crossEntropySum: total[3 * classes] as number,
    voxels: total[3 * classes + 1] as number
  }
}

interface Resolved {
  smooth: number
  first: number
  diceWeight: number
  ceWeight: number
}

function resolve(options: ShardedLossOptions, classes: number): Resolved {
  const first = options.includeBackground ? 0 : 1
  if (classes - first < 1) throw new VoxloopError('INVALID_ARGUMENT', `sharded loss: ${classes} class(es) leave no foreground class to score`)
  return { smooth: options.smooth ?? DEFAULT_DICE_SMOOTH, first, diceWeight: options.diceWeight ?? 1, ceWeight: options.ceWeight ?? 1 }
}

/** diceCrossEntropyLoss's value from the whole batch's statistics. */
export function lossFromStatistics(total: ShardStatistics, options: ShardedLossOptions = {}): number {
  const classes = total.intersection.length
  const { smooth, first, diceWeight, ceWeight } = resolve(options, classes)
  let diceSum = 0
  for (let c = first; c < classes; c++) {
    diceSum += (2 * (total.intersection[c] as number) + smooth) / ((total.truth[c] as number) + (total.predicted[c] as number) + smooth)
  }
  return diceWeight * (1 - diceSum / (classes - first)) + (ceWeight * total.crossEntropySum) / total.voxels
}

/**
 * A scalar whose gradient (through this shard's tensors) is this shard's share of the whole
 * batch loss's gradient. Its value means nothing; lossFromStatistics gives the loss.
 */
export function shardSurrogateLoss(shard: ShardStatisticTensors, total: ShardStatistics, options: ShardedLossOptions = {}): tf.Scalar {
  const classes = total.intersection.length
  const { smooth, first, diceWeight, ceWeight } = resolve(options, classes)
  const scored = classes - first
  const intersectionCoefficient = new Float32Array(classes)
  const predictedCoefficient = new Float32Array(classes)
  for (let c = first; c < classes; c++) {
    // L ∋ −(w/F)·(2I + s)/(T + P + s):  ∂/∂I = −(w/F)·2/(U + s),  ∂/∂P = (w/F)·(2I + s)/(U + s)²
    const denominator = (total.truth[c] as number) + (total.predicted[c] as number) + smooth
    intersectionCoefficient[c] = (-diceWeight / scored) * (2 / denominator)
    predictedCoefficient[c] = (diceWeight / scored) * ((2 * (total.intersection[c] as number) + smooth) / (denominator * denominator))
  }
  return tf.tidy(() =>
    tf.addN([
      tf.sum(tf.mul(shard.intersection, tf.tensor1d(intersectionCoefficient))),
      tf.sum(tf.mul(shard.predicted, tf.tensor1d(predictedCoefficient))),
      tf.mul(shard.crossEntropySum, ceWeight / total.voxels)
    ]) as tf.Scalar
  )
}
