/**
 * What the cross-validation benches (training-quality on 3D volumes, training-2d on X-rays) share:
 * their environment knobs, the throw-away project imported as `voxloop import` makes it, and the
 * app built as the CLI and serve mode build it, with the engine forked from the working tree's
 * source. Each fold then makes the Train button's call (src/main/services/training/crossValidation.ts).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { engineSpecFromSource } from '../test/helpers/engineUnderTsx'
import { activateBackend } from '../src/engine/backends/activateBackend'
import { prepareCaseVolumes, prepareOptionsOf, readCaseVolumes } from '../src/engine/train/caseVolumes'
import { choosePostprocessingForRun } from '../src/engine/train/postprocessingChoice'
import { readRunRecord, writeRunRecord } from '../src/engine/train/runRecord'
import type { HeldOutSource } from '../src/engine/train/validate'
import { VoxloopApp } from '../src/main/app/VoxloopApp'
import { forkEngine } from '../src/main/engine/forkEngine'
import { importDataset } from '../src/main/services/project/importDataset'
import { ProjectPaths } from '../src/main/services/project/projectPaths'
import { ProjectStore } from '../src/main/services/project/ProjectStore'
import { DEFAULT_FOLD_SEED } from '../src/main/services/training/crossValidation'
import { curatedCases } from '../src/main/services/training/TrainingService'
import { writeFileAtomic } from '../src/node/storage/durableWrite'
import type { CaseFiles } from '../src/shared/engineProtocol'
import { TrainingOptionsSchema, type EvaluationReport, type TrainingEpochEvent, type TrainingOptions } from '../src/shared/training'
import { loadAverage } from './benchCommon'
import type { BenchReport, BenchRow } from './report'

/** An integer knob from the environment, or null when unset. */
export function envCount(name: string, min: number, max: number): number | null {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return null
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
  return value
}

/** VOXLOOP_BENCH_MINUTES: a budget in minutes instead of the default one, or null. */
export function envMinutes(): number | null {
  const raw = process.env.VOXLOOP_BENCH_MINUTES
  if (raw === undefined || raw === '') return null
  const value = Number(raw)
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`VOXLOOP_BENCH_MINUTES must be a positive number of minutes, got "${raw}"`)
  return value
}

export type ExtraOptions = Omit<TrainingOptions, 'caseIds' | 'minutes'>

