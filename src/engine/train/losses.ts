/**
 * Segmentation losses on NDHWC tensors: yTrue one-hot [batch, D, H, W, K], yPred softmax
 * probabilities of the same shape (or logits, where an option says so). K includes background.
 * Every function returns a scalar and disposes its intermediates.
 *
 * Soft Dice (Milletari et al. 2016, V-Net) is computed over the whole batch, per class
 * ("batch Dice", as nnU-Net): sums run over batch and space before the ratio, so a patch without
 * some class does not score that class 0 or 1 on its own. Combined with cross-entropy (Dice for
 * the class imbalance of small structures, cross-entropy for well-behaved gradients early on).
 *
 * The losses a run can choose by name (LossPlan, src/shared/training.ts; segmentationLoss) all have
 * that shape: a region term per foreground class over the batch (soft Dice, or the Tversky index)
 * plus a voxel-wise term averaged over voxels (cross-entropy, binary cross-entropy or focal).
 * shardedLoss.ts splits the same losses over workers, validationLoss.ts scores a whole case.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { DEFAULT_LOSS, type LossPlan } from '../../shared/training'
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

export interface TverskyOptions extends SoftDiceOptions {
  /** Weight of false positives Σ (1 − t)·p. [0, 1]; default 0.3. */
  alpha?: number
  /** Weight of false negatives Σ t·(1 − p). [0, 1]; default 0.7. */
  beta?: number
}

function unitInterval(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw invalid(`${name} must be in [0, 1], got ${value}`)
  return value
}

/**
 * Tversky index per class over the batch, [K] (Salehi et al. 2017):
 * (2·I + s) / (2·I + 2α·FP + 2β·FN + s), with I = Σ t·p, FP = Σ (1 − t)·p = P − I, FN = T − I.
 * The factor 2 puts the smooth term in soft Dice's units: with α = β = ½ this is softDicePerClass.
 */
export function tverskyIndexPerClass(yTrue: tf.Tensor, yPred: tf.Tensor, options: Omit<TverskyOptions, 'includeBackground'> = {}): tf.Tensor1D {
  checkPair(yTrue, yPred, 'tverskyIndexPerClass')
  const smooth = nonNegative('smooth', options.smooth ?? DEFAULT_DICE_SMOOTH)
  const alpha = unitInterval('tversky alpha', options.alpha ?? 0.3)
  const beta = unitInterval('tversky beta', options.beta ?? 0.7)
  return tf.tidy(() => {
    const axes = batchAndSpatialAxes(yTrue)
    const intersection = tf.sum(tf.mul(yTrue, yPred), axes)
    const falsePositives = tf.sub(tf.sum(yPred, axes), intersection)
    const falseNegatives = tf.sub(tf.sum(yTrue, axes), intersection)
    const numerator = tf.add(tf.mul(intersection, 2), smooth)
    const denominator = tf.add(tf.addN([tf.mul(intersection, 2), tf.mul(falsePositives, 2 * alpha), tf.mul(falseNegatives, 2 * beta)]), smooth)
    return tf.div(numerator, denominator) as tf.Tensor1D
  })
}

/** 1 − mean Tversky index over the foreground classes (or all with includeBackground). */
export function tverskyLoss(yTrue: tf.Tensor, yPred: tf.Tensor, options: TverskyOptions = {}): tf.Scalar {
  const classes = checkPair(yTrue, yPred, 'tverskyLoss')
  const first = options.includeBackground ? 0 : 1
  if (classes - first < 1) throw invalid(`tverskyLoss: ${classes} class(es) leave no foreground class to score`)
  return tf.tidy(() => {
    const index = tverskyIndexPerClass(yTrue, yPred, options)
    const scored = first === 0 ? index : tf.slice(index, [first], [classes - first])
    return tf.sub(1, tf.mean(scored)) as tf.Scalar
  })
}

