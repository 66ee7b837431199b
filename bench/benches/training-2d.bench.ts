/**
 * Quality of the 2D model a user gets, by 5-fold cross-validation of the user's default path on the
 * 40 Montgomery chest X-rays of shared/data (512² PNG, lung masks 0/255; MANIFEST.md section E).
 *
 * For each network and fold: a fresh project in a temporary folder, the images imported as
 * `voxloop import <folder> <project>` does (images/ + masks/ → one-slice cases, label 1 the lungs), a
 * VoxloopApp as the CLI builds it, then the Train button's call, `TrainingService.start({ caseIds:
 * <the other folds> })`: for the default row nothing else (the default 2D network, budget, spacing,
 * patch and augmentation), for the other rows only `model.architecture` (same budget, same
 * everything else). Then `TrainingService.evaluate(version, <held-out fold>)` scores the version's
 * model on the fold it never saw, on each X-ray's own 512² grid: Dice and IoU of the lungs, per case.
 *
 * Folds: the 40 case ids sorted, shuffled with the fixed seed of the other cross-validations, dealt
 * round-robin (8 per fold). Reported per network and fold, and as mean ± sd over folds.
 *
 * Knobs (reported as such; a run with any of them is a look, not judged against the targets):
 * - VOXLOOP_BENCH_ARCHS=default,unetpp-2d,… the rows to run (default: all three of the issue);
 * - VOXLOOP_BENCH_FOLDS=1..5 only the first N folds;
 * - VOXLOOP_BENCH_MINUTES=N `minutes: N` for every run;
 * - VOXLOOP_BENCH_OPTIONS='{…}' training options added to every run;
 * - VOXLOOP_BENCH_KEEP_MODELS=<folder> keeps each fold's version folder (the default row only) in
 *   <folder>/fold-<n>/, and VOXLOOP_BENCH_SCORE_KEPT=<folder> then trains nothing and scores those
 *   models again with the working tree's prediction code, as the quality bench does
 *   (crossValidationBench.ts): a prediction change measured on the same trained weights.
 * The full run takes up to 3 networks × 5 folds × 10 minutes on 2 cores.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { VoxloopApp } from '../../src/main/app/VoxloopApp'
import { assignFolds, DEFAULT_FOLD_SEED, foldLabelScores, mean, sd, trainAndEvaluateFold, type FoldLabelScores } from '../../src/main/services/training/crossValidation'
import { ARCHITECTURES, type ArchitectureName, type TrainingResult, type TrainingStarted } from '../../src/shared/training'
import { loadAverage, MONTGOMERY_DIR } from '../benchCommon'
import { envCount, envMinutes, envOptions, fmt, importCuratedProject, keepFoldModel, keptModelsReport, openBenchApp, SCORE_KEPT_DIR, scoreKeptFolds } from '../crossValidationBench'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

const FOLD_COUNT = 5
const SEED = DEFAULT_FOLD_SEED
const DICE_TARGET = 0.95
const FOLD_MINUTES_LIMIT = 10
const LUNG_LABEL = 1
/** The dataset's list of sources, which the import reports as not part of the images/ + masks/ layout. */
const EXPECTED_SKIPS = ['sources.csv']

/** A row of the table: the default path (no architecture named) or a named 2D network. */
type Network = 'default' | ArchitectureName
/** The rows the issue asks for: the default, U-Net++ and the residual U-Net, in 2D. */
const ISSUE_NETWORKS: readonly string[] = ['default', 'unetpp-2d', 'residual-unet-2d']
const isNetwork = (name: string): name is Network => name === 'default' || (ARCHITECTURES as readonly string[]).includes(name)

function envNetworks(): Network[] | null {
  const raw = process.env.VOXLOOP_BENCH_ARCHS
  if (raw === undefined || raw === '') return null
  const names = raw.split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !isNetwork(name))
  if (unknown.length > 0) throw new Error(`VOXLOOP_BENCH_ARCHS: unknown network(s) ${unknown.join(', ')}; known: default, ${ARCHITECTURES.join(', ')}`)
  return names.filter(isNetwork)
}

