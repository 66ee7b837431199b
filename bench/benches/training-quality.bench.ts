/**
 * Quality of the model a user gets, by k-fold cross-validation of exactly the user's default path on
 * the 41 labelled hippocampus cases of shared/data (MSD Task04 subset; labels 1 = anterior,
 * 2 = posterior).
 *
 * For each fold: a fresh project in a temporary folder, the cases imported as `voxloop import` does
 * (ProjectStore.create + importDataset: labelled cases come in 'done'), a VoxloopApp as the CLI and
 * serve mode build it (fresh settings, so the compute backend is the default 'auto'; the engine is a
 * forked process running the engine's TypeScript source under tsx, so the code measured is the
 * working tree's), then the SAME service call as the Train button and `voxloop train`:
 * `app.training.start({ caseIds: <the other folds> })` with no other option, i.e. the default time
 * budget (60 steps per training case, at most DEFAULT_TRAINING_MINUTES), the default plan and the
 * default internal validation split (taken from the training folds; it picks the best epoch). When
 * the run ends, `app.training.evaluate(version, <held-out fold>)` scores the version's model on the
 * fold it never saw: per case and label Dice, HD95 (mm), normalised surface Dice (2 mm) and the
 * volume ratio. The fold logic (folds, one fold's train-and-score, the statistics) is shared with
 * `voxloop crossval`: src/main/services/training/crossValidation.ts.
 *
 * Folds: the 41 case ids sorted, shuffled with a fixed seed, dealt round-robin into 5 folds (9, 8, 8,
 * 8, 8 cases). Reported per fold and as mean ± sd over folds per label: Dice, HD95, NSD, the median
 * volume ratio, and the minutes each fold's run used.
 *
 * Knobs (each reported as such; the target measurement uses neither):
 * - VOXLOOP_BENCH_FOLDS=1..5 runs only the first N folds (a quick look);
 * - VOXLOOP_BENCH_MINUTES=N passes `minutes: N` (a budget without the step target; a smoke run);
 * - VOXLOOP_BENCH_OPTIONS='{"model":{"architecture":"plain-unet"}}' adds training options (JSON,
 *   checked by TrainingOptionsSchema) to compare choices on the same path; reported as an override;
 * - VOXLOOP_BENCH_ALSO_LAST=1 also scores each run's last checkpoint on the same held-out fold when
 *   it is not the best one (the version's model): best-by-validation against the final, annealed
 *   weights, paired on one run. Printed only; the report's rows stay the version's model;
 * - VOXLOOP_BENCH_KEEP_MODELS=<folder> copies each fold's version folder (the checkpoints, run.json
 *   with its plan) to <folder>/fold-<n>/, with the fold's held-out ids in held-out.json, before the
 *   throw-away project is removed: other prediction settings can then be scored on the same
 *   trained models (`voxloop predict <image> --model <folder>/fold-<n>/<version>`);
 * - VOXLOOP_BENCH_SCORE_KEPT=<folder> trains nothing: a copy of each kept fold's model (above) gets
 *   its post-processing chosen again as the end of its run now would (choosePostprocessingForRun on
 *   its own internal validation cases, in this process), then is scored on its held-out fold by the
 *   same `TrainingService.evaluate` call, all with the working tree's code. Paired with the run that
 *   kept them, this measures a prediction change on the same trained weights. Reported, never judged.
 * The full run takes about 5 × 15 minutes on 2 cores.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { VoxloopApp } from '../../src/main/app/VoxloopApp'
import { writeFileAtomic } from '../../src/node/storage/durableWrite'
import {
  assignFolds,
  DEFAULT_FOLD_SEED,
  foldLabelScores,
  mean,
  median,
  sd,
  trainAndEvaluateFold,
  type FoldLabelScores
} from '../../src/main/services/training/crossValidation'
import { DEFAULT_TRAINING_MINUTES, LEGACY_ARCHITECTURE, type EvaluationReport, type TrainingResult, type TrainingStarted } from '../../src/shared/training'
import { HIPPOCAMPUS_DIR, listHippocampusCases, loadAverage } from '../benchCommon'
import { envCount, envMinutes, envOptions, fmt, importCuratedProject, keepFoldModel, keptModelsReport, openBenchApp, SCORE_KEPT_DIR, scoreKeptFolds } from '../crossValidationBench'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

const FOLD_COUNT = 5
const SEED = DEFAULT_FOLD_SEED
const DICE_TARGET = 0.88
const RATIO_RANGE: [number, number] = [0.95, 1.05]
const LABELS = [
  { id: 1, name: 'anterior' },
  { id: 2, name: 'posterior' }
] as const

const FOLDS_RUN = envCount('VOXLOOP_BENCH_FOLDS', 1, FOLD_COUNT) ?? FOLD_COUNT
const MINUTES = envMinutes()

const EXTRA_OPTIONS = envOptions()

type LabelFold = FoldLabelScores

interface FoldResult {
  fold: number
  heldOut: string[]
  started: TrainingStarted
  result: TrainingResult
  report: EvaluationReport
  /** Wall time from training:start to training:finished. */
  wallSeconds: number
  labels: Map<number, LabelFold>
  loadAfter: string
}

