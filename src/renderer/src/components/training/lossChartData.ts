/**
 * The training panel's loss chart: the loss of each step, the mean training loss of each epoch and
 * the validation loss of each epoch on one step axis. uPlot wants one x array shared by every
 * series, so the steps of both kinds are merged and each series is null where it has no point
 * (the chart spans the gaps).
 */
import type { TrainingEpochEvent } from '../../../../shared/training'
import type { LossPoint } from '../../stores/useTrainingStore'

export interface ChartSeries {
  label: string
  color: string
  values: Array<number | null>
  /** Draw a dot at each value (series with one value per epoch). */
  points?: boolean
  /** Line width in CSS pixels; default 1.5. */
  width?: number
}

export interface LossChartData {
  x: number[]
  series: ChartSeries[]
}

export const LOSS_COLORS = {
  /** Light: the noisy per-step loss is background to the epoch means. */
  step: '#4fb0ff80',
  trainEpoch: '#4fb0ff',
  validation: '#f2a93b'
} as const

type EpochPoint = Pick<TrainingEpochEvent, 'step' | 'trainLoss' | 'validation'>

/**
 * `losses`: one point per reported step; `epochs`: one per finished epoch (its `step` is the steps
 * done when it ended). The validation series is left out while no epoch has a validation loss (no
 * held-out case, or an engine from before it was measured).
 */
export function lossChartData(losses: readonly LossPoint[], epochs: readonly EpochPoint[]): LossChartData {
  const x = [...new Set([...losses.map((l) => l.step), ...epochs.map((e) => e.step)])].sort((a, b) => a - b)
  const at = new Map(x.map((step, i) => [step, i]))
  const column = (points: ReadonlyArray<{ step: number; value: number | null | undefined }>): Array<number | null> => {
    const values = new Array<number | null>(x.length).fill(null)
    for (const p of points) if (p.value !== null && p.value !== undefined) values[at.get(p.step) as number] = p.value
    return values
  }
  const series: ChartSeries[] = [
    { label: 'training, per step', color: LOSS_COLORS.step, width: 1, values: column(losses.map((l) => ({ step: l.step, value: l.loss }))) },
    { label: 'training, epoch mean', color: LOSS_COLORS.trainEpoch, width: 2, points: true, values: column(epochs.map((e) => ({ step: e.step, value: e.trainLoss }))) }
  ]
  if (epochs.some((e) => e.validation?.loss !== undefined)) {
    series.push({ label: 'validation', color: LOSS_COLORS.validation, width: 2, points: true, values: column(epochs.map((e) => ({ step: e.step, value: e.validation?.loss }))) })
  }
  return { x, series }
}
