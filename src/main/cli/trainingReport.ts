/**
 * Text for `voxloop train` and `voxloop evaluate`: the progress line on stderr, one line per epoch,
 * and the final metrics tables. Pure functions of the events and results.
 */
import { AUGMENTATION_PRESET_DESCRIPTIONS, AUGMENTATION_PRESETS, augmentationTransforms, describeAugmentationTransform, type AugmentationTransform } from '../../shared/augmentation'
import { describePostprocessing } from '../../shared/postprocessing'
import { describeLoss, LEGACY_ARCHITECTURE, lossOfPlan, type EvaluationReport, type LabelScore, type TrainingEpochEvent, type TrainingPreparing, type TrainingProgress, type TrainingResult, type TrainingStarted, type ValidationScores } from '../../shared/training'

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

const fixed = (value: number | null, digits = 4): string => (value === null ? '—' : value.toFixed(digits))

export function formatPlan(started: TrainingStarted): string {
  const { plan } = started
  const model = plan.model as { depth?: number; baseFilters?: number; residualUnits?: number }
  return [
    `${started.resumed ? 'Resuming' : 'Training'} model ${started.version} on ${plan.trainingCaseIds.length} case(s), validating on ${plan.validationCaseIds.length}${plan.validationSplit === 'project' ? " (the project's fixed validation split)" : ''} (backend ${plan.backend}${(plan.workers ?? 1) > 1 ? `, ${plan.workers} workers splitting each batch` : ''})`,
    `  ${budgetText(plan)}${plan.stepsPerEpoch} steps per epoch, batch ${plan.batchSize} of ${plan.patchSize.join('×')} voxels at ${plan.targetSpacingMm.map((s) => s.toFixed(2)).join('×')} mm`,
    `  ${plan.optimizer} lr ${plan.learningRate} (${scheduleText(plan)}, ${plan.warmupSteps} warm-up steps), ${plan.architecture ?? LEGACY_ARCHITECTURE} depth ${model.depth ?? '?'} × ${model.baseFilters ?? '?'} filters, seed ${plan.seed}${plan.fromModel ? `, fine-tuned from ${plan.fromModel}` : ''}`,
    `  ${formatAugmentationLine(plan)}`,
    `  loss ${describeLoss(lossOfPlan(plan))}`,
    ...(plan.normalization ? [`  input normalisation (${plan.modality}): ${plan.normalization.reason}`] : [])
  ].join('\n')
}

/** "augmentation medium: rotate 20%: ±15° in plane; zoom 20%: ×0.85–1.25; …" (older runs: what `augment` meant). */
export function formatAugmentationLine(plan: Pick<TrainingStarted['plan'], 'augment' | 'augmentation' | 'mirrorAxes'>): string {
  const augmentation = plan.augmentation ?? { preset: plan.augment ? 'medium' : 'none', transforms: augmentationTransforms({ preset: plan.augment ? 'medium' : 'none', mirrorAxes: plan.mirrorAxes ?? [] }) }
  return `augmentation ${augmentation.preset}${augmentation.transforms.length ? `: ${transformList(augmentation.transforms)}` : ''}`
}

function transformList(transforms: readonly AugmentationTransform[]): string {
  return transforms.map(describeAugmentationTransform).join('; ')
}

/** Each preset and the transforms it expands to (without mirroring and quarter turns), for `voxloop train --help`. */
export function formatAugmentationPresets(indent: string, width = 104): string {
  const lines: string[] = []
  for (const preset of AUGMENTATION_PRESETS) {
    const transforms = augmentationTransforms({ preset })
    const items = transforms.length ? transforms.map(describeAugmentationTransform) : [AUGMENTATION_PRESET_DESCRIPTIONS[preset]]
    let line = `${indent}${preset}: `
    for (const [i, item] of items.entries()) {
      const text = i < items.length - 1 ? `${item};` : item
      if (line.length + text.length + 1 > width && line.trim().length > preset.length + 1) {
        lines.push(line.trimEnd())
        line = `${indent}  `
      }
      line += `${text} `
    }
    lines.push(line.trimEnd())
  }
  return lines.join('\n')
}

/** "poly", or "plateau: halved after 7 epochs without a better validation Dice". */
function scheduleText(plan: TrainingStarted['plan']): string {
  return plan.schedule === 'plateau' && plan.plateauPatience !== undefined ? `plateau: halved after ${plan.plateauPatience} epoch(s) without a better validation Dice` : plan.schedule
}

