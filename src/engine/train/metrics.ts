/**
 * Overlap metrics between a predicted and a reference label map (same grid, one label per voxel),
 * in plain TypeScript over typed arrays: no tensors, so main, CLI and tests can use them too.
 *
 * Empty structures, by convention (as MONAI's `ignore_empty=False` / nnU-Net report them):
 * - Dice and IoU are 1 when the label is absent from both maps (nothing to find, nothing found)
 *   and 0 when it is absent from exactly one.
 * - Sensitivity TP/(TP+FN) is null when the reference has no voxel of the label; specificity
 *   TN/(TN+FP) is null when the reference has only that label. Null, not NaN, so it survives JSON
 *   and a caller averaging over cases must decide how to skip it.
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelArray } from '../../shared/volume'

export interface ConfusionCounts {
  /** Voxels with the label in both maps. */
  truePositives: number
  /** Voxels with the label in the prediction only. */
  falsePositives: number
  /** Voxels with the label in the reference only. */
  falseNegatives: number
  /** Voxels with the label in neither. */
  trueNegatives: number
}

export interface LabelMetrics extends ConfusionCounts {
  label: number
  /** 2·TP / (2·TP + FP + FN), in [0, 1]. */
  dice: number
  /** Intersection over union (Jaccard): TP / (TP + FP + FN), in [0, 1]. */
  iou: number
  /** Recall: TP / (TP + FN); null when the reference lacks the label. */
  sensitivity: number | null
  /** TN / (TN + FP); null when every reference voxel has the label. */
  specificity: number | null
}

/** Per-label voxel counts of both maps and of their agreement, from one pass. */
export interface OverlapCounts {
  voxels: number
  /** Indexed by label: voxels where both maps hold it. */
  agreeing: Float64Array
  predicted: Float64Array
  reference: Float64Array
}

function checkSameSize(predicted: LabelArray, reference: LabelArray): void {
  if (predicted.length !== reference.length) {
    throw new VoxloopError('INVALID_ARGUMENT', `label maps differ in size: predicted ${predicted.length} voxels, reference ${reference.length}`)
  }
}

function maxLabel(labels: LabelArray): number {
  let max = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i]
  return max
}

/** Counts every label's voxels in each map and where they agree (memory: 3 × (max label + 1) numbers). */
export function overlapCounts(predicted: LabelArray, reference: LabelArray): OverlapCounts {
  checkSameSize(predicted, reference)
  const size = Math.max(maxLabel(predicted), maxLabel(reference)) + 1
  const agreeing = new Float64Array(size)
  const predictedCounts = new Float64Array(size)
  const referenceCounts = new Float64Array(size)
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i]
    const r = reference[i]
    predictedCounts[p]++
    referenceCounts[r]++
    if (p === r) agreeing[p]++
  }
  return { voxels: predicted.length, agreeing, predicted: predictedCounts, reference: referenceCounts }
}

/** TP, FP, FN, TN of one label, from counts made once for all labels. */
export function confusionFromOverlap(counts: OverlapCounts, label: number): ConfusionCounts {
  const tp = counts.agreeing[label] ?? 0
  const inPrediction = counts.predicted[label] ?? 0
  const inReference = counts.reference[label] ?? 0
  const fp = inPrediction - tp
  const fn = inReference - tp
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: counts.voxels - tp - fp - fn }
}

/** TP, FP, FN, TN of `label` between two label maps of the same grid. */
export function confusionCounts(predicted: LabelArray, reference: LabelArray, label: number): ConfusionCounts {
  checkSameSize(predicted, reference)
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < predicted.length; i++) {
    const inPrediction = predicted[i] === label
    const inReference = reference[i] === label
    if (inPrediction && inReference) tp++
    else if (inPrediction) fp++
    else if (inReference) fn++
  }
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: predicted.length - tp - fp - fn }
}

/** Dice, IoU, sensitivity and specificity from counts (see the file comment for empty labels). */
export function metricsFromCounts(label: number, counts: ConfusionCounts): LabelMetrics {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn } = counts
  const disagreeing = fp + fn
  return {
    label,
    ...counts,
    dice: tp + disagreeing === 0 ? 1 : (2 * tp) / (2 * tp + disagreeing),
    iou: tp + disagreeing === 0 ? 1 : tp / (tp + disagreeing),
    sensitivity: tp + fn === 0 ? null : tp / (tp + fn),
    specificity: tn + fp === 0 ? null : tn / (tn + fp)
  }
}

/**
 * Pixel (voxel) accuracy: the share of voxels whose label is the same in both maps, background
 * included (1 for two empty maps of any size; NaN-free: an empty map pair of length 0 is 1).
 */
export function pixelAccuracy(predicted: LabelArray, reference: LabelArray): number {
  checkSameSize(predicted, reference)
  if (predicted.length === 0) return 1
  let agreeing = 0
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === reference[i]) agreeing++
  return agreeing / predicted.length
}

export interface SegmentationMetricsOptions {
  /** Labels to score. Default: 1 … the largest label in either map (foreground, absent ones included). */
  labels?: readonly number[]
}

/** Per-label metrics of a prediction against a reference label map, one pass over the voxels. */
export function segmentationMetrics(predicted: LabelArray, reference: LabelArray, options: SegmentationMetricsOptions = {}): LabelMetrics[] {
  const counts = overlapCounts(predicted, reference)
  const labels = options.labels ?? Array.from({ length: counts.agreeing.length - 1 }, (_, i) => i + 1)
  return labels.map((label) => {
    if (!(Number.isInteger(label) && label >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `label must be an integer ≥ 0, got ${label}`)
    return metricsFromCounts(label, confusionFromOverlap(counts, label))
  })
}
