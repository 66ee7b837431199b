/**
 * The training loss of one held-out case, for the validation loss curve: the same quantity as
 * diceCrossEntropyLoss (losses.ts) with its defaults — (1 − mean foreground soft Dice, smooth 1) +
 * mean cross-entropy (probabilities clipped at 1e-7) — computed in one pass over the sliding-window
 * probabilities on the resampled grid against the resampled label.
 *
 * Why plain loops and not the tfjs loss: validation already has the probabilities in a Float32Array;
 * a whole case as tensors would need a one-hot copy and several [D, H, W, K] intermediates (about
 * 1 GB for a 256×256×200 case with three classes), where this needs K running sums. Why this grid:
 * it is the one the network predicts on and the training loss is measured on, so no resampling of
 * probabilities is involved. The test checks it against diceCrossEntropyLoss.
 */
import { VoxloopError } from '../../shared/errors'
import type { LossPlan } from '../../shared/training'
import { checkLossClasses, DEFAULT_CE_EPSILON, DEFAULT_DICE_SMOOTH, focalClassWeights } from './losses'
import { lossFromStatistics } from './shardedLoss'

/**
 * `probabilities`: [voxels, K] channels-last, each voxel's K values a distribution (a softmax, or
 * a blend of softmaxes); `labels`: class index per voxel (0 … K − 1), same voxel order. K ≥ 2.
 */
export function caseDiceCrossEntropy(probabilities: Float32Array, labels: Uint8Array, classes: number): number {
  if (!(Number.isInteger(classes) && classes >= 2)) throw new VoxloopError('INVALID_ARGUMENT', `validation loss: needs at least 2 classes, got ${classes}`)
  if (probabilities.length !== labels.length * classes) {
    throw new VoxloopError('INVALID_ARGUMENT', `validation loss: ${probabilities.length} probabilities do not match ${labels.length} labels × ${classes} classes`)
  }
  const intersection = new Float64Array(classes)
  const predicted = new Float64Array(classes)
  const reference = new Float64Array(classes)
  let crossEntropy = 0
  for (let v = 0, o = 0; v < labels.length; v++, o += classes) {
    const truth = labels[v] as number
    if (truth >= classes) throw new VoxloopError('INVALID_ARGUMENT', `validation loss: label ${truth} is not below ${classes} classes`)
    for (let k = 0; k < classes; k++) predicted[k] = (predicted[k] as number) + (probabilities[o + k] as number)
    const p = probabilities[o + truth] as number
    intersection[truth] = (intersection[truth] as number) + p
    reference[truth] = (reference[truth] as number) + 1
    crossEntropy -= Math.log(Math.min(1, Math.max(DEFAULT_CE_EPSILON, p)))
  }
  let dice = 0
  for (let k = 1; k < classes; k++) {
    dice += (2 * (intersection[k] as number) + DEFAULT_DICE_SMOOTH) / ((reference[k] as number) + (predicted[k] as number) + DEFAULT_DICE_SMOOTH)
  }
  return 1 - dice / (classes - 1) + crossEntropy / Math.max(1, labels.length)
}

/** The voxel-wise term of one voxel (probabilities at `offset`, hard label `truth`), as voxelLossPerVoxel (losses.ts). */
function voxelTerm(loss: LossPlan, classes: number): (p: Float32Array, offset: number, truth: number) => number {
  const clip = (p: number, high: number): number => Math.min(high, Math.max(DEFAULT_CE_EPSILON, p))
  switch (loss.kind) {
    case 'dice-ce':
    case 'tversky':
      return (p, o, truth) => -Math.log(clip(p[o + truth] as number, 1))
    case 'dice-bce':
      return (p, o, truth) => {
        const q = clip(p[o + 1] as number, 1 - DEFAULT_CE_EPSILON)
        return -Math.log(truth === 1 ? q : 1 - q)
      }
    case 'focal': {
      const weights = focalClassWeights(loss.alpha, classes)
      return (p, o, truth) => {
        const pt = p[o + truth] as number
        return -(weights ? (weights[truth] as number) : 1) * (1 - clip(pt, 1 - DEFAULT_CE_EPSILON)) ** loss.gamma * Math.log(clip(pt, 1))
      }
    }
  }
}

/**
 * The run's training loss (`loss`, as segmentationLoss computes it on tensors) of one held-out
 * case, from the same arguments as caseDiceCrossEntropy; 'dice-ce' is caseDiceCrossEntropy itself.
 */
export function caseLoss(probabilities: Float32Array, labels: Uint8Array, classes: number, loss: LossPlan): number {
  if (loss.kind === 'dice-ce' && loss.diceWeight === 1 && loss.ceWeight === 1) return caseDiceCrossEntropy(probabilities, labels, classes)
  if (!(Number.isInteger(classes) && classes >= 2)) throw new VoxloopError('INVALID_ARGUMENT', `validation loss: needs at least 2 classes, got ${classes}`)
  checkLossClasses(loss, classes)
  if (probabilities.length !== labels.length * classes) {
    throw new VoxloopError('INVALID_ARGUMENT', `validation loss: ${probabilities.length} probabilities do not match ${labels.length} labels × ${classes} classes`)
  }
  const term = voxelTerm(loss, classes)
  const intersection = new Float64Array(classes)
  const predicted = new Float64Array(classes)
  const truth = new Float64Array(classes)
  let voxelLossSum = 0
  for (let v = 0, o = 0; v < labels.length; v++, o += classes) {
    const label = labels[v] as number
    if (label >= classes) throw new VoxloopError('INVALID_ARGUMENT', `validation loss: label ${label} is not below ${classes} classes`)
    for (let k = 0; k < classes; k++) predicted[k] = (predicted[k] as number) + (probabilities[o + k] as number)
    intersection[label] = (intersection[label] as number) + (probabilities[o + label] as number)
    truth[label] = (truth[label] as number) + 1
    voxelLossSum += term(probabilities, o, label)
  }
  return lossFromStatistics({ intersection, predicted, truth, voxelLossSum, voxels: Math.max(1, labels.length) }, { loss })
}
