/**
 * Post-processing chosen on validation, by nnU-Net v2's rule (determine_postprocessing in
 * nnunetv2/postprocessing/remove_connected_components.py), and applied to predictions.
 *
 * On the validation cases' predictions (class indices on each case's own grid):
 * 1. "Keep the largest connected component of the whole foreground" (all labels as one mask) is
 *    kept only if the mean over labels of the per-label mean Dice rises strictly AND no label's mean
 *    Dice falls (nnU-Net's defensive rule: one label getting worse vetoes it).
 * 2. With more than one label, for each label in order, on top of the steps kept so far: "keep the
 *    largest component of this label" is kept only if that label's mean Dice rises strictly.
 * Ties (no change) are not kept, so a step that removes nothing is never recorded.
 *
 * Dice per case and label is the one validation reports (validationScores.ts): a label absent from
 * both prediction and reference scores 1, where nnU-Net scores NaN and skips it in the mean. So the
 * "before" figures are exactly the best epoch's validation Dice; the two conventions differ only
 * when a step erases a label from a case whose reference lacks it (0 → 1 here, 0 → skipped there),
 * which both count as a gain in practice.
 */
import { VoxloopError } from '../../shared/errors'
import type { DiceByLabel, PostprocessingPlan, PostprocessingTarget, PostprocessingTrial } from '../../shared/postprocessing'
import type { TrainingClass, ValidationScores } from '../../shared/training'
import type { LabelArray, Vec3 } from '../../shared/volume'
import { averageScores, caseScores } from '../train/validationScores'
import { DEFAULT_CONNECTIVITY, keepLargestComponent, type Connectivity } from './largestComponent'

/** One validation case: the model's prediction and the saved label, class indices on the case's own grid. */
export interface ValidationPrediction {
  predicted: Uint8Array
  reference: Uint8Array
  /** [nx, ny, nz] of that grid. */
  dims: Vec3
}

export type PostprocessingChoice = Omit<PostprocessingPlan, 'seconds'>

function diceByLabel(scores: ValidationScores): DiceByLabel {
  return { meanForegroundDice: scores.meanForegroundDice, perLabel: scores.perLabel.map((l) => ({ labelId: l.labelId, name: l.name, dice: l.dice })) }
}

const diceOf = (scores: DiceByLabel, labelId: number): number => scores.perLabel.find((l) => l.labelId === labelId)?.dice ?? 0

/** The class-index map value of a project label id, for maps of class indices. */
export function classIndexOf(classes: readonly TrainingClass[]): (labelId: number) => number {
  return (labelId) => {
    const found = classes.find((c) => c.labelId === labelId)
    if (!found) throw new VoxloopError('MODEL_CORRUPT', `the post-processing names label ${labelId}, which the model does not predict (its labels: ${classes.map((c) => c.labelId).join(', ')})`)
    return found.index
  }
}

function maskOf(target: PostprocessingTarget, valueOf: (labelId: number) => number): readonly number[] | 'foreground' {
  return target === 'foreground' ? 'foreground' : [valueOf(target)]
}

/** Chooses the steps on the validation predictions (see the rule above). Nothing to choose from without cases. */
export function choosePostprocessing(cases: readonly ValidationPrediction[], classes: readonly TrainingClass[], connectivity: Connectivity = DEFAULT_CONNECTIVITY): PostprocessingChoice {
  const base: PostprocessingChoice = { method: 'keep-largest-component', connectivity, steps: [], trials: [], validationCases: cases.length }
  if (cases.length === 0 || classes.length === 0) return base
  const toClass = classIndexOf(classes)
  const score = (maps: readonly Uint8Array[]): DiceByLabel =>
    diceByLabel(
      averageScores(
        maps.map((map, n) => caseScores(map, (cases[n] as ValidationPrediction).reference, classes)),
        classes
      )
    )
  let current: Uint8Array[] = cases.map((c) => c.predicted)
  let currentScores = score(current)
  const steps: PostprocessingTarget[] = []
  const trials: PostprocessingTrial[] = []
  const tryStep = (target: PostprocessingTarget, improves: (before: DiceByLabel, after: DiceByLabel) => boolean): void => {
    const results = current.map((map, n) => keepLargestComponent(map, (cases[n] as ValidationPrediction).dims, maskOf(target, toClass), connectivity))
    const removedVoxels = results.reduce((sum, r) => sum + r.removedVoxels, 0)
    const after = removedVoxels === 0 ? currentScores : score(results.map((r) => r.labels))
    const kept = removedVoxels > 0 && improves(currentScores, after)
    trials.push({ target, before: currentScores, after, removedVoxels, kept })
    if (!kept) return
    current = results.map((r) => r.labels)
    currentScores = after
    steps.push(target)
  }
  tryStep('foreground', (before, after) => after.meanForegroundDice > before.meanForegroundDice && after.perLabel.every((l) => l.dice >= diceOf(before, l.labelId)))
  // With one label the foreground step already was that label's.
  if (classes.length > 1) for (const c of classes) tryStep(c.labelId, (before, after) => diceOf(after, c.labelId) > diceOf(before, c.labelId))
  return { ...base, steps, trials }
}

/**
 * Applies a model's recorded steps, in order, to a label map on a case's own grid. `valueOf` maps a
 * project label id to the map's value (identity for maps of label ids; classIndexOf for class
 * indices). No plan (older models): the map itself, unchanged.
 */
export function applyPostprocessing<T extends LabelArray>(
  labels: T,
  dims: Vec3,
  plan: Pick<PostprocessingPlan, 'steps' | 'connectivity'> | null | undefined,
  valueOf: (labelId: number) => number = (labelId) => labelId
): T {
  if (!plan) return labels
  let out = labels
  for (const step of plan.steps) out = keepLargestComponent(out, dims, maskOf(step, valueOf), plan.connectivity).labels
  return out
}
