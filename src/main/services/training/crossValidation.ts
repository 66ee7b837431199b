/**
 * k-fold cross-validation of the default training path (`voxloop crossval`, and the fold logic of
 * the training-quality bench): the curated cases outside the project's test split are dealt into k
 * folds; each fold's model is trained with the same call as the Train button on the other folds
 * (`TrainingService.start({ caseIds, minutes? })`: the default plan and budget, its own seeded
 * internal validation split for the best epoch) and scored on the fold it never saw
 * (`TrainingService.evaluate`). Reported per fold and as mean ± sd over folds, per label: Dice,
 * HD95 and the volume ratio (NSD too).
 *
 * Fold models are written to `<project>/crossval/<run>/models/`, not models/: the app lists and
 * predicts with models/ only (the active model, else the newest usable one there), so a model
 * trained on 80 % of the cases is never taken for the project's model. Their audit entries say
 * `crossval:<run>:fold-<n>/<k>:<status>`, and `<run>/report.json` keeps the report.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import { createRandom } from '../../../shared/random'
import { DEEP_SUPERVISION_ARCHITECTURES, DEFAULT_ARCHITECTURE, TrainingOptionsSchema, type ArchitectureName, type EvaluationReport, type TrainingOptions, type TrainingResult, type TrainingStarted } from '../../../shared/training'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import type { ProjectStore } from '../project/ProjectStore'
import { curatedCases, type ModelsTarget, type TrainingService } from './TrainingService'

/** Fold seed when none is given (the training-quality bench's, so its folds are these). */
export const DEFAULT_FOLD_SEED = 20_261_205
/** The project folder that holds cross-validation runs. */
export const CROSSVAL_DIR = 'crossval'

/** The ids sorted, shuffled (Fisher–Yates, fixed seed) and dealt round-robin into `k` folds, each sorted. */
export function assignFolds(ids: readonly string[], k: number, seed: number): string[][] {
  if (!Number.isInteger(k) || k < 2) throw new VoxloopError('INVALID_ARGUMENT', `cross-validation needs at least 2 folds, got ${k}`)
  const shuffled = [...new Set(ids)].sort()
  if (shuffled.length < k) throw new VoxloopError('INVALID_ARGUMENT', `${k} folds need at least ${k} cases, got ${shuffled.length}`)
  const random = createRandom(seed)
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    const swap = shuffled[i] as string
    shuffled[i] = shuffled[j] as string
    shuffled[j] = swap
  }
  const folds: string[][] = Array.from({ length: k }, () => [])
  shuffled.forEach((id, n) => (folds[n % k] as string[]).push(id))
  return folds.map((fold) => fold.sort())
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length
}

/** Sample standard deviation (n − 1); NaN for fewer than two values. */
export function sd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN
  const m = mean(values)
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1))
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = (sorted.length - 1) / 2
  return ((sorted[Math.floor(middle)] as number) + (sorted[Math.ceil(middle)] as number)) / 2
}

/** One label on one fold's held-out cases. */
export interface FoldLabelScores {
  labelId: number
  name: string
  /** Mean over the held-out cases. */
  dice: number
  iou: number
  hd95Mm: number
  surfaceDice: number
  /** Median over the held-out cases whose reference has the label (NaN when none has it). */
  volumeRatioMedian: number
  dices: number[]
  volumeRatios: number[]
}

/** A label's scores over a report's cases (the per-case rows, not the report's means). */
export function foldLabelScores(report: EvaluationReport, labelId: number): FoldLabelScores {
  const rows = report.cases.flatMap((c) => c.perLabel.filter((l) => l.labelId === labelId))
  const volumeRatios = rows.flatMap((r) => (typeof r.volumeRatio === 'number' ? [r.volumeRatio] : []))
  const dices = rows.map((r) => r.dice)
  return {
    labelId,
    name: report.mean.perLabel.find((l) => l.labelId === labelId)?.name ?? rows[0]?.name ?? String(labelId),
    dice: mean(dices),
    iou: mean(rows.map((r) => r.iou)),
    hd95Mm: mean(rows.map((r) => r.hd95Mm ?? Number.NaN)),
    surfaceDice: mean(rows.map((r) => r.surfaceDice ?? Number.NaN)),
    volumeRatioMedian: median(volumeRatios),
    dices,
    volumeRatios
  }
}