const ASKED_NETWORKS = envNetworks()
/** The issue's rows that this build has (a network not built yet is reported missing, not skipped silently). */
const NETWORKS: Network[] = ASKED_NETWORKS ?? ISSUE_NETWORKS.filter(isNetwork)
const MISSING_NETWORKS = ASKED_NETWORKS ? [] : ISSUE_NETWORKS.filter((n) => !isNetwork(n))
const FOLDS_RUN = envCount('VOXLOOP_BENCH_FOLDS', 1, FOLD_COUNT) ?? FOLD_COUNT
const MINUTES = envMinutes()
const EXTRA_OPTIONS = envOptions()

interface FoldResult {
  network: Network
  fold: number
  started: TrainingStarted
  result: TrainingResult
  lungs: FoldLabelScores
  loadAfter: string
}

async function runFold(network: Network, fold: number, folds: string[][], allIds: readonly string[]): Promise<FoldResult> {
  const heldOut = folds[fold] as string[]
  const training = allIds.filter((id) => !heldOut.includes(id))
  const name = `${network} fold ${fold + 1}`
  const dir = await mkdtemp(path.join(os.tmpdir(), `voxloop-bench-2d-${fold + 1}-`))
  let app: VoxloopApp | null = null
  try {
    const curated = await importCuratedProject(path.join(dir, 'project'), MONTGOMERY_DIR, EXPECTED_SKIPS)
    if (curated.join() !== [...allIds].join()) throw new Error(`the import curated ${curated.length} cases, expected the ${allIds.length} of the first import`)
    app = await openBenchApp(dir, path.join(dir, 'project'), name)
    const options = { ...EXTRA_OPTIONS, ...(network === 'default' ? {} : { model: { ...EXTRA_OPTIONS?.model, architecture: network } }) }
    const { started, result, report } = await trainAndEvaluateFold(app.training, {
      trainIds: training,
      heldOut,
      minutes: MINUTES,
      ...(Object.keys(options).length > 0 ? { options } : {}),
      onStarted: ({ plan }) =>
        console.log(
          `  ${name}: ${plan.architecture} ${JSON.stringify(plan.model)}; ${plan.trainingCaseIds.length} training + ${plan.validationCaseIds.length} internal validation, ${heldOut.length} held out; patch ${plan.patchSize.join('×')} at ${plan.targetSpacingMm.map((s) => s.toFixed(2)).join('×')} mm; budget ${fmt((plan.timeBudgetSeconds ?? Number.NaN) / 60, 1)} min, target ${plan.targetSteps ?? 'none'} steps; ${plan.backend}, ${plan.workers ?? 1} worker(s)`
        )
    }).catch((error: unknown) => {
      throw new Error(`${name}: ${(error as Error).message}`)
    })
    const lungs = foldLabelScores(report, LUNG_LABEL)
    if (network === 'default') await keepFoldModel(path.join(dir, 'project', 'models', result.version), result.version, heldOut, fold)
    console.log(
      `  ${name}: ${result.status} after ${result.epochsCompleted} epoch(s), ${result.step} steps, ${fmt(result.seconds / 60, 2)} min; held-out lungs Dice ${fmt(lungs.dice, 3)} (min ${fmt(Math.min(...lungs.dices), 3)}), IoU ${fmt(lungs.iou, 3)}, load ${loadAverage()}`
    )
    return { network, fold, started, result, lungs, loadAfter: loadAverage() }
  } finally {
    await app?.dispose()
    await rm(dir, { recursive: true, force: true })
  }
}

