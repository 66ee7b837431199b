import { z } from 'zod'

/**
 * Post-processing of a model's label maps, chosen on the validation cases at the end of its training
 * run (nnU-Net's rule, the engine's infer/postprocessing.ts) and recorded in its run.json; every
 * prediction with the model then applies the same steps on the case's own grid. Pure zod and text.
 */

/** 'foreground': all labels as one mask; a number: that project label id alone. */
export const PostprocessingTargetSchema = z.union([z.literal('foreground'), z.number().int().min(1)])
export type PostprocessingTarget = z.infer<typeof PostprocessingTargetSchema>

/** Mean validation Dice of each label (over the validation cases) and their mean. */
export const DiceByLabelSchema = z.object({
  meanForegroundDice: z.number(),
  perLabel: z.array(z.object({ labelId: z.number().int().min(1), name: z.string(), dice: z.number() }))
})
export type DiceByLabel = z.infer<typeof DiceByLabelSchema>

/** One candidate step, tried on top of the steps kept before it. */
export const PostprocessingTrialSchema = z.object({
  target: PostprocessingTargetSchema,
  before: DiceByLabelSchema,
  after: DiceByLabelSchema,
  /** Voxels the step removed over all validation cases (0: it changed nothing). */
  removedVoxels: z.number().int().min(0),
  kept: z.boolean()
})
export type PostprocessingTrial = z.infer<typeof PostprocessingTrialSchema>

/**
 * `run.json`'s `postprocessing`. Absent in versions trained before it existed (and in runs that
 * did not finish, or were cancelled while it was being chosen): their predictions are not changed.
 */
export const PostprocessingPlanSchema = z.object({
  method: z.literal('keep-largest-component'),
  /** Voxel neighbourhood of a component: 26 (faces, edges, corners), as nnU-Net v2. */
  connectivity: z.union([z.literal(6), z.literal(26)]),
  /** Applied in this order at prediction; empty when no step improved validation Dice. */
  steps: z.array(PostprocessingTargetSchema),
  /** Every step tried, in order, with the Dice that decided it. Empty without validation cases. */
  trials: z.array(PostprocessingTrialSchema),
  validationCases: z.number().int().min(0),
  /** Seconds the choice took (the validation cases predicted with the best model, then the trials). */
  seconds: z.number().min(0)
})
export type PostprocessingPlan = z.infer<typeof PostprocessingPlanSchema>

/** "0.801 → 0.836"; more digits when three do not show the change that decided it. */
function change(before: number, after: number): string {
  const digits = before.toFixed(3) === after.toFixed(3) && before !== after ? 6 : 3
  return `${before.toFixed(digits)} → ${after.toFixed(digits)}`
}

function targetName(target: PostprocessingTarget, trial: PostprocessingTrial): string {
  if (target === 'foreground') return 'all labels together'
  return trial.before.perLabel.find((l) => l.labelId === target)?.name ?? `label ${target}`
}

/** The Dice that decided a trial: the mean of the labels for 'foreground', the label's own otherwise. */
function decidingDice(trial: PostprocessingTrial): string {
  if (trial.target === 'foreground') {
    const worse = trial.after.perLabel.filter((l, i) => l.dice < (trial.before.perLabel[i]?.dice ?? 0))
    const why = !trial.kept && trial.after.meanForegroundDice > trial.before.meanForegroundDice && worse.length ? `: ${worse.map((l) => l.name).join(', ')} got worse` : ''
    return `mean Dice ${change(trial.before.meanForegroundDice, trial.after.meanForegroundDice)}${why}`
  }
  const of = (scores: DiceByLabel): number => scores.perLabel.find((l) => l.labelId === trial.target)?.dice ?? 0
  return `Dice ${change(of(trial.before), of(trial.after))}`
}

/**
 * One line for the CLI and the model table, e.g. "keep the largest component of: ball (Dice 0.801 →
 * 0.836); not of: all labels together (mean Dice 0.790 → 0.795: box got worse), box (…)".
 */
export function describePostprocessing(plan: PostprocessingPlan): string {
  if (plan.validationCases === 0) return 'none (no validation cases to choose it on)'
  const part = (trial: PostprocessingTrial): string => {
    const changed = trial.removedVoxels === 0 ? 'nothing to remove' : decidingDice(trial)
    return `${targetName(trial.target, trial)} (${changed})`
  }
  const kept = plan.trials.filter((t) => t.kept).map(part)
  const rejected = plan.trials.filter((t) => !t.kept).map(part)
  // Said because these Dice differ from the epoch table's: that one is a single plain pass.
  const on = `on ${plan.validationCases} validation case(s) predicted as Predict does, with the tile-grid passes`
  if (kept.length === 0) return `none: keeping only the largest connected component did not raise validation Dice ${on}: ${rejected.join(', ')}`
  return `keep the largest connected component of: ${kept.join(', ')}${rejected.length ? `; not of: ${rejected.join(', ')}` : ''} (${on})`
}
