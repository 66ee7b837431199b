/**
 * `voxloop evaluate` text: one row per case and label with Dice, IoU, HD95, NSD and the volume
 * ratio, then per label the means and the median volume ratio; older reports without surface
 * metrics print — there rather than failing.
 */
import { describe, expect, it } from 'vitest'
import { formatAugmentationLine, formatAugmentationPresets, formatEvaluation, formatTrainingResult, medianOf } from '../../../../src/main/cli/trainingReport'
import { AUGMENTATION_PRESETS, augmentationTransforms, describeAugmentationTransform } from '../../../../src/shared/augmentation'
import type { PostprocessingPlan } from '../../../../src/shared/postprocessing'
import type { EvaluationReport, LabelScore, TrainingResult } from '../../../../src/shared/training'

const score = (labelId: number, name: string, dice: number, hd95Mm?: number, surfaceDice?: number, volumeRatio?: number | null): LabelScore => ({
  labelId,
  name,
  dice,
  iou: dice / (2 - dice),
  sensitivity: 0.9,
  specificity: 0.99,
  ...(hd95Mm === undefined ? {} : { hd95Mm, surfaceDice, volumeRatio })
})

const report: EvaluationReport = {
  version: 'v0001-20260101-000000',
  surfaceToleranceMm: 2,
  seconds: 12,
  cases: [
    { caseId: 'hippocampus_001', meanForegroundDice: 0.85, perLabel: [score(1, 'anterior', 0.9, 1.5, 0.98, 1.02), score(2, 'posterior', 0.8, 2.25, 0.9, 1.2)] },
    { caseId: 'hippocampus_002', meanForegroundDice: 0.75, perLabel: [score(1, 'anterior', 0.8, 2.5, 0.92, 0.9), score(2, 'posterior', 0.7, 3.75, 0.8, 1.4)] },
    { caseId: 'hippocampus_003', meanForegroundDice: 0.7, perLabel: [score(1, 'anterior', 0.7, 3.5, 0.9, 1.1), score(2, 'posterior', 0.7, 4, 0.7, null)] }
  ],
  mean: { meanForegroundDice: 0.7667, cases: 3, perLabel: [score(1, 'anterior', 0.8, 2.5, 0.9333, 1.0067), score(2, 'posterior', 0.7333, 3.3333, 0.8, 1.3)] }
}

describe('formatEvaluation', () => {
  it("gives each case's pixel accuracy (background included) on its first row, and the mean after the label means", () => {
    const accurate: EvaluationReport = {
      ...report,
      cases: report.cases.map((c, i) => ({ ...c, pixelAccuracy: [0.99, 0.985, 0.97][i] as number })),
      mean: { ...report.mean, pixelAccuracy: 0.98167 }
    }
    const lines = formatEvaluation(accurate).split('\n')
    expect(lines[1]).toMatch(/^case\s+label\s+Dice\s+IoU\s+HD95\s+NSD@2mm\s+vol ratio\s+pixel acc$/)
    expect(lines[3]).toMatch(/^hippocampus_001\s+anterior\s+.*\s+1\.020\s+0\.9900$/)
    expect(lines[4]).toMatch(/^hippocampus_001\s+posterior\s+.*\s+1\.200$/)
    expect(lines[5]).toMatch(/0\.9850$/)
    expect(lines).toContain('pixel accuracy (all voxels, background included) 0.9817')
    // Reports from before pixel accuracy: no column, no line.
    expect(formatEvaluation(report)).not.toMatch(/pixel acc/)
  })


  it('lists every case and label with the surface metrics, then the means and the median volume ratio per label', () => {
    const lines = formatEvaluation(report).split('\n')
    expect(lines[0]).toBe("Model v0001-20260101-000000 on 3 case(s) (12s); distances in mm on each case's own grid, surface Dice within 2 mm:")
    expect(lines[1]).toMatch(/^case\s+label\s+Dice\s+IoU\s+HD95\s+NSD@2mm\s+vol ratio$/)
    expect(lines[3]).toMatch(/^hippocampus_001\s+anterior\s+0\.9000\s+0\.8182\s+1\.50\s+0\.9800\s+1\.020$/)
    expect(lines[8]).toMatch(/^hippocampus_003\s+posterior\s+0\.7000\s+0\.5385\s+4\.00\s+0\.7000\s+—$/)
    const means = lines.slice(lines.indexOf('Per label, mean over the 3 case(s):'))
    expect(means[1]).toMatch(/^label\s+Dice\s+IoU\s+sensitivity\s+specificity\s+HD95\s+NSD@2mm\s+vol ratio\s+median ratio$/)
    // Anterior ratios 1.02, 0.9, 1.1 → median 1.02; posterior 1.2, 1.4 (one undefined) → 1.3.
    expect(means[3]).toMatch(/^anterior \(1\)\s+0\.8000\s+0\.6667\s+0\.9000\s+0\.9900\s+2\.50\s+0\.9333\s+1\.007\s+1\.020$/)
    expect(means[4]).toMatch(/^posterior \(2\)\s+0\.7333\s+.*\s+3\.33\s+0\.8000\s+1\.300\s+1\.300$/)
    expect(means[5]).toMatch(/^mean of labels\s+0\.7667/)
  })

  it('prints — for reports made before the surface metrics', () => {
    const old: EvaluationReport = {
      version: 'v1',
      seconds: 1,
      cases: [{ caseId: 'c1', meanForegroundDice: 0.5, perLabel: [score(1, 'a', 0.5)] }],
      mean: { meanForegroundDice: 0.5, cases: 1, perLabel: [score(1, 'a', 0.5)] }
    }
    const text = formatEvaluation(old)
    expect(text).toMatch(/^c1\s+a\s+0\.5000\s+0\.3333\s+—\s+—\s+—$/m)
    expect(text).toMatch(/\bNSD\b/)
  })
})

