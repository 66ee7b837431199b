/**
 * The training loss (segmentationLoss, losses.ts: any LossPlan) over a batch that is split across
 * workers (data-parallel training), with the same value and gradient as on the whole batch.
 *
 * Batch Dice is not a sum over batch items: each class's ratio (2·ΣI + s) / (ΣT + ΣP + s) needs the
 * whole batch's sums before any gradient exists (so does the Tversky index, which is a ratio of the
 * same sums). So a step runs in two halves around one exchange:
 *   1. each shard runs its forward and reduces it to its statistics: per class I = Σ t·p,
 *      P = Σ p, T = Σ t, and the sum C of the voxel-wise term (cross-entropy −Σ t·log p, binary
 *      cross-entropy or focal);
 *   2. the shards' statistics are added (the same order everywhere, in float64);
 *   3. each shard differentiates a surrogate that is linear in its own statistics, with the
 *      coefficients ∂L/∂I and ∂L/∂P taken at the whole batch's sums. By the chain rule the shards'
 *      surrogate gradients add up to the gradient of L on the whole batch.
 * shardedLoss.test.ts checks this against segmentationLoss for every loss.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { DEFAULT_LOSS, type LossPlan } from '../../shared/training'
import { checkLossClasses, DEFAULT_CE_EPSILON, DEFAULT_DICE_SMOOTH, regionWeightsOf, voxelLossPerVoxel } from './losses'

/** The loss of trainStep (default DEFAULT_LOSS) and segmentationLoss's options. */
export interface ShardedLossOptions {
  loss?: LossPlan
  smooth?: number
  includeBackground?: boolean
  epsilon?: number
}

/** One shard's statistics as tensors (the surrogate is built from them). */
export interface ShardStatisticTensors {
  intersection: tf.Tensor1D
  predicted: tf.Tensor1D
  truth: tf.Tensor1D
  /** Σ over voxels of the voxel-wise term (cross-entropy, binary cross-entropy or focal). */
  voxelLossSum: tf.Scalar
}

/** Statistics as numbers: per class arrays of length K, and the cross-entropy sum. */
export interface ShardStatistics {
  intersection: Float64Array
  predicted: Float64Array
  truth: Float64Array
  voxelLossSum: number
  /** Voxels (batch × space) these statistics cover. */
  voxels: number
}

/** Float64 values in one statistics record: 3 per class, the voxel-wise sum and the voxel count. */
export const statisticsLength = (classes: number): number => 3 * classes + 2

/** yTrue one-hot and yPred softmax probabilities, [b, …, K]. */
export function shardStatisticTensors(yTrue: tf.Tensor, yPred: tf.Tensor, options: ShardedLossOptions = {}): ShardStatisticTensors {
  if (yTrue.shape.join() !== yPred.shape.join()) throw new VoxloopError('INVALID_ARGUMENT', `shard statistics: yTrue ${JSON.stringify(yTrue.shape)} and yPred ${JSON.stringify(yPred.shape)} differ`)
  const epsilon = options.epsilon ?? DEFAULT_CE_EPSILON
  const loss = options.loss ?? DEFAULT_LOSS
  checkLossClasses(loss, yTrue.shape[yTrue.rank - 1] as number)
  const axes = Array.from({ length: yTrue.rank - 1 }, (_, i) => i)
  return {
    intersection: tf.sum(tf.mul(yTrue, yPred), axes) as tf.Tensor1D,
    predicted: tf.sum(yPred, axes) as tf.Tensor1D,
    truth: tf.sum(yTrue, axes) as tf.Tensor1D,
    // Cross-entropy as one sum over every axis, as before losses had names (the default run's numbers unchanged).
    voxelLossSum: (loss.kind === 'dice-ce' || loss.kind === 'tversky'
      ? tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, epsilon, 1)))))
      : tf.sum(voxelLossPerVoxel(yTrue, yPred, loss, epsilon))) as tf.Scalar
  }
}

/**
 * Synchronous on purpose: the gradient worker exchanges the statistics between the forward and the
 * backward pass of one `tf.variableGrads`, whose function tfjs runs synchronously, so an `await`
 * cannot happen there. Gradient workers always run wasm (gradientWorker.ts), which reads
 * synchronously; a backend that cannot (webgpu in Node) trains on the engine thread (trainStep).
 */
export function readShardStatistics(tensors: ShardStatisticTensors, voxels: number): ShardStatistics {
  return {
    intersection: Float64Array.from(tensors.intersection.dataSync()),
    predicted: Float64Array.from(tensors.predicted.dataSync()),
    truth: Float64Array.from(tensors.truth.dataSync()),
    voxelLossSum: tensors.voxelLossSum.dataSync()[0] as number,
    voxels
  }
}

