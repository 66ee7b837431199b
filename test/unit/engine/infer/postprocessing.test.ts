/**
 * nnU-Net's rule for choosing "keep the largest connected component" on validation, on constructed
 * cases where the right answer is known: a spurious island (removing it raises Dice: kept), a true
 * second component (removing it lowers Dice: not kept), the whole-foreground step vetoed because
 * one label gets worse even though the mean rises, per-label steps on top of it; and applying the
 * recorded steps to label-id and class-index maps.
 */
import { describe, expect, it } from 'vitest'
import { applyPostprocessing, choosePostprocessing, classIndexOf, type ValidationPrediction } from '../../../../src/engine/infer/postprocessing'
import { describePostprocessing, type PostprocessingPlan } from '../../../../src/shared/postprocessing'
import type { TrainingClass } from '../../../../src/shared/training'
import type { Vec3 } from '../../../../src/shared/volume'

const DIMS: Vec3 = [12, 12, 12]
const ONE: TrainingClass[] = [{ index: 1, labelId: 1, name: 'organ' }]
const TWO: TrainingClass[] = [
  { index: 1, labelId: 5, name: 'head' },
  { index: 2, labelId: 9, name: 'tail' }
]

/** A DIMS map with `value` in the boxes [i0, i1) × [j0, j1) × [k0, k1). */
function paint(map: Uint8Array, value: number, [i0, i1]: [number, number], [j0, j1]: [number, number], [k0, k1]: [number, number]): Uint8Array {
  for (let k = k0; k < k1; k++) for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) map[i + DIMS[0] * (j + DIMS[1] * k)] = value
  return map
}
const blank = (): Uint8Array => new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2])
const caseOf = (predicted: Uint8Array, reference: Uint8Array): ValidationPrediction => ({ predicted, reference, dims: DIMS })