/** VOXLOOP_BENCH_SCORE_KEPT: the kept default models scored again, nothing trained. */
async function scoreKept(folder: string): Promise<BenchReport> {
  const loadAtStart = loadAverage()
  const scored = await scoreKeptFolds(folder, MONTGOMERY_DIR, EXPECTED_SKIPS)
  const rows: BenchRow[] = []
  const dice: number[] = []
  for (const kept of scored.folds) {
    const lungs = foldLabelScores(kept.report, LUNG_LABEL)
    dice.push(lungs.dice)
    rows.push(
      { name: `fold ${kept.fold}: lung Dice`, value: lungs.dice, unit: 'Dice', note: `kept model ${kept.version}, ${lungs.dices.length} held-out X-rays, min ${fmt(Math.min(...lungs.dices), 3)}` },
      { name: `fold ${kept.fold}: lung IoU`, value: lungs.iou, unit: 'IoU' },
      { name: `fold ${kept.fold}: seconds to predict and score`, value: kept.report.seconds, unit: 's' }
    )
    console.log(`  fold-${kept.fold}: lung Dice ${fmt(lungs.dice, 3)} (min ${fmt(Math.min(...lungs.dices), 3)}); ${fmt(kept.report.seconds, 1)} s`)
  }
  rows.push({ name: `lung Dice, mean ± sd over ${dice.length} kept fold(s)`, value: mean(dice), unit: 'Dice', note: `± ${fmt(sd(dice), 3)}` })
  return keptModelsReport('training-2d', folder, scored, rows, loadAtStart)
}