/** The training service calls a fold makes (the bench passes the app's service, a test a real one too). */
export type FoldTraining = Pick<TrainingService, 'start' | 'whenFinished' | 'getStatus' | 'evaluate'>

export interface FoldRun {
  started: TrainingStarted
  result: TrainingResult
  report: EvaluationReport
  /** From start() to the run's end, seconds. */
  wallSeconds: number
}

export interface FoldSpec {
  trainIds: readonly string[]
  heldOut: readonly string[]
  /** `minutes` for the run (a budget without the step target); null: the default budget. */
  minutes: number | null
  /** Other training options (e.g. `model.architecture` to compare networks); default none: the Train button's call. */
  options?: Omit<TrainingOptions, 'caseIds' | 'minutes'>
  /** Where the fold's version goes; default the project's models/ (the bench's throw-away projects). */
  target?: ModelsTarget
  onStarted?: (started: TrainingStarted) => void
}

/**
 * One fold: the Train button's call on the training folds, then the version's best model scored on
 * the held-out fold. A failed run is an error; a cancelled one is CANCELLED.
 */
export async function trainAndEvaluateFold(training: FoldTraining, spec: FoldSpec): Promise<FoldRun> {
  const options = TrainingOptionsSchema.parse({ ...spec.options, caseIds: [...spec.trainIds], ...(spec.minutes !== null ? { minutes: spec.minutes } : {}) })
  const startedAt = performance.now()
  const started = await training.start(options, spec.target)
  spec.onStarted?.(started)
  // A run can end before this line runs (a tiny one); its result is then the service's last one.
  const ended = training.getStatus().lastResult
  const result = await (training.whenFinished() ??
    (ended?.runId === started.runId ? Promise.resolve(ended) : Promise.reject(new VoxloopError('INTERNAL', 'the run ended before it could be followed'))))
  const wallSeconds = (performance.now() - startedAt) / 1000
  if (result.status === 'failed') throw new VoxloopError('INTERNAL', `training failed: ${result.error?.code ?? ''}: ${result.error?.message ?? 'no reason given'}`)
  if (result.status === 'cancelled') throw new VoxloopError('CANCELLED', `the run (${result.version}) was cancelled`)
  if (result.bestEpoch === null) throw new VoxloopError('INTERNAL', `the run (${result.version}) ended ${result.status} without a model to score`)
  const report = await training.evaluate(result.version, [...spec.heldOut], spec.target?.modelsDir)
  return { started, result, report, wallSeconds }
}

// ---- voxloop crossval ------------------------------------------------------------------------

export interface MeanSd {
  mean: number
  sd: number
}

export interface CrossValidationFold {
  fold: number
  heldOut: string[]
  trainingCaseIds: string[]
  internalValidationCaseIds: string[]
  version: string
  status: TrainingResult['status']
  epochs: number
  steps: number
  minutes: number
  perLabel: Array<Omit<FoldLabelScores, 'dices' | 'volumeRatios'>>
}

export interface CrossValidationReport {
  /** The run's folder name under crossval/. */
  run: string
  /** Relative to the project folder: where the fold models and report.json are. */
  folder: string
  folds: number
  seed: number
  /** null: the default budget. */
  minutes: number | null
  /** The network every fold trained (the default unless the command named one), and whether with deep supervision. */
  architecture: ArchitectureName
  deepSupervision: boolean
  /** Curated cases in the test split, left out of every fold. */
  testCases: string[]
  perFold: CrossValidationFold[]
  /** Per label, over folds: the fold means of Dice, IoU and HD95, the fold medians of the volume ratio, NSD. */
  summary: Array<{ labelId: number; name: string; dice: MeanSd; iou: MeanSd; hd95Mm: MeanSd; volumeRatio: MeanSd; surfaceDice: MeanSd }>
  minutesPerFold: MeanSd
}

export interface CrossValidationOptions {
  folds: number
  minutes?: number
  seed?: number
  /** Training options for every fold besides the cases and minutes (e.g. an architecture); default none. */
  training?: Omit<TrainingOptions, 'caseIds' | 'minutes'>
  /** Clock for the run's folder name. */
  now?: () => Date
  onFoldStarted?: (fold: number, folds: number, started: TrainingStarted) => void
  onFoldFinished?: (fold: CrossValidationFold) => void
}