/** "up to 15 min (about 2,040 steps the data needs; epochs sized from the measured speed), " or "10 epochs × ". */
function budgetText(plan: TrainingStarted['plan']): string {
  const budget = plan.timeBudgetSeconds ?? null
  if (budget === null) return `${plan.epochs} epochs × `
  const target = plan.targetSteps ? `at most ${plan.targetSteps.toLocaleString('en-US')} steps, ` : ''
  return `up to ${formatDuration(budget)} (${target}epochs sized from the measured speed, first estimate ${plan.epochs}), `
}

/** One line, redrawn in place on a terminal: `epoch 2/10 [#####-----] 12/40 loss …`. */
export function formatProgressLine(progress: TrainingProgress, width = 20): string {
  const filled = Math.round((progress.stepInEpoch / Math.max(1, progress.stepsPerEpoch)) * width)
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
  const phase = progress.phase === 'training' ? '' : ` ${progress.phase}…`
  return (
    `epoch ${progress.epoch}/${progress.epochs} ${bar} ${progress.stepInEpoch}/${progress.stepsPerEpoch}${phase}` +
    `  loss ${fixed(progress.loss)}  lr ${progress.learningRate.toExponential(1)}  ${progress.patchesPerSecond.toFixed(2)} patches/s` +
    `  ETA ${formatDuration(progress.etaSeconds)}  tensors ${progress.memory.numTensors}`
  )
}

const PREPARING_STAGE = {
  fingerprint: { doing: 'Measuring cases', done: 'Measured' },
  cache: { doing: 'Preparing cases', done: 'Prepared' }
} as const

/**
 * One line per case while the run reads its cases, before its first step (which can take a
 * minute): "Preparing cases 3/26 (hippocampus_012)…" as the third case starts, then "Prepared 26
 * case(s)" once the stage is done. Counts the case being read, as the panel's bar does.
 */
export function formatPreparingLine(preparing: TrainingPreparing): string {
  const stage = PREPARING_STAGE[preparing.stage]
  if (preparing.caseId === null) return `${stage.done} ${preparing.total} case(s) (${formatDuration(preparing.elapsedSeconds)} since the start)`
  return `${stage.doing} ${Math.min(preparing.done + 1, preparing.total)}/${preparing.total} (${preparing.caseId})…`
}

/** "Anterior 0.800 ×1.12": Dice, then predicted / reference volume when recorded (over- or under-segmentation at a glance). */
function diceList(scores: ValidationScores): string {
  return scores.perLabel.map((l) => `${l.name} ${l.dice.toFixed(3)}${l.volumeRatio == null ? '' : ` ×${l.volumeRatio.toFixed(2)}`}`).join(', ')
}