async function run(): Promise<BenchReport> {
  if (SCORE_KEPT_DIR) return scoreKept(SCORE_KEPT_DIR)
  // The ids as the import names them: one project imported once, to deal the folds.
  const probe = await mkdtemp(path.join(os.tmpdir(), 'voxloop-bench-2d-ids-'))
  const ids = await importCuratedProject(path.join(probe, 'project'), MONTGOMERY_DIR, EXPECTED_SKIPS).finally(() => rm(probe, { recursive: true, force: true }))
  ids.sort()
  const folds = assignFolds(ids, FOLD_COUNT, SEED)
  const loadAtStart = loadAverage()
  console.log(
    `  ${FOLD_COUNT}-fold cross-validation on ${ids.length} X-rays (seed ${SEED}); networks ${NETWORKS.join(', ')}; ${FOLDS_RUN} fold(s) each; ${MINUTES === null ? 'default budget' : `minutes: ${MINUTES} (override)`}; ${EXTRA_OPTIONS ? `options ${JSON.stringify(EXTRA_OPTIONS)} (override)` : 'no other options'}; load ${loadAtStart}`
  )

  const results: FoldResult[] = []
  for (const network of NETWORKS) for (let fold = 0; fold < FOLDS_RUN; fold++) results.push(await runFold(network, fold, folds, ids))

  const rows: BenchRow[] = []
  const targets: BenchTarget[] = []
  const judged = FOLDS_RUN === FOLD_COUNT && MINUTES === null && EXTRA_OPTIONS === null
  const scope = judged ? '' : ` [not judged: ${[FOLDS_RUN < FOLD_COUNT ? `${FOLDS_RUN} of ${FOLD_COUNT} folds` : '', MINUTES !== null ? `${MINUTES}-minute override` : '', EXTRA_OPTIONS ? `options ${JSON.stringify(EXTRA_OPTIONS)}` : ''].filter(Boolean).join(', ')}]`
  for (const network of NETWORKS) {
    const mine = results.filter((r) => r.network === network)
    const label = network === 'default' ? `default (${mine[0]?.started.plan.architecture ?? '?'})` : network
    for (const r of mine) {
      rows.push(
        { name: `${label} fold ${r.fold + 1}: lung Dice`, value: r.lungs.dice, unit: 'Dice', note: `mean of ${r.lungs.dices.length} held-out X-rays, min ${fmt(Math.min(...r.lungs.dices), 3)}` },
        { name: `${label} fold ${r.fold + 1}: lung IoU`, value: r.lungs.iou, unit: 'IoU' },
        {
          name: `${label} fold ${r.fold + 1}: minutes`,
          value: r.result.seconds / 60,
          unit: 'min',
          note: `${r.result.status}, ${r.result.epochsCompleted} epochs, ${r.result.step} steps (target ${r.started.plan.targetSteps ?? 'none'}); load after ${r.loadAfter}`
        }
      )
    }
    const dice = mine.map((r) => r.lungs.dice)
    const iou = mine.map((r) => r.lungs.iou)
    const minutes = mine.map((r) => r.result.seconds / 60)
    const over = `over ${mine.length} fold(s)`
    rows.push(
      { name: `${label}: lung Dice, mean ± sd ${over}`, value: mean(dice), unit: 'Dice', note: `± ${fmt(sd(dice), 3)}` },
      { name: `${label}: lung IoU, mean ± sd ${over}`, value: mean(iou), unit: 'IoU', note: `± ${fmt(sd(iou), 3)}` },
      { name: `${label}: minutes per fold, mean ${over}`, value: mean(minutes), unit: 'min', note: `max ${fmt(Math.max(...minutes), 2)}` }
    )
    if (network === 'default') targets.push({ description: `default 2D path: mean held-out lung Dice ≥ ${DICE_TARGET} over ${FOLD_COUNT} folds (got ${fmt(mean(dice), 3)})${scope}`, met: judged ? mean(dice) >= DICE_TARGET : null })
    targets.push({ description: `${label}: every fold within ${FOLD_MINUTES_LIMIT} min on this machine (longest ${fmt(Math.max(...minutes), 2)} min)${scope}`, met: judged ? minutes.every((m) => m <= FOLD_MINUTES_LIMIT) : null })
  }
  for (const missing of MISSING_NETWORKS) targets.push({ description: `${missing}: not run — this build has no network of that name`, met: false })

  const first = results[0]?.started.plan
  const notes = [
    `the user's path: a project imported as 'voxloop import' does, then TrainingService.start({ caseIds }) — the call behind the Train button and 'voxloop train' — with ${MINUTES === null ? 'the default budget' : `minutes: ${MINUTES} (override)`}${EXTRA_OPTIONS ? ` and ${JSON.stringify(EXTRA_OPTIONS)} (override)` : ''}; rows other than 'default' add only model.architecture; scored by TrainingService.evaluate on the held-out fold, on each X-ray's own grid`,
    `folds (seed ${SEED}; sorted ids, Fisher–Yates shuffle, dealt round-robin): ${folds.map((f, i) => `${i + 1}: ${f.join(' ')}`).join(' | ')}`,
    first
      ? `plan of the first run: ${first.architecture} ${JSON.stringify(first.model)}; patch ${first.patchSize.join('×')} at ${first.targetSpacingMm.map((s) => s.toFixed(2)).join('×')} mm, batch ${first.batchSize}, ${first.optimizer} ${first.learningRate} ${first.schedule}; internal validation ${first.validationCaseIds.length} of the training cases; backend ${first.backend}, ${first.workers ?? 1} worker(s)`
      : 'no fold ran',
    `load average (1/5/15 min) on ${os.cpus().length} cores shared with other work: start ${loadAtStart}; ${results.map((r) => `after ${r.network} fold ${r.fold + 1} ${r.loadAfter}`).join('; ')}`
  ]
  return {
    name: 'training-2d',
    rows,
    targets,
    notes,
    environment: { tfjs: tf.version.tfjs, networks: NETWORKS.join(', '), folds: `${FOLDS_RUN} of ${FOLD_COUNT}`, seed: SEED, budget: MINUTES === null ? 'default' : `${MINUTES} min (override)`, options: EXTRA_OPTIONS ? JSON.stringify(EXTRA_OPTIONS) : 'none' }
  }
}

export const bench: Bench = {
  name: 'training-2d',
  description: SCORE_KEPT_DIR
    ? `the kept models of ${SCORE_KEPT_DIR} scored again on their held-out folds (nothing trained)`
    : `${FOLD_COUNT}-fold cross-validation of the default 2D training path on the 40 Montgomery chest X-rays (networks: ${NETWORKS.join(', ')}${FOLDS_RUN < FOLD_COUNT ? `; first ${FOLDS_RUN} fold(s)` : ''}${MINUTES !== null ? `; ${MINUTES} min (override)` : ''}): held-out lung Dice and IoU`,
  run
}