const labelFold = (report: EvaluationReport, labelId: number): LabelFold => foldLabelScores(report, labelId)

const ALSO_LAST = process.env.VOXLOOP_BENCH_ALSO_LAST === '1'
/**
 * VOXLOOP_BENCH_ALSO_LAST: the run's last checkpoint scored like its best. The throw-away project's
 * run.json is pointed at the last checkpoint (its model and best epoch), so that evaluate, which
 * scores a version's model, scores that one; the post-processing chosen for the best stays.
 */
async function scoreLastCheckpoint(app: VoxloopApp, versionDir: string, version: string, heldOut: readonly string[], fold: number): Promise<void> {
  const runPath = path.join(versionDir, 'run.json')
  const record = JSON.parse(await readFile(runPath, 'utf8')) as { checkpoints: { best: string | null; last: string | null }; bestEpoch: number | null; history: { epoch: number }[] }
  const lastEpoch = record.history.at(-1)?.epoch ?? null
  if (!record.checkpoints.last || record.checkpoints.last === record.checkpoints.best) {
    console.log(`  fold ${fold + 1}: the last checkpoint (epoch ${lastEpoch}) is the best one`)
    return
  }
  const bestEpoch = record.bestEpoch
  await writeFileAtomic(runPath, JSON.stringify({ ...record, checkpoints: { ...record.checkpoints, best: record.checkpoints.last }, bestEpoch: lastEpoch }))
  const report = await app.training.evaluate(version, [...heldOut])
  console.log(
    `  fold ${fold + 1}: last checkpoint (epoch ${lastEpoch}; the best was epoch ${bestEpoch}) on the held-out fold: ` +
      LABELS.map((l) => {
        const s = labelFold(report, l.id)
        return `${l.name} Dice ${fmt(s.dice, 3)} vol ratio median ${fmt(s.volumeRatioMedian, 3)}`
      }).join('; ')
  )
}

async function runFold(fold: number, folds: string[][], allIds: readonly string[]): Promise<FoldResult> {
  const heldOut = folds[fold] as string[]
  const training = allIds.filter((id) => !heldOut.includes(id))
  const dir = await mkdtemp(path.join(os.tmpdir(), `voxloop-bench-cv${fold + 1}-`))
  let app: VoxloopApp | null = null
  try {
    const curated = await importCuratedProject(path.join(dir, 'project'), HIPPOCAMPUS_DIR)
    const missing = allIds.filter((id) => !curated.includes(id))
    if (missing.length > 0 || curated.length !== allIds.length) throw new Error(`the import curated ${curated.length} cases, expected the ${allIds.length} of the dataset (missing: ${missing.join(', ')})`)
    app = await openBenchApp(dir, path.join(dir, 'project'), `fold ${fold + 1}`)

    // What the Train button sends for a new project (no active model to fine-tune): nothing but the cases.
    const { started, result, report, wallSeconds } = await trainAndEvaluateFold(app.training, {
      trainIds: training,
      heldOut,
      minutes: MINUTES,
      ...(EXTRA_OPTIONS ? { options: EXTRA_OPTIONS } : {}),
      onStarted: ({ plan }) =>
        console.log(
          `  fold ${fold + 1}/${FOLD_COUNT}: ${plan.trainingCaseIds.length} training + ${plan.validationCaseIds.length} internal validation cases, ${heldOut.length} held out; budget ${fmt((plan.timeBudgetSeconds ?? Number.NaN) / 60, 1)} min, target ${plan.targetSteps ?? 'none'} steps, backend ${plan.backend}, ${plan.workers ?? 1} worker(s)`
        )
    }).catch((error: unknown) => {
      throw new Error(`fold ${fold + 1}: ${(error as Error).message}`)
    })
    const labels = new Map(LABELS.map((l) => [l.id, labelFold(report, l.id)]))
    // Kept before the last-checkpoint scoring, which points the throw-away run.json at the last checkpoint.
    await keepFoldModel(path.join(dir, 'project', 'models', result.version), result.version, heldOut, fold)
    if (ALSO_LAST) await scoreLastCheckpoint(app, path.join(dir, 'project', 'models', result.version), result.version, heldOut, fold)
    console.log(
      `  fold ${fold + 1}: ${result.status} after ${result.epochsCompleted} epoch(s), ${result.step} steps, ${fmt(result.seconds / 60, 2)} min; held-out ` +
        LABELS.map((l) => {
          const s = labels.get(l.id) as LabelFold
          return `${l.name} Dice ${fmt(s.dice, 3)} HD95 ${fmt(s.hd95Mm, 2)} mm NSD ${fmt(s.surfaceDice, 3)} vol ratio median ${fmt(s.volumeRatioMedian, 3)}`
        }).join('; ')
    )
    return { fold, heldOut, started, result, report, wallSeconds, labels, loadAfter: loadAverage() }
  } finally {
    await app?.dispose()
    await rm(dir, { recursive: true, force: true })
  }
}

