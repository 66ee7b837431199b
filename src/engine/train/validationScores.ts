/**
 * Per-label scores of predictions against references (class indices on each case's own grid),
 * averaged over cases, with project label ids and names attached.
 */
import type { LabelScore, TrainingClass, ValidationScores } from '../../shared/training'
import { segmentationMetrics, type LabelMetrics } from './metrics'

export function caseScores(predicted: Uint8Array, reference: Uint8Array, classes: readonly TrainingClass[]): LabelScore[] {
  const metrics = segmentationMetrics(predicted, reference, { labels: classes.map((c) => c.index) })
  return classes.map((c, i) => scoreOf(c, metrics[i] as LabelMetrics))
}

function scoreOf(c: TrainingClass, m: LabelMetrics): LabelScore {
  return { labelId: c.labelId, name: c.name, dice: m.dice, iou: m.iou, sensitivity: m.sensitivity, specificity: m.specificity }
}

function meanOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null)
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
}

export function meanForegroundDice(perLabel: readonly LabelScore[]): number {
  return meanOf(perLabel.map((l) => l.dice)) ?? 0
}

/** Mean of each label's scores over cases (sensitivity/specificity over the cases that define them). */
export function averageScores(perCase: ReadonlyArray<readonly LabelScore[]>, classes: readonly TrainingClass[]): ValidationScores {
  const perLabel = classes.map((c, i): LabelScore => {
    const rows = perCase.map((scores) => scores[i] as LabelScore)
    return {
      labelId: c.labelId,
      name: c.name,
      dice: meanOf(rows.map((r) => r.dice)) ?? 0,
      iou: meanOf(rows.map((r) => r.iou)) ?? 0,
      sensitivity: meanOf(rows.map((r) => r.sensitivity)),
      specificity: meanOf(rows.map((r) => r.specificity))
    }
  })
  return { meanForegroundDice: meanForegroundDice(perLabel), perLabel, cases: perCase.length }
}
