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
import { DEFAULT_CE_EPSILON, DEFAULT_DICE_SMOOTH } from './losses'

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