function checkEpsilon(epsilon: number, what: string): number {
  if (!(epsilon > 0 && epsilon <= 0.1)) throw invalid(`${what}: epsilon must be in (0, 0.1], got ${epsilon}`)
  return epsilon
}

/**
 * Per voxel −[t·log q + (1 − t)·log(1 − q)] of the foreground (class 1) probability q of a
 * two-class prediction, q clipped to [epsilon, 1 − epsilon]; [batch, ...space]. Two classes only.
 */
export function binaryCrossEntropyPerVoxel(yTrue: tf.Tensor, yPred: tf.Tensor, options: Pick<CrossEntropyOptions, 'epsilon'> = {}): tf.Tensor {
  const classes = checkPair(yTrue, yPred, 'binary cross-entropy')
  if (classes !== 2) throw invalid(`binary cross-entropy needs exactly 2 classes (background and one foreground label), got ${classes}`)
  const epsilon = checkEpsilon(options.epsilon ?? DEFAULT_CE_EPSILON, 'binary cross-entropy')
  return tf.tidy(() => {
    const last = yTrue.rank - 1
    const t = tf.squeeze(tf.slice(yTrue, [...Array(last).fill(0), 1] as number[], [...Array(last).fill(-1), 1] as number[]), [last])
    const q = tf.clipByValue(tf.squeeze(tf.slice(yPred, [...Array(last).fill(0), 1] as number[], [...Array(last).fill(-1), 1] as number[]), [last]), epsilon, 1 - epsilon)
    return tf.neg(tf.add(tf.mul(t, tf.log(q)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, q)))))
  })
}

/** Mean over voxels of binaryCrossEntropyPerVoxel, in nats. */
export function binaryCrossEntropyLoss(yTrue: tf.Tensor, yPred: tf.Tensor, options: Pick<CrossEntropyOptions, 'epsilon'> = {}): tf.Scalar {
  return tf.tidy(() => tf.mean(binaryCrossEntropyPerVoxel(yTrue, yPred, options)) as tf.Scalar)
}

export interface FocalOptions {
  /** Focusing exponent γ ≥ 0 (0: cross-entropy); default 2. */
  gamma?: number
  /** Weight of the foreground classes in (0, 1), background 1 − alpha; null or absent: every class 1. */
  alpha?: number | null
  /** As CrossEntropyOptions.epsilon. */
  epsilon?: number
}

/** Class weights of the focal term: [1 − α, α, …, α], or null for none. */
export function focalClassWeights(alpha: number | null | undefined, classes: number): Float32Array | null {
  if (alpha === null || alpha === undefined) return null
  if (!(alpha > 0 && alpha < 1)) throw invalid(`focal alpha must be in (0, 1), got ${alpha}`)
  return Float32Array.from({ length: classes }, (_, k) => (k === 0 ? 1 - alpha : alpha))
}

/**
 * Per voxel −Σ_k a_k·t_k·(1 − p_k)^γ·log p_k (Lin et al. 2017, multiclass; with one-hot labels
 * −a_t·(1 − p_t)^γ·log p_t), [batch, ...space]. The log takes p clipped to [epsilon, 1] as the
 * cross-entropy does; the modulating factor takes p clipped to [epsilon, 1 − epsilon], because
 * (1 − p)^γ has an infinite slope at p = 1 for γ < 1 (a saturated softmax gives exactly 1).
 */
export function focalPerVoxel(yTrue: tf.Tensor, yPred: tf.Tensor, options: FocalOptions = {}): tf.Tensor {
  const classes = checkPair(yTrue, yPred, 'focal loss')
  const gamma = options.gamma ?? 2
  if (!(gamma >= 0 && Number.isFinite(gamma))) throw invalid(`focal gamma must be a finite number ≥ 0, got ${gamma}`)
  const epsilon = checkEpsilon(options.epsilon ?? DEFAULT_CE_EPSILON, 'focal loss')
  const weights = focalClassWeights(options.alpha, classes)
  return tf.tidy(() => {
    const logP = tf.log(tf.clipByValue(yPred, epsilon, 1))
    const modulation = tf.pow(tf.sub(1, tf.clipByValue(yPred, epsilon, 1 - epsilon)), gamma)
    let terms = tf.mul(tf.mul(yTrue, modulation), logP)
    if (weights) terms = tf.mul(terms, tf.tensor1d(weights))
    return tf.neg(tf.sum(terms, -1))
  })
}