/** Writes `stats` into `into` (statisticsLength(K) values) at `offset`. */
export function packStatistics(stats: ShardStatistics, into: Float64Array, offset: number): void {
  const k = stats.intersection.length
  into.set(stats.intersection, offset)
  into.set(stats.predicted, offset + k)
  into.set(stats.truth, offset + 2 * k)
  into[offset + 3 * k] = stats.voxelLossSum
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
    voxelLossSum: total[3 * classes] as number,
    voxels: total[3 * classes + 1] as number
  }
}

interface Resolved {
  smooth: number
  first: number
  diceWeight: number
  ceWeight: number
  alpha: number
  beta: number
}

function resolve(options: ShardedLossOptions, classes: number): Resolved {
  const first = options.includeBackground ? 0 : 1
  if (classes - first < 1) throw new VoxloopError('INVALID_ARGUMENT', `sharded loss: ${classes} class(es) leave no foreground class to score`)
  const loss = options.loss ?? DEFAULT_LOSS
  return { smooth: options.smooth ?? DEFAULT_DICE_SMOOTH, first, diceWeight: loss.diceWeight, ceWeight: loss.ceWeight, ...regionWeightsOf(loss) }
}

/**
 * The region ratio r = N / D of one class, N = 2I + s, D = 2I + 2α(P − I) + 2β(T − I) + s (soft
 * Dice at α = β = ½, where D = T + P + s), and its partial derivatives in I and P.
 */
function regionTerm(r: Resolved, intersection: number, predicted: number, truth: number): { value: number; dI: number; dP: number } {
  const numerator = 2 * intersection + r.smooth
  const dice = r.alpha === 0.5 && r.beta === 0.5
  // Soft Dice keeps its own arithmetic (T + P + s), so the default run's numbers are unchanged.
  const denominator = dice ? truth + predicted + r.smooth : 2 * intersection + 2 * r.alpha * (predicted - intersection) + 2 * r.beta * (truth - intersection) + r.smooth
  const dDenominatorDI = dice ? 0 : 2 * (1 - r.alpha - r.beta)
  const dDenominatorDP = dice ? 1 : 2 * r.alpha
  return {
    value: numerator / denominator,
    dI: 2 / denominator - (numerator * dDenominatorDI) / (denominator * denominator),
    dP: -(numerator * dDenominatorDP) / (denominator * denominator)
  }
}

/** The loss's value from the whole batch's statistics. */
export function lossFromStatistics(total: ShardStatistics, options: ShardedLossOptions = {}): number {
  const classes = total.intersection.length
  const r = resolve(options, classes)
  let regionSum = 0
  for (let c = r.first; c < classes; c++) {
    regionSum += regionTerm(r, total.intersection[c] as number, total.predicted[c] as number, total.truth[c] as number).value
  }
  return r.diceWeight * (1 - regionSum / (classes - r.first)) + (r.ceWeight * total.voxelLossSum) / total.voxels
}

/**
 * A scalar whose gradient (through this shard's tensors) is this shard's share of the whole
 * batch loss's gradient. Its value means nothing; lossFromStatistics gives the loss.
 */
export function shardSurrogateLoss(shard: ShardStatisticTensors, total: ShardStatistics, options: ShardedLossOptions = {}): tf.Scalar {
  const classes = total.intersection.length
  const r = resolve(options, classes)
  const scored = classes - r.first
  const intersectionCoefficient = new Float32Array(classes)
  const predictedCoefficient = new Float32Array(classes)
  for (let c = r.first; c < classes; c++) {
    // L ∋ −(w/F)·r_c(I, P):  ∂L/∂I = −(w/F)·∂r/∂I,  ∂L/∂P = −(w/F)·∂r/∂P (T is the labels: no gradient)
    const term = regionTerm(r, total.intersection[c] as number, total.predicted[c] as number, total.truth[c] as number)
    intersectionCoefficient[c] = (-r.diceWeight / scored) * term.dI
    predictedCoefficient[c] = (-r.diceWeight / scored) * term.dP
  }
  return tf.tidy(() =>
    tf.addN([
      tf.sum(tf.mul(shard.intersection, tf.tensor1d(intersectionCoefficient))),
      tf.sum(tf.mul(shard.predicted, tf.tensor1d(predictedCoefficient))),
      tf.mul(shard.voxelLossSum, r.ceWeight / total.voxels)
    ]) as tf.Scalar
  )
}