describe('choosePostprocessing (nnU-Net rule)', () => {
  it('a spurious island lowers Dice: keeping the largest component is chosen, with the Dice that justified it', () => {
    const reference = paint(blank(), 1, [1, 6], [1, 6], [1, 6])
    const predicted = paint(reference.slice(), 1, [9, 11], [9, 11], [9, 11]) // an 8-voxel island far away
    const choice = choosePostprocessing([caseOf(predicted, reference)], ONE)
    expect(choice).toMatchObject({ method: 'keep-largest-component', connectivity: 26, steps: ['foreground'], validationCases: 1 })
    // One label: only the whole-foreground step is tried (it is that label's).
    expect(choice.trials).toHaveLength(1)
    const trial = choice.trials[0]
    expect(trial).toMatchObject({ target: 'foreground', kept: true, removedVoxels: 8 })
    expect(trial?.before.perLabel[0]?.dice).toBeCloseTo((2 * 125) / (125 + 133), 10)
    expect(trial?.after.perLabel[0]?.dice).toBe(1)
  })

  it('removing a true second component lowers Dice: nothing is chosen', () => {
    // Both the reference and the prediction have two separate pieces; the prediction is slightly off.
    const reference = paint(paint(blank(), 1, [1, 6], [1, 6], [1, 6]), 1, [8, 11], [8, 11], [8, 11])
    const predicted = paint(paint(blank(), 1, [1, 6], [1, 6], [1, 7]), 1, [8, 11], [8, 11], [8, 10])
    const choice = choosePostprocessing([caseOf(predicted, reference)], ONE)
    expect(choice.steps).toEqual([])
    expect(choice.trials[0]).toMatchObject({ target: 'foreground', kept: false })
    expect(choice.trials[0]?.after.meanForegroundDice).toBeLessThan(choice.trials[0]?.before.meanForegroundDice as number)
  })

  it('a step that changes nothing is not kept (ties do not count)', () => {
    const reference = paint(blank(), 1, [1, 6], [1, 6], [1, 6])
    const choice = choosePostprocessing([caseOf(paint(blank(), 1, [1, 6], [1, 6], [2, 6]), reference)], ONE)
    expect(choice.steps).toEqual([])
    expect(choice.trials[0]).toMatchObject({ removedVoxels: 0, kept: false })
  })

  it('vetoes the whole-foreground step when one label gets worse even though the mean rises, then keeps the per-label step that helps', () => {
    // head (class 1) and tail (class 2) touch in the main blob. Far away: a spurious 27-voxel head
    // island and a true 1-voxel piece of tail. Keeping the largest foreground component removes
    // both: head gains much, tail loses a little. nnU-Net refuses it (a label got worse); the
    // head-only step then removes just the island.
    const reference = paint(paint(blank(), 1, [0, 5], [0, 5], [0, 5]), 2, [5, 7], [0, 5], [0, 5])
    paint(reference, 2, [11, 12], [11, 12], [0, 1])
    const predicted = reference.slice()
    paint(predicted, 1, [0, 3], [9, 12], [9, 12])
    const choice = choosePostprocessing([caseOf(predicted, reference)], TWO)
    const [foreground, head, tail] = choice.trials
    expect(foreground).toMatchObject({ target: 'foreground', kept: false, removedVoxels: 28 })
    expect(foreground?.after.meanForegroundDice).toBeGreaterThan(foreground?.before.meanForegroundDice as number)
    expect(foreground?.after.perLabel[1]?.dice).toBeLessThan(foreground?.before.perLabel[1]?.dice as number)
    expect(head).toMatchObject({ target: 5, kept: true, removedVoxels: 27 })
    expect(head?.after.perLabel[0]?.dice).toBe(1)
    expect(tail).toMatchObject({ target: 9, kept: false, removedVoxels: 1 })
    expect(choice.steps).toEqual([5])
    expect(describePostprocessing({ ...choice, seconds: 0 })).toMatch(/^keep the largest connected component of: head \(Dice 0\.\d{3} → 1\.000\); not of: all labels together \(mean Dice .* tail got worse\), tail \(Dice 1\.000 → 0\.\d{3}\)/)
  })

  it('decides on the mean over the cases, and each trial starts from the steps kept before it', () => {
    // Both cases: head (4³) and a smaller, separate tail (3³), so the whole-foreground step drops
    // the tail and is vetoed. Case A: a spurious head island (removing it: better). Case B: a true
    // second head piece (removing it: worse, by less).
    const base = (): Uint8Array => paint(paint(blank(), 1, [0, 4], [0, 4], [0, 4]), 2, [6, 9], [0, 3], [0, 3])
    const refA = base()
    const predA = paint(refA.slice(), 1, [9, 12], [9, 12], [9, 12])
    const refB = paint(base(), 1, [10, 12], [10, 12], [10, 12])
    const choice = choosePostprocessing([caseOf(predA, refA), caseOf(refB.slice(), refB)], TWO)
    const [foreground, head, tail] = choice.trials
    expect(foreground).toMatchObject({ target: 'foreground', kept: false })
    // Head: A 2·64/(64+91) → 1 (+0.174), B 1 → 2·64/(64+72) (−0.059): the mean rises, so it is kept.
    expect(head).toMatchObject({ target: 5, kept: true, removedVoxels: 35 })
    expect(head?.before.perLabel[0]?.dice).toBeCloseTo((128 / 155 + 1) / 2, 10)
    expect(head?.after.perLabel[0]?.dice).toBeCloseTo((1 + 128 / 136) / 2, 10)
    // The tail trial is judged against the maps the head step left.
    expect(tail).toMatchObject({ target: 9, kept: false, removedVoxels: 0 })
    expect(tail?.before).toEqual(head?.after)
    expect(choice.steps).toEqual([5])
    // With case B three times, the loss (3 × 0.059) outweighs the gain (0.174): not kept.
    const outvoted = choosePostprocessing([caseOf(predA, refA), caseOf(refB.slice(), refB), caseOf(refB.slice(), refB), caseOf(refB.slice(), refB)], TWO)
    expect(outvoted.trials[1]).toMatchObject({ target: 5, kept: false })
    expect(outvoted.steps).toEqual([])
  })

  it('chooses nothing without validation cases', () => {
    expect(choosePostprocessing([], TWO)).toEqual({ method: 'keep-largest-component', connectivity: 26, steps: [], trials: [], validationCases: 0 })
    expect(describePostprocessing({ ...choosePostprocessing([], TWO), seconds: 0 })).toBe('none (no validation cases to choose it on)')
  })
})

describe('applyPostprocessing', () => {
  const plan: Pick<PostprocessingPlan, 'steps' | 'connectivity'> = { steps: [5], connectivity: 26 }

  it('applies the recorded steps to a map of project label ids, and leaves maps alone without a plan', () => {
    const labels = paint(paint(paint(blank(), 5, [0, 3], [0, 3], [0, 3]), 9, [3, 5], [0, 3], [0, 3]), 5, [10, 12], [10, 12], [10, 12])
    const out = applyPostprocessing(labels, DIMS, plan)
    expect(out.filter((v) => v === 5)).toHaveLength(27)
    expect(out.filter((v) => v === 9)).toHaveLength(18)
    expect(applyPostprocessing(labels, DIMS, null)).toBe(labels)
    expect(applyPostprocessing(labels, DIMS, { steps: [], connectivity: 26 })).toEqual(labels)
  })

  it('maps label ids to class indices for class-index maps, and names an unknown label', () => {
    const classes = paint(paint(blank(), 1, [0, 3], [0, 3], [0, 3]), 1, [10, 12], [10, 12], [10, 12])
    expect(applyPostprocessing(classes, DIMS, plan, classIndexOf(TWO)).filter((v) => v === 1)).toHaveLength(27)
    expect(() => applyPostprocessing(classes, DIMS, { steps: [7], connectivity: 26 }, classIndexOf(TWO))).toThrow(/label 7, which the model does not predict \(its labels: 5, 9\)/)
  })
})
