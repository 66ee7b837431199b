/**
 * The post-processing line the CLI and the model table show: what predictions apply, what was
 * refused, and the Dice that decided each (with enough digits to show a change three hide).
 */
import { describe, expect, it } from 'vitest'
import { describePostprocessing, PostprocessingPlanSchema, type DiceByLabel, type PostprocessingPlan } from '../../../src/shared/postprocessing'

const scores = (head: number, tail: number): DiceByLabel => ({
  meanForegroundDice: (head + tail) / 2,
  perLabel: [
    { labelId: 1, name: 'head', dice: head },
    { labelId: 2, name: 'tail', dice: tail }
  ]
})

const plan = (trials: PostprocessingPlan['trials']): PostprocessingPlan => ({
  method: 'keep-largest-component',
  connectivity: 26,
  steps: trials.filter((t) => t.kept).map((t) => t.target),
  trials,
  validationCases: 3,
  seconds: 1.5
})

describe('describePostprocessing', () => {
  it('names the kept steps and the refused ones with the Dice that decided them, and why a veto happened', () => {
    const text = describePostprocessing(
      plan([
        { target: 'foreground', before: scores(0.8, 0.7), after: scores(0.9, 0.65), removedVoxels: 40, kept: false },
        { target: 1, before: scores(0.8, 0.7), after: scores(0.9, 0.7), removedVoxels: 30, kept: true },
        { target: 2, before: scores(0.9, 0.7), after: scores(0.9, 0.7), removedVoxels: 0, kept: false }
      ])
    )
    expect(text).toBe(
      'keep the largest connected component of: head (Dice 0.800 → 0.900); not of: all labels together (mean Dice 0.750 → 0.775: tail got worse), tail (nothing to remove) (on 3 validation case(s) predicted as Predict does, with the tile-grid passes)'
    )
  })

  it('says none when nothing helped, and shows more digits when three hide the change', () => {
    const text = describePostprocessing(plan([{ target: 'foreground', before: scores(0.8, 0.7), after: scores(0.8, 0.69996), removedVoxels: 2, kept: false }]))
    expect(text).toBe('none: keeping only the largest connected component did not raise validation Dice on 3 validation case(s) predicted as Predict does, with the tile-grid passes: all labels together (mean Dice 0.750000 → 0.749980)')
  })

  it('says why there is none without validation cases; the schema takes what the engine records', () => {
    const empty: PostprocessingPlan = { method: 'keep-largest-component', connectivity: 26, steps: [], trials: [], validationCases: 0, seconds: 0 }
    expect(describePostprocessing(empty)).toBe('none (no validation cases to choose it on)')
    expect(PostprocessingPlanSchema.parse(empty)).toEqual(empty)
    expect(() => PostprocessingPlanSchema.parse({ ...empty, steps: [0] })).toThrow()
  })
})
