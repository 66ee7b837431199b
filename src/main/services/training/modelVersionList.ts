/**
 * `models:list`: the project's model version folders and what their run.json says, read in main
 * (plain JSON; no tfjs). A folder whose run.json is unreadable is listed with the problem rather
 * than hidden, so the user can see and remove it.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describePostprocessing } from '../../../shared/postprocessing'
import { describeLoss, LEGACY_ARCHITECTURE, lossOfPlan, TrainingRunRecordSchema, type ModelVersionInfo, type RunStatus, type TestFigures, type TrainingRunRecord } from '../../../shared/training'
import { activationMismatch, type TableLabel } from '../../../shared/modelLabels'
import { listModelVersions } from '../../../node/models/modelVersions'
import { readTestEvaluation, testFiguresOf } from './testEvaluation'

const RUN_JSON = 'run.json'
const RESUMABLE: ReadonlySet<RunStatus> = new Set(['running', 'cancelled', 'stopped', 'failed'])

export async function readRunJson(versionDir: string): Promise<TrainingRunRecord> {
  const json: unknown = JSON.parse(await readFile(path.join(versionDir, RUN_JSON), 'utf8'))
  return TrainingRunRecordSchema.parse(json)
}

/**
 * `liveVersion`: the version this app is training now; any other 'running' one was abandoned (crash).
 * `table`: the project's label table now, to say whether the version still fits it (null: not checked).
 */
export function describeVersion(record: TrainingRunRecord, liveVersion: string | null, test: TestFigures | null = null, table: readonly TableLabel[] | null = null): ModelVersionInfo {
  const live = record.version === liveVersion
  const status: RunStatus = record.status === 'running' && !live ? 'stopped' : record.status
  const best = record.history.find((h) => h.epoch === record.bestEpoch)
  return {
    version: record.version,
    status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    epochsCompleted: record.history.at(-1)?.epoch ?? 0,
    epochs: record.plan.epochs,
    bestEpoch: record.bestEpoch,
    metrics: best?.validation ?? null,
    trainLoss: best?.trainLoss ?? null,
    test,
    usable: record.checkpoints.best !== null,
    resumable: !live && RESUMABLE.has(status) && (record.history.at(-1)?.epoch ?? 0) < record.plan.epochs,
    trainingCases: record.plan.trainingCaseIds.length,
    validationCases: record.plan.validationCaseIds.length,
    validationSplit: record.plan.validationSplit ?? 'seeded',
    patchSize: record.plan.patchSize,
    architecture: record.plan.architecture ?? LEGACY_ARCHITECTURE,
    deepSupervision: record.plan.model.deepSupervision === true,
    fromModel: record.plan.fromModel,
    normalization: record.plan.normalization?.reason ?? null,
    loss: describeLoss(lossOfPlan(record.plan)),
    postprocessing: record.postprocessing ? describePostprocessing(record.postprocessing) : null,
    problem: null,
    labels: modelLabelsOf(record),
    labelMismatch: table ? activationMismatch(record.version, modelLabelsOf(record), table) : null
  }
}

/** The labels a version predicts: its plan's classes by project label id. */
export function modelLabelsOf(record: TrainingRunRecord): Array<{ labelId: number; name: string }> {
  return record.plan.classes.map((c) => ({ labelId: c.labelId, name: c.name }))
}

function unreadable(version: string, problem: string): ModelVersionInfo {
  return {
    version,
    status: 'failed',
    createdAt: '',
    updatedAt: '',
    epochsCompleted: 0,
    epochs: 0,
    bestEpoch: null,
    metrics: null,
    trainLoss: null,
    test: null,
    usable: false,
    resumable: false,
    trainingCases: 0,
    validationCases: 0,
    validationSplit: 'seeded',
    patchSize: [1, 1, 1],
    architecture: LEGACY_ARCHITECTURE,
    deepSupervision: false,
    fromModel: null,
    normalization: null,
    loss: null,
    postprocessing: null,
    problem,
    labels: [],
    labelMismatch: null
  }
}

/**
 * `currentTestCaseIds`: the project's curated test cases now, to tell whether a version's stored
 * test figures were measured on them (null: unknown, taken as unchanged).
 */
export async function listModelVersionInfos(
  modelsDir: string,
  liveVersion: string | null,
  currentTestCaseIds: readonly string[] | null = null,
  table: readonly TableLabel[] | null = null
): Promise<ModelVersionInfo[]> {
  const versions = await listModelVersions(modelsDir)
  return Promise.all(
    versions.map(async ({ name }) => {
      const dir = path.join(modelsDir, name)
      let record: TrainingRunRecord
      try {
        record = await readRunJson(dir)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        return unreadable(name, code === 'ENOENT' ? `no ${RUN_JSON} (not made by training, or its run never started)` : `${RUN_JSON} unreadable: ${(error as Error).message.split('\n')[0]}`)
      }
      try {
        const stored = await readTestEvaluation(dir)
        return describeVersion(record, liveVersion, stored ? testFiguresOf(stored, record.plan, currentTestCaseIds) : null, table)
      } catch (error) {
        // The model is fine; only its test figures are lost: list it, and say so.
        return { ...describeVersion(record, liveVersion, null, table), problem: `test figures unreadable: ${(error as Error).message.split('\n')[0]}` }
      }
    })
  )
}