describe('medianOf', () => {
  it('takes the middle value, or the mean of the two middle ones, skipping missing values', () => {
    expect(medianOf([3, 1, 2])).toBe(2)
    expect(medianOf([4, null, 1, 3, undefined, 2])).toBe(2.5)
    expect(medianOf([null])).toBeNull()
  })
})

describe('formatTrainingResult: the post-processing line', () => {
  const best = { meanForegroundDice: 0.8, cases: 2, perLabel: [score(1, 'anterior', 0.8)] }
  const result: TrainingResult = { runId: 'r', version: 'v0002-20260101-000000', status: 'completed', epochsCompleted: 3, step: 30, bestEpoch: 3, best, last: best, history: [], seconds: 95, error: null }
  const chosen: PostprocessingPlan = {
    method: 'keep-largest-component',
    connectivity: 26,
    steps: ['foreground'],
    trials: [{ target: 'foreground', before: { meanForegroundDice: 0.8, perLabel: [{ labelId: 1, name: 'anterior', dice: 0.8 }] }, after: { meanForegroundDice: 0.85, perLabel: [{ labelId: 1, name: 'anterior', dice: 0.85 }] }, removedVoxels: 12, kept: true }],
    validationCases: 2,
    seconds: 4
  }

  it('says what predictions will apply and the validation Dice that decided it', () => {
    expect(formatTrainingResult({ ...result, postprocessing: chosen }).trimEnd().split('\n').at(-1)).toBe(
      'Post-processing: keep the largest connected component of: all labels together (mean Dice 0.800 → 0.850) (on 2 validation case(s) predicted as Predict does, with the tile-grid passes); 4s to choose.'
    )
  })

  it('says none was chosen when a finished run was cancelled while choosing, and nothing for older engines or unfinished runs', () => {
    expect(formatTrainingResult({ ...result, postprocessing: null })).toMatch(/\nPost-processing: none \(cancelled while choosing it\)\.\n$/)
    expect(formatTrainingResult(result)).not.toMatch(/Post-processing/)
    expect(formatTrainingResult({ ...result, status: 'cancelled', postprocessing: null })).not.toMatch(/Post-processing/)
  })
})

describe('augmentation in the training report and --help', () => {
  it('names the preset and every transform it applied, mirroring included', () => {
    const plan = { augment: true, mirrorAxes: [2], augmentation: { preset: 'heavy' as const, quarterTurns: false, transforms: augmentationTransforms({ preset: 'heavy', mirrorAxes: [2] }) } }
    const line = formatAugmentationLine(plan)
    expect(line.startsWith('augmentation heavy: rotate 30%: ±30° in plane; zoom 30%: ×0.7–1.4; shift 20%')).toBe(true)
    expect(line).toContain('elastic 20%: α 0–2 voxels on a 10-voxel grid')
    expect(line).toContain('mirror 50% per axis: w')
    expect(line).toContain('intensityShift 20%: -0.2 to 0.2')
    expect(line.endsWith('dropout 20%: 1–4 boxes of 5–20% per edge, set to the mean (image only)')).toBe(true)
  })

  it('gives a run from before presets what augment meant then', () => {
    expect(formatAugmentationLine({ augment: false, mirrorAxes: [] })).toBe('augmentation none')
    expect(formatAugmentationLine({ augment: true, mirrorAxes: [] })).toBe(formatAugmentationLine({ augment: true, mirrorAxes: [], augmentation: { preset: 'medium', quarterTurns: false, transforms: augmentationTransforms({ preset: 'medium' }) } }))
  })

  it('lists every preset with its transforms for --help, wrapped under the width', () => {
    const text = formatAugmentationPresets('    ', 90)
    for (const preset of AUGMENTATION_PRESETS) expect(text).toMatch(new RegExp(`^    ${preset}: `, 'm'))
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(90)
    for (const t of augmentationTransforms({ preset: 'heavy' })) expect(text.replace(/\n\s+/g, ' ')).toContain(describeAugmentationTransform(t))
  })
})