export function formatEpochLine(epoch: TrainingEpochEvent): string {
  const validation = epoch.validation
    ? `${epoch.validation.loss === undefined ? '' : `val loss ${epoch.validation.loss.toFixed(4)}  `}val Dice ${epoch.validation.meanForegroundDice.toFixed(4)} (${diceList(epoch.validation)})${epoch.validation.pixelAccuracy === undefined ? '' : `  pixel acc ${epoch.validation.pixelAccuracy.toFixed(4)}`}`
    : 'no validation cases'
  return `epoch ${epoch.epoch}/${epoch.epochs}  loss ${epoch.trainLoss.toFixed(4)}  ${validation}  ${formatDuration(epoch.seconds)}${epoch.improved ? '  * best' : ''}`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  // Rows ending in empty cells (means, a case's later labels) leave no trailing blanks.
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function scoreRow(name: string, l: Pick<LabelScore, 'dice' | 'iou' | 'sensitivity' | 'specificity'>): string[] {
  return [name, fixed(l.dice), fixed(l.iou), fixed(l.sensitivity), fixed(l.specificity)]
}

export function formatScoresTable(scores: ValidationScores): string {
  const rows = scores.perLabel.map((l) => scoreRow(`${l.name} (${l.labelId})`, l))
  rows.push(['mean', fixed(scores.meanForegroundDice), '', '', ''])
  return table(['label', 'Dice', 'IoU', 'sensitivity', 'specificity'], rows) + pixelAccuracyLine(scores)
}

/** "\npixel accuracy (background included) 0.9871", or nothing for scores from before it. */
function pixelAccuracyLine(scores: ValidationScores): string {
  return scores.pixelAccuracy === undefined ? '' : `\npixel accuracy (all voxels, background included) ${scores.pixelAccuracy.toFixed(4)}`
}

export function formatTrainingResult(result: TrainingResult): string {
  const head = `Model ${result.version}: ${result.status} after ${result.epochsCompleted} epoch(s), ${result.step} steps, ${formatDuration(result.seconds)}`
  if (result.error) return `${head}\n${result.error.code}: ${result.error.message}\n`
  if (!result.best) return `${head}\n${result.bestEpoch === null ? 'No epoch completed: the version holds no model yet.' : `Best epoch ${result.bestEpoch} (no validation cases).`}\n${postprocessingLine(result)}`
  return `${head}\nValidation on held-out cases, best epoch ${result.bestEpoch}:\n${formatScoresTable(result.best)}\n${postprocessingLine(result)}`
}

/** "Post-processing: …" (what predictions will apply, and the validation Dice that decided it), or nothing. */
function postprocessingLine(result: TrainingResult): string {
  if (result.postprocessing) return `Post-processing: ${describePostprocessing(result.postprocessing)}; ${formatDuration(result.postprocessing.seconds)} to choose.\n`
  // A finished run without one was cancelled while choosing (engines before it send no field).
  if (result.postprocessing === null && (result.status === 'completed' || result.status === 'early-stopped')) return 'Post-processing: none (cancelled while choosing it).\n'
  return ''
}

/** Median of the values given (the mean of the two middle ones for an even count); null when there is none. */
export function medianOf(values: ReadonlyArray<number | null | undefined>): number | null {
  const present = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b)
  if (present.length === 0) return null
  const middle = (present.length - 1) / 2
  return ((present[Math.floor(middle)] as number) + (present[Math.ceil(middle)] as number)) / 2
}

const mm = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : value.toFixed(2))
const ratio = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : value.toFixed(3))

/**
 * `voxloop evaluate`: one row per case and label (Dice, IoU, HD95, NSD, volume ratio; the case's
 * pixel accuracy, background included, on its first row), then per label the means over the cases (and the median volume ratio, which the over-segmentation target
 * is set on). Reports from before the surface metrics show — there.
 */
export function formatEvaluation(report: EvaluationReport): string {
  const tolerance = report.surfaceToleranceMm ?? null
  const nsdHeader = tolerance === null ? 'NSD' : `NSD@${tolerance}mm`
  // Pixel accuracy is one number per case (all labels and background): on the case's first row.
  const withAccuracy = report.cases.some((c) => c.pixelAccuracy !== undefined)
  const caseRows = report.cases.flatMap((c) =>
    c.perLabel.map((l, i) => [
      c.caseId,
      l.name,
      l.dice.toFixed(4),
      l.iou.toFixed(4),
      mm(l.hd95Mm),
      fixed(l.surfaceDice ?? null),
      ratio(l.volumeRatio),
      ...(withAccuracy ? [i === 0 ? fixed(c.pixelAccuracy ?? null) : ''] : [])
    ])
  )
  const meanRows = report.mean.perLabel.map((l, i) => {
    const ratios = report.cases.map((c) => c.perLabel[i]?.volumeRatio)
    return [`${l.name} (${l.labelId})`, fixed(l.dice), fixed(l.iou), fixed(l.sensitivity), fixed(l.specificity), mm(l.hd95Mm), fixed(l.surfaceDice ?? null), ratio(l.volumeRatio), ratio(medianOf(ratios))]
  })
  meanRows.push(['mean of labels', fixed(report.mean.meanForegroundDice), '', '', '', '', '', '', ''])
  return [
    `Model ${report.version} on ${report.cases.length} case(s) (${formatDuration(report.seconds)}); distances in mm on each case's own grid${tolerance === null ? '' : `, surface Dice within ${tolerance} mm`}:`,
    table(['case', 'label', 'Dice', 'IoU', 'HD95', nsdHeader, 'vol ratio', ...(withAccuracy ? ['pixel acc'] : [])], caseRows),
    '',
    `Per label, mean over the ${report.mean.cases} case(s):`,
    table(['label', 'Dice', 'IoU', 'sensitivity', 'specificity', 'HD95', nsdHeader, 'vol ratio', 'median ratio'], meanRows) + pixelAccuracyLine(report.mean),
    ''
  ].join('\n')
}