/** VOXLOOP_BENCH_SCORE_KEPT: the kept folds' models scored again, nothing trained. */
async function scoreKept(folder: string): Promise<BenchReport> {
  const loadAtStart = loadAverage()
  const rows: BenchRow[] = []
  const perLabel = new Map<number, number[]>(LABELS.map((l) => [l.id, []]))
  const ratios = new Map<number, number[]>(LABELS.map((l) => [l.id, []]))
  const scored = await scoreKeptFolds(folder, HIPPOCAMPUS_DIR)
  for (const kept of scored.folds) {
    const report = kept.report
    for (const label of LABELS) {
      const s = labelFold(report, label.id)
      perLabel.get(label.id)?.push(s.dice)
      ratios.get(label.id)?.push(...s.volumeRatios)
      rows.push(
        { name: `fold ${kept.fold}: ${label.name} Dice`, value: s.dice, unit: 'Dice', note: `kept model ${kept.version}, ${s.dices.length} held-out cases, min ${fmt(Math.min(...s.dices), 3)}` },
        { name: `fold ${kept.fold}: ${label.name} HD95`, value: s.hd95Mm, unit: 'mm' },
        { name: `fold ${kept.fold}: ${label.name} volume ratio, median`, value: s.volumeRatioMedian, unit: 'ratio' }
      )
    }
    rows.push({ name: `fold ${kept.fold}: seconds to predict and score`, value: report.seconds, unit: 's', note: `${kept.heldOut.length} cases` })
    console.log(`  fold-${kept.fold}: ${LABELS.map((l) => `${l.name} Dice ${fmt(labelFold(report, l.id).dice, 3)}`).join('; ')}; ${fmt(report.seconds, 1)} s`)
  }
  for (const label of LABELS) {
    const dice = perLabel.get(label.id) as number[]
    rows.push(
      { name: `${label.name} Dice, mean ± sd over ${dice.length} kept fold(s)`, value: mean(dice), unit: 'Dice', note: `± ${fmt(sd(dice), 3)}` },
      { name: `${label.name} volume ratio, median of all held-out cases`, value: median(ratios.get(label.id) as number[]), unit: 'ratio' }
    )
  }
  return keptModelsReport('training-quality', folder, scored, rows, loadAtStart)
}