/**
 * The cases crossval folds: curated, outside the test split. Splits are assigned first (as a
 * default training run does), so the test cases stay out of cross-validation as they stay out of
 * training, and the next default run finds the same splits.
 */
export async function crossValidationPool(store: ProjectStore): Promise<{ pool: string[]; test: string[] }> {
  const curated = curatedCases(store.listCases()).map((c) => c.id)
  if (curated.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no curated cases to cross-validate on: mark labelled cases "done" first')
  const splits = await store.assignSplits(curated, 'crossval')
  return { pool: curated.filter((id) => splits.get(id) !== 'test'), test: curated.filter((id) => splits.get(id) === 'test') }
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

/** `crossval/cv-YYYYMMDD-HHMMSS[-n]` (UTC), created here so two runs never share one. */
async function createRunFolder(store: ProjectStore, now: Date): Promise<{ run: string; dir: string }> {
  const stamp = `${pad(now.getUTCFullYear(), 4)}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`
  const root = await store.paths.confine(store.paths.resolveRelative(CROSSVAL_DIR))
  await mkdir(root, { recursive: true })
  for (let n = 1; n < 1000; n++) {
    const run = n === 1 ? `cv-${stamp}` : `cv-${stamp}-${n}`
    const dir = await store.paths.confine(store.paths.resolveRelative(path.join(CROSSVAL_DIR, run)))
    try {
      await mkdir(dir)
      return { run, dir }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  throw new VoxloopError('ALREADY_EXISTS', `no free cross-validation folder name for ${stamp}`)
}

const meanSd = (values: readonly number[]): MeanSd => ({ mean: mean(values), sd: sd(values) })

/** Per-label mean ± sd over the folds (labels in id order, as the folds scored them). */
export function summarizeFolds(perFold: readonly CrossValidationFold[]): Pick<CrossValidationReport, 'summary' | 'minutesPerFold'> {
  const labels = new Map<number, string>()
  for (const fold of perFold) for (const label of fold.perLabel) labels.set(label.labelId, label.name)
  const summary = [...labels]
    .sort((a, b) => a[0] - b[0])
    .map(([labelId, name]) => {
      const rows = perFold.flatMap((fold) => fold.perLabel.filter((l) => l.labelId === labelId))
      return {
        labelId,
        name,
        dice: meanSd(rows.map((r) => r.dice)),
        iou: meanSd(rows.map((r) => r.iou)),
        hd95Mm: meanSd(rows.map((r) => r.hd95Mm)),
        volumeRatio: meanSd(rows.map((r) => r.volumeRatioMedian).filter(Number.isFinite)),
        surfaceDice: meanSd(rows.map((r) => r.surfaceDice))
      }
    })
  return { summary, minutesPerFold: meanSd(perFold.map((f) => f.minutes)) }
}

/**
 * `voxloop crossval`: k folds over the curated non-test cases of the open project, one after the
 * other (one training run at a time), each written to the run's own models folder.
 */
export async function runCrossValidation(training: FoldTraining, store: ProjectStore, options: CrossValidationOptions): Promise<CrossValidationReport> {
  store.requireWritable()
  const seed = options.seed ?? DEFAULT_FOLD_SEED
  const { pool, test } = await crossValidationPool(store)
  if (pool.length < options.folds) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `${options.folds} folds need at least ${options.folds} curated cases outside the test split; the project has ${pool.length}${test.length > 0 ? ` (and ${test.length} test case(s), never used)` : ''}`
    )
  }
  const folds = assignFolds(pool, options.folds, seed)
  const { run, dir } = await createRunFolder(store, (options.now ?? (() => new Date()))())
  const modelsDir = path.join(dir, 'models')
  const perFold: CrossValidationFold[] = []
  // The network the first fold's plan built: the default depends on the data (2D images get the 2D U-Net).
  let planned: TrainingStarted['plan'] | null = null
  for (let n = 0; n < folds.length; n++) {
    const heldOut = folds[n] as string[]
    const trainIds = pool.filter((id) => !heldOut.includes(id))
    const { started, result, report } = await trainAndEvaluateFold(training, {
      trainIds,
      heldOut,
      minutes: options.minutes ?? null,
      ...(options.training ? { options: options.training } : {}),
      target: { modelsDir, actor: `crossval:${run}:fold-${n + 1}/${folds.length}` },
      onStarted: (s) => options.onFoldStarted?.(n + 1, folds.length, s)
    })
    planned ??= started.plan
    const labelIds = report.mean.perLabel.map((l) => l.labelId)
    const fold: CrossValidationFold = {
      fold: n + 1,
      heldOut,
      trainingCaseIds: started.plan.trainingCaseIds,
      internalValidationCaseIds: started.plan.validationCaseIds,
      version: result.version,
      status: result.status,
      epochs: result.epochsCompleted,
      steps: result.step,
      minutes: result.seconds / 60,
      perLabel: labelIds.map((labelId) => {
        const { dices: _dices, volumeRatios: _ratios, ...scores } = foldLabelScores(report, labelId)
        return scores
      })
    }
    perFold.push(fold)
    options.onFoldFinished?.(fold)
  }
  const report: CrossValidationReport = {
    run,
    folder: path.posix.join(CROSSVAL_DIR, run),
    folds: folds.length,
    seed,
    minutes: options.minutes ?? null,
    architecture: planned?.architecture ?? options.training?.model?.architecture ?? DEFAULT_ARCHITECTURE,
    // As the registry resolved it: on by default where the network has it (the plain U-Nets, U-Net++), the residual U-Nets have none.
    deepSupervision: planned
      ? planned.model.deepSupervision === true
      : DEEP_SUPERVISION_ARCHITECTURES.includes(options.training?.model?.architecture ?? DEFAULT_ARCHITECTURE) && options.training?.model?.deepSupervision !== false,
    testCases: test,
    perFold,
    ...summarizeFolds(perFold)
  }
  await writeFileAtomic(path.join(dir, 'report.json'), `${JSON.stringify(report, jsonNumbers, 1)}\n`)
  return report
}

/** NaN (a label no held-out case has) cannot be JSON: written as null. */
export function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}

const fmt = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const pm = (value: MeanSd, digits: number): string => `${fmt(value.mean, digits)} ± ${fmt(value.sd, digits)}`

/** The plain-text report: one block per fold, then mean ± sd over folds per label. */
export function formatCrossValidation(report: CrossValidationReport): string {
  const lines: string[] = []
  lines.push(
    `${report.folds}-fold cross-validation of ${report.architecture}${report.deepSupervision ? ' with deep supervision' : ''} (fold seed ${report.seed}, ${report.minutes === null ? 'default budget' : `${report.minutes} min per fold`}) on ${report.perFold.reduce((n, f) => n + f.heldOut.length, 0)} curated cases; ${report.testCases.length} test case(s) left out`
  )
  lines.push(`fold models and report.json: ${report.folder}/ (not the project's models)`)
  lines.push('')
  lines.push('fold  label                 Dice    IoU     HD95 mm   vol ratio  NSD     cases  model')
  for (const fold of report.perFold) {
    for (const label of [...fold.perLabel].sort((a, b) => a.labelId - b.labelId)) {
      lines.push(
        `${String(fold.fold).padEnd(6)}${label.name.slice(0, 20).padEnd(22)}${fmt(label.dice, 3).padEnd(8)}${fmt(label.iou, 3).padEnd(8)}${fmt(label.hd95Mm, 2).padEnd(10)}${fmt(label.volumeRatioMedian, 3).padEnd(11)}${fmt(label.surfaceDice, 3).padEnd(8)}${String(fold.heldOut.length).padEnd(7)}${fold.version} (${fold.status}, ${fold.epochs} ep, ${fmt(fold.minutes, 1)} min)`
      )
    }
  }
  lines.push('')
  lines.push(`mean ± sd over ${report.perFold.length} folds`)
  lines.push('label                 Dice            IoU             HD95 mm          vol ratio (median)  NSD')
  for (const s of report.summary) {
    lines.push(`${s.name.slice(0, 20).padEnd(22)}${pm(s.dice, 3).padEnd(16)}${pm(s.iou, 3).padEnd(16)}${pm(s.hd95Mm, 2).padEnd(17)}${pm(s.volumeRatio, 3).padEnd(20)}${pm(s.surfaceDice, 3)}`)
  }
  lines.push(`minutes per fold: ${pm(report.minutesPerFold, 1)}`)
  return `${lines.join('\n')}\n`
}
