/**
 * Segmentation losses on NDHWC tensors: yTrue one-hot [batch, D, H, W, K], yPred softmax
 * probabilities of the same shape (or logits, where an option says so). K includes background.
 * Every function returns a scalar and disposes its intermediates.
 *
 * Soft Dice (Milletari et al. 2016, V-Net) is computed over the whole batch, per class
 * ("batch Dice", as nnU-Net): sums run over batch and space before the ratio, so a patch without
 * some class does not score that class 0 or 1 on its own. Combined with cross-entropy (Dice for
 * the class imbalance of small structures, cross-entropy for well-behaved gradients early on).
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { LabelArray } from '../../shared/volume'

/** 1 voxel in numerator and denominator: an absent class predicted absent scores 1, not 0/0. */
export const DEFAULT_DICE_SMOOTH = 1
/** Probabilities are clipped to [epsilon, 1] before the log: −log(1e-7) ≈ 16 caps each voxel's loss. */
export const DEFAULT_CE_EPSILON = 1e-7

export interface SoftDiceOptions {
  /** Added to numerator and denominator, in voxels. ≥ 0; default 1. */
  smooth?: number
  /** Average class 0 too; default false (foreground classes 1…K−1 only, as the metric reports). */
  includeBackground?: boolean
}

export interface CrossEntropyOptions {
  /** Smallest probability passed to the log when yPred holds probabilities. (0, 0.1]; default 1e-7. */
  epsilon?: number
  /**
   * What yPred holds: 'probabilities' (a softmax output; clipped, so voxels whose true class has
   * probability < epsilon give no gradient) or 'logits' (scores before the softmax; exact
   * log-softmax, never saturates). Default 'probabilities'.
   */
  predictions?: 'probabilities' | 'logits'
}

export interface DiceCrossEntropyOptions extends SoftDiceOptions, CrossEntropyOptions {
  /** Weight of (1 − mean soft Dice). ≥ 0; default 1. */
  diceWeight?: number
  /** Weight of the mean cross-entropy (nats per voxel). ≥ 0; default 1. */
  ceWeight?: number
}

function invalid(message: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', message)
}

function checkPair(yTrue: tf.Tensor, yPred: tf.Tensor, what: string): number {
  if (yTrue.rank < 2 || yTrue.shape.join() !== yPred.shape.join()) {
    throw invalid(`${what}: yTrue ${JSON.stringify(yTrue.shape)} and yPred ${JSON.stringify(yPred.shape)} must have one shape [batch, ..., K]`)
  }
  return yTrue.shape[yTrue.rank - 1] as number
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0 && Number.isFinite(value))) throw invalid(`${name} must be a finite number ≥ 0, got ${value}`)
  return value
}

/** Every axis but the class axis: batch and space. */
function batchAndSpatialAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i)
}

/** Soft Dice per class over the batch, [K]: (2·Σ t·p + s) / (Σ t + Σ p + s). */
export function softDicePerClass(yTrue: tf.Tensor, yPred: tf.Tensor, options: Pick<SoftDiceOptions, 'smooth'> = {}): tf.Tensor1D {
  checkPair(yTrue, yPred, 'softDicePerClass')
  const smooth = nonNegative('smooth', options.smooth ?? DEFAULT_DICE_SMOOTH)
  return tf.tidy(() => {
    const axes = batchAndSpatialAxes(yTrue)
    const intersection = tf.sum(tf.mul(yTrue, yPred), axes)
    const total = tf.add(tf.sum(yTrue, axes), tf.sum(yPred, axes))
    return tf.div(tf.add(tf.mul(intersection, 2), smooth), tf.add(total, smooth)) as tf.Tensor1D
  })
}

/** 1 − mean soft Dice over the foreground classes (or all classes with includeBackground). */
export function softDiceLoss(yTrue: tf.Tensor, yPred: tf.Tensor, options: SoftDiceOptions = {}): tf.Scalar {
  const classes = checkPair(yTrue, yPred, 'softDiceLoss')
  const first = options.includeBackground ? 0 : 1
  if (classes - first < 1) throw invalid(`softDiceLoss: ${classes} class(es) leave no foreground class to score`)
  return tf.tidy(() => {
    const dice = softDicePerClass(yTrue, yPred, options)
    const scored = first === 0 ? dice : tf.slice(dice, [first], [classes - first])
    return tf.sub(1, tf.mean(scored)) as tf.Scalar
  })
}

/** Mean over voxels (batch and space) of −Σ_k t_k · log p_k, in nats. */
export function crossEntropyLoss(yTrue: tf.Tensor, yPred: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  checkPair(yTrue, yPred, 'crossEntropyLoss')
  const epsilon = options.epsilon ?? DEFAULT_CE_EPSILON
  if (!(epsilon > 0 && epsilon <= 0.1)) throw invalid(`crossEntropyLoss: epsilon must be in (0, 0.1], got ${epsilon}`)
  return tf.tidy(() => {
    const logP = options.predictions === 'logits' ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, epsilon, 1))
    return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, logP), -1))) as tf.Scalar
  })
}

/**
 * diceWeight · (1 − mean foreground soft Dice) + ceWeight · cross-entropy. With
 * `predictions: 'logits'` yPred holds logits; Dice then scores their softmax.
 */
export function diceCrossEntropyLoss(yTrueOneHot: tf.Tensor, yPred: tf.Tensor, options: DiceCrossEntropyOptions = {}): tf.Scalar {
  const diceWeight = nonNegative('diceWeight', options.diceWeight ?? 1)
  const ceWeight = nonNegative('ceWeight', options.ceWeight ?? 1)
  return tf.tidy(() => {
    const probabilities = options.predictions === 'logits' ? tf.softmax(yPred) : yPred
    const dice = softDiceLoss(yTrueOneHot, probabilities, options)
    const ce = crossEntropyLoss(yTrueOneHot, yPred, options)
    return tf.add(tf.mul(dice, diceWeight), tf.mul(ce, ceWeight)) as tf.Scalar
  })
}

/**
 * Label maps (one per batch item, voxels in NDHW order: W fastest, as NIfTI stores i fastest) →
 * one-hot float32 [...shape, numClasses]. Throws INVALID_ARGUMENT for a label ≥ numClasses.
 */
export function oneHotLabels(labels: LabelArray, shape: readonly number[], numClasses: number): tf.Tensor {
  const voxels = shape.reduce((a, b) => a * b, 1)
  if (labels.length !== voxels) throw invalid(`oneHotLabels: ${labels.length} labels do not fill shape ${JSON.stringify(shape)} (${voxels} voxels)`)
  if (!(Number.isInteger(numClasses) && numClasses >= 1 && numClasses <= 65536)) throw invalid(`oneHotLabels: numClasses must be an integer 1–65536, got ${numClasses}`)
  let max = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i]
  if (max >= numClasses) throw invalid(`oneHotLabels: label ${max} is not below numClasses ${numClasses}`)
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor(Int32Array.from(labels), [...shape], 'int32'), numClasses), 'float32'))
}