/** VOXLOOP_BENCH_OPTIONS: training options (JSON, checked by TrainingOptionsSchema) added to every fold's call, or null. */
export function envOptions(): ExtraOptions | null {
  const raw = process.env.VOXLOOP_BENCH_OPTIONS
  if (raw === undefined || raw === '') return null
  // The schema has refinements, so zod cannot .omit() from it: parse whole, then refuse the two keys.
  const parsed = TrainingOptionsSchema.safeParse(JSON.parse(raw))
  if (!parsed.success) throw new Error(`VOXLOOP_BENCH_OPTIONS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const { caseIds, minutes, ...options } = parsed.data
  if (caseIds !== undefined || minutes !== undefined) throw new Error('VOXLOOP_BENCH_OPTIONS: caseIds and minutes are set by the bench (folds, VOXLOOP_BENCH_MINUTES), not here')
  return options
}

export const fmt = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')

/**
 * A project as `voxloop import <dataset> <project>` makes it; returns its curated case ids (every
 * labelled case). Any skipped file but the `expectedSkips` (file names, e.g. a sources.csv) fails.
 */
export async function importCuratedProject(folder: string, datasetDir: string, expectedSkips: readonly string[] = []): Promise<string[]> {
  const store = await ProjectStore.create(folder, { name: path.basename(datasetDir) })
  try {
    const report = await importDataset(store, datasetDir)
    const skipped = report.skipped.filter((s) => !expectedSkips.includes(path.basename(s.file)))
    if (skipped.length > 0) throw new Error(`import skipped ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`)
    // Imported labelled cases are 'done' already (importDataset's default); a case that is not would not be trained on.
    for (const c of store.listCases()) if (c.hasLabel && c.status !== 'done') await store.setStatus(c.id, 'done', 'bench')
    return curatedCases(store.listCases()).map((c) => c.id)
  } finally {
    await store.dispose()
  }
}

/**
 * The app as `voxloop train` builds it (fresh settings: the compute backend is 'auto'), its engine a
 * forked process running src/engine under tsx, opened on `projectDir`; every epoch is logged with
 * its validation Dice, each label's volume ratio and the load.
 */
export async function openBenchApp(dir: string, projectDir: string, foldName: string): Promise<VoxloopApp> {
  const app = await VoxloopApp.create({
    appVersion: 'bench',
    appDataDir: path.join(dir, 'app-data'),
    host: { mode: 'serve' },
    engine: { launcher: forkEngine, spec: engineSpecFromSource() },
    log: (message) => console.log(`    ${message}`)
  })
  try {
    await app.project.open(projectDir)
  } catch (error) {
    await app.dispose()
    throw error
  }
  app.events.subscribe((name, payload) => {
    if (name !== 'training:epoch') return
    const e = payload as TrainingEpochEvent & { step: number }
    // The volume ratio per label shows whether the model of each epoch over- or under-segments (#13 item 5).
    const ratios = e.validation ? e.validation.perLabel.map((l) => `${l.name} ×${l.volumeRatio == null ? 'n/a' : l.volumeRatio.toFixed(2)}`).join(' ') : ''
    console.log(
      `    ${foldName} epoch ${e.epoch}/${e.epochs}: step ${e.step}, loss ${e.trainLoss.toFixed(3)}, internal val Dice ${e.validation ? e.validation.meanForegroundDice.toFixed(3) : 'n/a'}${ratios ? `, vol ratio ${ratios}` : ''}, load ${loadAverage()}`
    )
  })
  return app
}

const envFolder = (name: string): string | null => (process.env[name] ? path.resolve(process.env[name] as string) : null)

/**
 * VOXLOOP_BENCH_KEEP_MODELS=<folder>: each fold's version folder (checkpoints, run.json with its
 * plan) is copied to <folder>/fold-<n>/ with the fold's held-out ids in held-out.json, before the
 * throw-away project is removed, so that prediction settings can be scored on the same trained models.
 */
export const KEEP_MODELS_DIR = envFolder('VOXLOOP_BENCH_KEEP_MODELS')

/** VOXLOOP_BENCH_KEEP_MODELS: the fold's version folder and held-out ids, kept beyond the throw-away project. */
export async function keepFoldModel(versionDir: string, version: string, heldOut: readonly string[], fold: number): Promise<void> {
  if (!KEEP_MODELS_DIR) return
  const target = path.join(KEEP_MODELS_DIR, `fold-${fold + 1}`)
  await mkdir(target, { recursive: true })
  await cp(versionDir, path.join(target, version), { recursive: true })
  await writeFileAtomic(path.join(target, 'held-out.json'), JSON.stringify({ fold: fold + 1, version, heldOut }, null, 2))
  console.log(`  fold ${fold + 1}: model kept in ${path.join(target, version)}`)
}

/**
 * VOXLOOP_BENCH_SCORE_KEPT=<folder> (a KEEP_MODELS folder): nothing is trained; each kept model is
 * scored again with the working tree's prediction code (a prediction change measured on the same
 * trained weights, paired with the run that kept them). Never judged against targets.
 */
export const SCORE_KEPT_DIR = envFolder('VOXLOOP_BENCH_SCORE_KEPT')

export interface KeptFoldScore {
  fold: number
  version: string
  heldOut: string[]
  /** The post-processing the run chose, then the one chosen again. */
  postprocessing: string
  report: EvaluationReport
}

/**
 * The kept folds' models of `folder` scored on their held-out folds, in a fresh import of
 * `datasetDir`: a copy of each model (the kept folder stays as its run left it) gets its
 * post-processing chosen again as the end of its run now would (on its own internal validation
 * cases, from the imported project's files, in this process), then `TrainingService.evaluate`
 * scores it, as the fold's run did.
 */
export async function scoreKeptFolds(folder: string, datasetDir: string, expectedSkips: readonly string[] = []): Promise<{ backend: string; folds: KeptFoldScore[] }> {
  const names = (await readdir(folder)).filter((name) => /^fold-\d+$/.test(name)).sort()
  if (names.length === 0) throw new Error(`VOXLOOP_BENCH_SCORE_KEPT: ${folder} holds no fold-<n> folder (VOXLOOP_BENCH_KEEP_MODELS makes them)`)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'voxloop-bench-kept-'))
  const projectDir = path.join(dir, 'project')
  let app: VoxloopApp | null = null
  const backend = await activateBackend('auto')
  const folds: KeptFoldScore[] = []
  try {
    const ids = await importCuratedProject(projectDir, datasetDir, expectedSkips)
    const paths = await ProjectPaths.forFolder(projectDir)
    app = await openBenchApp(dir, projectDir, 'kept')
    for (const name of names) {
      const kept = JSON.parse(await readFile(path.join(folder, name, 'held-out.json'), 'utf8')) as { fold: number; version: string; heldOut: string[] }
      const unknown = kept.heldOut.filter((id) => !ids.includes(id))
      if (unknown.length > 0) throw new Error(`${name}: held-out ids not in the dataset: ${unknown.join(', ')}`)
      const modelsDir = path.join(dir, 'kept', name)
      await cp(path.join(folder, name, kept.version), path.join(modelsDir, kept.version), { recursive: true })
      const postprocessing = await chooseAgain(path.join(modelsDir, kept.version), (id) => ({ id, imagePath: paths.image(id), labelPath: paths.label(id) }))
      console.log(`  ${name}: ${postprocessing}`)
      const report = await app.training.evaluate(kept.version, [...kept.heldOut], modelsDir)
      folds.push({ ...kept, postprocessing, report })
    }
  } finally {
    await app?.dispose()
    await rm(dir, { recursive: true, force: true })
  }
  return { backend: backend.chosen, folds }
}

/** A kept version's post-processing chosen again, as the end of its run would now choose it, on the run's own internal validation cases. */
async function chooseAgain(versionDir: string, filesOf: (id: string) => CaseFiles): Promise<string> {
  const record = await readRunRecord(versionDir)
  const best = record.checkpoints.best
  if (!best) throw new Error(`${versionDir} has no best checkpoint`)
  const heldOut: HeldOutSource[] = record.plan.validationCaseIds.map((id) => ({
    id,
    load: async () => {
      const volumes = await readCaseVolumes(filesOf(id), record.plan.classes)
      return { id, prepared: prepareCaseVolumes(volumes, prepareOptionsOf(record.plan)), reference: volumes.classLabels as Uint8Array }
    }
  }))
  const chosen = await choosePostprocessingForRun({ dir: versionDir, best, heldOut, plan: record.plan, betweenBatches: async () => undefined })
  if (!chosen) throw new Error(`${versionDir}: the post-processing choice was cancelled`)
  await writeRunRecord(versionDir, { ...record, postprocessing: chosen })
  return `post-processing ${JSON.stringify(record.postprocessing?.steps ?? null)} → ${JSON.stringify(chosen.steps)}`
}

/** The report of a SCORE_KEPT run: the bench's rows for the kept folds, never judged against targets. */
export function keptModelsReport(name: string, folder: string, scored: { backend: string; folds: readonly KeptFoldScore[] }, rows: BenchRow[], loadAtStart: string): BenchReport {
  return {
    name,
    rows,
    targets: [{ description: `kept models of ${folder} scored again with the working tree's prediction [not judged: nothing trained]`, met: null }],
    notes: [
      `VOXLOOP_BENCH_SCORE_KEPT=${folder}: ${scored.folds.length} kept fold model(s), each with its post-processing chosen again (${scored.backend} in the bench process), scored by TrainingService.evaluate on their held-out folds; nothing trained`,
      `load average (1/5/15 min) at start ${loadAtStart}, at end ${loadAverage()}`
    ],
    environment: { tfjs: tf.version.tfjs, folds: `${scored.folds.length} kept`, seed: DEFAULT_FOLD_SEED, budget: 'none (nothing trained)', options: 'none' }
  }
}
