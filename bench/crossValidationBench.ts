/**
 * What the cross-validation benches (training-quality on 3D volumes, training-2d on X-rays) share:
 * their environment knobs, the throw-away project imported as `voxloop import` makes it, and the
 * app built as the CLI and serve mode build it, with the engine forked from the working tree's
 * source. Each fold then makes the Train button's call (src/main/services/training/crossValidation.ts).
 */
import path from 'node:path'
import { engineSpecFromSource } from '../test/helpers/engineUnderTsx'
import { VoxloopApp } from '../src/main/app/VoxloopApp'
import { forkEngine } from '../src/main/engine/forkEngine'
import { importDataset } from '../src/main/services/project/importDataset'
import { ProjectStore } from '../src/main/services/project/ProjectStore'
import { curatedCases } from '../src/main/services/training/TrainingService'
import { TrainingOptionsSchema, type TrainingEpochEvent, type TrainingOptions } from '../src/shared/training'
import { loadAverage } from './benchCommon'

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