/** Mean over voxels of focalPerVoxel. γ = 0 without alpha is the cross-entropy. */
export function focalLoss(yTrue: tf.Tensor, yPred: tf.Tensor, options: FocalOptions = {}): tf.Scalar {
  return tf.tidy(() => tf.mean(focalPerVoxel(yTrue, yPred, options)) as tf.Scalar)
}

/** INVALID_ARGUMENT unless `loss` can score `classes` output channels (background included): 'dice-bce' needs exactly 2. */
export function checkLossClasses(loss: LossPlan, classes: number): void {
  if (loss.kind === 'dice-bce' && classes !== 2) throw invalid(`loss 'dice-bce' is for one foreground label; this model has ${classes - 1}`)
}

/**
 * The voxel-wise term of `loss` per voxel, [batch, ...space]: cross-entropy ('dice-ce',
 * 'tversky'), binary cross-entropy ('dice-bce') or focal ('focal'). yPred holds probabilities.
 */
export function voxelLossPerVoxel(yTrue: tf.Tensor, yPred: tf.Tensor, loss: LossPlan, epsilon = DEFAULT_CE_EPSILON): tf.Tensor {
  switch (loss.kind) {
    case 'dice-ce':
    case 'tversky':
      checkPair(yTrue, yPred, 'cross-entropy')
      checkEpsilon(epsilon, 'cross-entropy')
      return tf.tidy(() => tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, epsilon, 1))), -1)))
    case 'dice-bce':
      return binaryCrossEntropyPerVoxel(yTrue, yPred, { epsilon })
    case 'focal':
      return focalPerVoxel(yTrue, yPred, { gamma: loss.gamma, alpha: loss.alpha, epsilon })
  }
}

/** The region term's Tversky weights: soft Dice is α = β = ½. */
export function regionWeightsOf(loss: LossPlan): { alpha: number; beta: number } {
  return loss.kind === 'tversky' ? { alpha: loss.alpha, beta: loss.beta } : { alpha: 0.5, beta: 0.5 }
}

/**
 * The training loss by name (LossPlan): diceWeight · region term + ceWeight · mean voxel-wise term,
 * on softmax probabilities. 'dice-ce' is diceCrossEntropyLoss itself, so runs that name no loss
 * compute exactly what they did before losses had names.
 */
export function segmentationLoss(yTrueOneHot: tf.Tensor, yPred: tf.Tensor, loss: LossPlan = DEFAULT_LOSS, options: Pick<SoftDiceOptions, 'smooth' | 'includeBackground'> & Pick<CrossEntropyOptions, 'epsilon'> = {}): tf.Scalar {
  const classes = checkPair(yTrueOneHot, yPred, 'segmentationLoss')
  checkLossClasses(loss, classes)
  const diceWeight = nonNegative('diceWeight', loss.diceWeight)
  const ceWeight = nonNegative('ceWeight', loss.ceWeight)
  if (loss.kind === 'dice-ce') return diceCrossEntropyLoss(yTrueOneHot, yPred, { ...options, diceWeight, ceWeight })
  return tf.tidy(() => {
    const region = loss.kind === 'tversky' ? tverskyLoss(yTrueOneHot, yPred, { ...options, alpha: loss.alpha, beta: loss.beta }) : softDiceLoss(yTrueOneHot, yPred, options)
    const voxel = tf.mean(voxelLossPerVoxel(yTrueOneHot, yPred, loss, options.epsilon))
    return tf.add(tf.mul(region, diceWeight), tf.mul(voxel, ceWeight)) as tf.Scalar
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