async function run(): Promise<BenchReport> {
  if (SCORE_KEPT_DIR) return scoreKept(SCORE_KEPT_DIR)
  const ids = (await listHippocampusCases()).map((c) => c.id).sort()
  const folds = assignFolds(ids, FOLD_COUNT, SEED)
  const loadAtStart = loadAverage()
  const partial = FOLDS_RUN < FOLD_COUNT
  const budgetMinutes = MINUTES ?? DEFAULT_TRAINING_MINUTES
  console.log(
    `  ${FOLD_COUNT}-fold cross-validation on ${ids.length} cases (seed ${SEED}); running ${FOLDS_RUN} fold(s); ${MINUTES === null ? 'default budget' : `minutes: ${MINUTES} (override)`}; ${EXTRA_OPTIONS ? `options ${JSON.stringify(EXTRA_OPTIONS)} (override)` : 'no other options'}; load ${loadAtStart}`
  )

  const results: FoldResult[] = []
  for (let fold = 0; fold < FOLDS_RUN; fold++) results.push(await runFold(fold, folds, ids))

  const rows: BenchRow[] = []
  for (const r of results) {
    const n = r.fold + 1
    for (const label of LABELS) {
      const s = r.labels.get(label.id) as LabelFold
      rows.push(
        { name: `fold ${n}: ${label.name} Dice`, value: s.dice, unit: 'Dice', note: `mean of ${s.dices.length} held-out cases, min ${fmt(Math.min(...s.dices), 3)}` },
        { name: `fold ${n}: ${label.name} HD95`, value: s.hd95Mm, unit: 'mm', note: 'mean over the held-out cases' },
        { name: `fold ${n}: ${label.name} NSD @ ${r.report.surfaceToleranceMm ?? 2} mm`, value: s.surfaceDice, unit: 'NSD' },
        { name: `fold ${n}: ${label.name} volume ratio, median`, value: s.volumeRatioMedian, unit: 'ratio', note: `range ${fmt(Math.min(...s.volumeRatios), 3)}–${fmt(Math.max(...s.volumeRatios), 3)}` }
      )
    }
    rows.push({
      name: `fold ${n}: minutes used`,
      value: r.result.seconds / 60,
      unit: 'min',
      note: `${r.result.status}, ${r.result.epochsCompleted} epochs, ${r.result.step} steps (target ${r.started.plan.targetSteps ?? 'none'}), budget ${fmt((r.started.plan.timeBudgetSeconds ?? Number.NaN) / 60, 1)} min; start→finished ${fmt(r.wallSeconds / 60, 2)} min; load after ${r.loadAfter}`
    })
  }

  const over = `over ${results.length} fold(s)`
  const summary = LABELS.map((label) => {
    const per = results.map((r) => r.labels.get(label.id) as LabelFold)
    const pooledRatios = per.flatMap((s) => s.volumeRatios)
    return {
      label,
      dice: per.map((s) => s.dice),
      hd95: per.map((s) => s.hd95Mm),
      nsd: per.map((s) => s.surfaceDice),
      ratioMedians: per.map((s) => s.volumeRatioMedian),
      pooledRatioMedian: median(pooledRatios),
      pooledCases: pooledRatios.length
    }
  })
  for (const s of summary) {
    rows.push(
      { name: `${s.label.name} Dice, mean ± sd ${over}`, value: mean(s.dice), unit: 'Dice', note: `± ${fmt(sd(s.dice), 3)}; target ≥ ${DICE_TARGET}` },
      { name: `${s.label.name} HD95, mean ± sd ${over}`, value: mean(s.hd95), unit: 'mm', note: `± ${fmt(sd(s.hd95), 2)}` },
      { name: `${s.label.name} NSD @ 2 mm, mean ± sd ${over}`, value: mean(s.nsd), unit: 'NSD', note: `± ${fmt(sd(s.nsd), 3)}` },
      { name: `${s.label.name} volume ratio median, mean ± sd ${over}`, value: mean(s.ratioMedians), unit: 'ratio', note: `± ${fmt(sd(s.ratioMedians), 3)}` },
      { name: `${s.label.name} volume ratio, median of all ${s.pooledCases} held-out cases`, value: s.pooledRatioMedian, unit: 'ratio', note: `target ${RATIO_RANGE[0]}–${RATIO_RANGE[1]}` }
    )
  }
  const minutes = results.map((r) => r.result.seconds / 60)
  rows.push({ name: `minutes used per fold, mean ± sd ${over}`, value: mean(minutes), unit: 'min', note: `± ${fmt(sd(minutes), 2)}; max ${fmt(Math.max(...minutes), 2)}; budget ${budgetMinutes}` })

  // A partial or shortened run is a look, not the measurement the targets are set on: no verdict then.
  const isTargetRun = !partial && MINUTES === null && EXTRA_OPTIONS === null
  const scope = isTargetRun
    ? ''
    : ` [not judged: ${[partial ? `${results.length} of ${FOLD_COUNT} folds` : '', MINUTES !== null ? `${MINUTES}-minute override` : '', EXTRA_OPTIONS ? `options ${JSON.stringify(EXTRA_OPTIONS)}` : ''].filter(Boolean).join(', ')}]`
  const targets: BenchTarget[] = [
    ...summary.map((s) => ({
      description: `${s.label.name}: mean held-out Dice ≥ ${DICE_TARGET} over ${FOLD_COUNT} folds (got ${fmt(mean(s.dice), 3)})${scope}`,
      met: isTargetRun ? mean(s.dice) >= DICE_TARGET : null
    })),
    ...summary.map((s) => ({
      description: `${s.label.name}: volume ratio median within ${RATIO_RANGE[0]}–${RATIO_RANGE[1]} (got ${fmt(s.pooledRatioMedian, 3)})${scope}`,
      met: isTargetRun ? s.pooledRatioMedian >= RATIO_RANGE[0] && s.pooledRatioMedian <= RATIO_RANGE[1] : null
    })),
    {
      description: `each fold's run within the default budget of ${DEFAULT_TRAINING_MINUTES} min (longest ${fmt(Math.max(...minutes), 2)} min)${scope}`,
      met: isTargetRun ? minutes.every((m) => m <= DEFAULT_TRAINING_MINUTES) : null
    }
  ]

  const first = results[0]?.started.plan
  const model = (first?.model ?? {}) as { depth?: number; baseFilters?: number; residualUnits?: number; convsPerStage?: number }
  const notes = [
    `ran on the user's default path: a project imported as 'voxloop import' does, then TrainingService.start({ caseIds }) — the call behind the Train button and 'voxloop train' — with ${MINUTES === null ? 'no other option (the default budget)' : `minutes: ${MINUTES} (VOXLOOP_BENCH_MINUTES override: a budget without the step target, not the default)`}${EXTRA_OPTIONS ? ` and ${JSON.stringify(EXTRA_OPTIONS)} (VOXLOOP_BENCH_OPTIONS override, not the default)` : ''}; then TrainingService.evaluate(version, held-out ids)`,
    partial ? `VOXLOOP_BENCH_FOLDS=${FOLDS_RUN}: only the first ${FOLDS_RUN} of ${FOLD_COUNT} folds ran (a quick look, not the cross-validation)` : `all ${FOLD_COUNT} folds ran`,
    `folds (seed ${SEED}; sorted ids, Fisher–Yates shuffle, dealt round-robin): ${folds.map((f, i) => `${i + 1}: ${f.map((id) => id.replace('hippocampus_', '')).join(' ')}`).join(' | ')}`,
    first
      ? `plan of fold 1: backend ${first.backend} (settings default 'auto'), ${first.workers ?? 1} gradient worker(s); ${first.architecture ?? LEGACY_ARCHITECTURE} depth ${model.depth ?? '?'} × ${model.baseFilters ?? '?'} filters${model.residualUnits !== undefined ? `, ${model.residualUnits} unit(s)` : ''}${model.convsPerStage !== undefined ? `, ${model.convsPerStage} convs per stage` : ''}; patch ${first.patchSize.join('×')} at ${first.targetSpacingMm.join('×')} mm, batch ${first.batchSize}, ${first.optimizer} ${first.learningRate} ${first.schedule}; internal validation ${first.validationCaseIds.length} of the training cases (best-epoch choice and early stopping; never the held-out fold)`
      : 'no fold ran',
    `the model scored is each version's best epoch (chosen on its internal validation split); Dice, HD95 and NSD on each held-out case's own grid and voxel spacing; HD95 means and Dice means are over the held-out cases of a fold, ± is the sd over folds`,
    `engine: a forked process running src/engine under tsx (the working tree's code); the compute backend is what 'auto' picks here`,
    `load average (1/5/15 min) on ${os.cpus().length} cores shared with other work: start ${loadAtStart}; ${results.map((r) => `after fold ${r.fold + 1} ${r.loadAfter}`).join('; ')}`
  ]

  return {
    name: 'training-quality',
    rows,
    targets,
    notes,
    environment: { tfjs: tf.version.tfjs, folds: `${results.length} of ${FOLD_COUNT}`, seed: SEED, budget: MINUTES === null ? `default (≤ ${DEFAULT_TRAINING_MINUTES} min)` : `${MINUTES} min (override)`, options: EXTRA_OPTIONS ? JSON.stringify(EXTRA_OPTIONS) : 'none' }
  }
}

export const bench: Bench = {
  name: 'training-quality',
  description: SCORE_KEPT_DIR
    ? `the kept models of ${SCORE_KEPT_DIR} scored again on their held-out folds (nothing trained)`
    : `${FOLD_COUNT}-fold cross-validation of the default training path (TrainingService.start with no options) on the 41 hippocampus cases${FOLDS_RUN < FOLD_COUNT ? ` (first ${FOLDS_RUN} fold(s) only)` : ''}${MINUTES !== null ? `, ${MINUTES} min per fold (override)` : ''}${EXTRA_OPTIONS ? `, options ${JSON.stringify(EXTRA_OPTIONS)} (override)` : ''}: held-out Dice, HD95, NSD and volume ratio per label`,
  run
}
