/**
 * Per-label scores of predictions against references (class indices on each case's own grid),
 * averaged over cases, with project label ids and names attached.
 */
import type { LabelScore, TrainingClass, ValidationScores } from '../../shared/training'
import type { Vec3 } from '../../shared/volume'
import { segmentationMetrics, type LabelMetrics } from './metrics'
import { surfaceMetrics, type SurfaceScores } from './surfaceMetrics'

/** The case's grid, for the surface metrics (HD95, NSD, volume ratio); without it only overlap is scored. */
export interface SurfaceGrid {
  dims: Vec3
  spacingMm: Vec3
  toleranceMm: number
}

export function caseScores(predicted: Uint8Array, reference: Uint8Array, classes: readonly TrainingClass[], grid?: SurfaceGrid): LabelScore[] {
  const labels = classes.map((c) => c.index)
  const metrics = segmentationMetrics(predicted, reference, { labels })
  // Distance transforms cost far more than counting: only evaluation asks for them, not every epoch's validation.
  const surfaces = grid ? surfaceMetrics(predicted, reference, { dims: grid.dims, spacingMm: grid.spacingMm, toleranceMm: grid.toleranceMm, labels }) : null
  return classes.map((c, i) => {
    const score = scoreOf(c, metrics[i] as LabelMetrics)
    const surface = surfaces?.[i] as SurfaceScores | undefined
    return surface ? { ...score, hd95Mm: surface.hd95Mm, surfaceDice: surface.surfaceDice, volumeRatio: surface.volumeRatio } : score
  })
}

/**
 * Predicted / reference voxels (null without reference voxels). Counted at every epoch's validation
 * too, because a model stopped early over- or under-segments before its Dice shows it (#13).
 */
function volumeRatioOf(m: LabelMetrics): number | null {
  const reference = m.truePositives + m.falseNegatives
  return reference === 0 ? null : (m.truePositives + m.falsePositives) / reference
}

function scoreOf(c: TrainingClass, m: LabelMetrics): LabelScore {
  return { labelId: c.labelId, name: c.name, dice: m.dice, iou: m.iou, sensitivity: m.sensitivity, specificity: m.specificity, volumeRatio: volumeRatioOf(m) }
}

function meanOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null)
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
}

export function meanForegroundDice(perLabel: readonly LabelScore[]): number {
  return meanOf(perLabel.map((l) => l.dice)) ?? 0
}

/** Means of the surface metrics, when every case has them (evaluation). */
function surfaceMeans(rows: readonly LabelScore[]): Pick<LabelScore, 'hd95Mm' | 'surfaceDice'> {
  if (rows.length === 0 || !rows.every((r) => r.hd95Mm !== undefined && r.surfaceDice !== undefined)) return {}
  return {
    hd95Mm: meanOf(rows.map((r) => r.hd95Mm ?? null)) ?? 0,
    surfaceDice: meanOf(rows.map((r) => r.surfaceDice ?? null)) ?? 0
  }
}

/**
 * Mean of each label's scores over cases (sensitivity/specificity/volume ratio over the cases that
 * define them); `pixelAccuracies`, one per case (pixelAccuracy of metrics.ts), adds their mean.
 */
export function averageScores(perCase: ReadonlyArray<readonly LabelScore[]>, classes: readonly TrainingClass[], pixelAccuracies?: readonly number[]): ValidationScores {
  const perLabel = classes.map((c, i): LabelScore => {
    const rows = perCase.map((scores) => scores[i] as LabelScore)
    return {
      labelId: c.labelId,
      name: c.name,
      dice: meanOf(rows.map((r) => r.dice)) ?? 0,
      iou: meanOf(rows.map((r) => r.iou)) ?? 0,
      sensitivity: meanOf(rows.map((r) => r.sensitivity)),
      specificity: meanOf(rows.map((r) => r.specificity)),
      // Over the cases whose reference has the label.
      volumeRatio: meanOf(rows.map((r) => r.volumeRatio ?? null)),
      ...surfaceMeans(rows)
    }
  })
  const accuracy = pixelAccuracies && pixelAccuracies.length === perCase.length ? meanOf(pixelAccuracies) : null
  return { meanForegroundDice: meanForegroundDice(perLabel), perLabel, cases: perCase.length, ...(accuracy === null ? {} : { pixelAccuracy: accuracy }) }
}
