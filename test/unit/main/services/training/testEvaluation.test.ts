/**
 * Model versions' figures as `models:list` gives them, from real version folders: the training
 * loss and validation figures of the best epoch from run.json (an older run.json without a
 * validation loss still reads), and the test figures from the stored `evaluate --split test`
 * report, marked when the test split has changed since or the run trained on a test case.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listModelVersionInfos } from '../../../../../src/main/services/training/modelVersionList'
import { readTestEvaluation, TEST_EVALUATION_JSON, testFiguresOf, writeTestEvaluation } from '../../../../../src/main/services/training/testEvaluation'
import { EpochSummarySchema, TrainingRunRecordSchema, type EvaluationReport, type ValidationScores } from '../../../../../src/shared/training'
import { makeTempDir, removeDir } from '../project/projectFixtures'

const VERSION = 'v0001-20260101-000000'
let modelsDir: string
let versionDir: string

beforeEach(async () => {
  modelsDir = path.join(await makeTempDir('test-evaluation'), 'models')
  versionDir = path.join(modelsDir, VERSION)
  await mkdir(versionDir, { recursive: true })
})

afterEach(async () => {
  await removeDir(path.dirname(modelsDir))
})

const scores = (dice: number, loss?: number): ValidationScores => ({
  meanForegroundDice: dice,
  cases: 1,
  perLabel: [{ labelId: 1, name: 'Organ', dice, iou: dice / (2 - dice), sensitivity: 0.9, specificity: 0.99 }],
  ...(loss === undefined ? {} : { loss })
})

/** A run.json as training writes it: three epochs, the second the best. `withLoss`: false = written before validation losses. */
function runJson(withLoss: boolean): unknown {
  return {
    formatVersion: 1,
    version: VERSION,
    runId: 'run-1',
    status: 'completed',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:10:00.000Z',
    plan: {
      epochs: 3,
      stepsPerEpoch: 10,
      patchSize: [32, 32, 32],
      batchSize: 2,
      optimizer: 'adam',
      learningRate: 0.001,
      momentum: 0.99,
      schedule: 'poly',
      warmupSteps: 1,
      validationFraction: 0.2,
      augment: true,
      seed: 1,
      patience: 20,
      foregroundProbability: 0.33,
      targetSpacingMm: [1, 1, 1],
      modality: 'MR',
      inputChannels: 1,
      classes: [{ index: 1, labelId: 1, name: 'Organ' }],
      model: {},
      trainingCaseIds: ['a', 'b', 'c'],
      validationCaseIds: ['v'],
      validationSplit: 'project',
      fromModel: null,
      backend: 'cpu'
    },
    history: [
      { epoch: 1, trainLoss: 1.2, validation: scores(0.4, withLoss ? 0.9 : undefined), learningRate: 0.001, seconds: 5, step: 10 },
      { epoch: 2, trainLoss: 0.8, validation: scores(0.7, withLoss ? 0.6 : undefined), learningRate: 0.0007, seconds: 5, step: 20 },
      { epoch: 3, trainLoss: 0.7, validation: scores(0.65, withLoss ? 0.65 : undefined), learningRate: 0.0003, seconds: 5, step: 30 }
    ],
    bestEpoch: 2,
    bestDice: 0.7,
    checkpoints: { best: 'checkpoints/e0002', last: 'checkpoints/e0003' },
    error: null
  }
}

const report: EvaluationReport = {
  version: VERSION,
  cases: [
    { caseId: 't1', meanForegroundDice: 0.6, perLabel: scores(0.6).perLabel },
    { caseId: 't2', meanForegroundDice: 0.8, perLabel: scores(0.8).perLabel }
  ],
  mean: { ...scores(0.7), cases: 2 },
  surfaceToleranceMm: 2,
  seconds: 3
}

describe('the validation loss in run.json', () => {
  it('is optional: an older run.json reads, and a newer one keeps each epoch loss', () => {
    const older = TrainingRunRecordSchema.parse(runJson(false))
    expect(older.history.map((h) => h.validation?.loss)).toEqual([undefined, undefined, undefined])
    const newer = TrainingRunRecordSchema.parse(runJson(true))
    expect(newer.history.map((h) => h.validation?.loss)).toEqual([0.9, 0.6, 0.65])
    expect(EpochSummarySchema.parse(newer.history[1]).validation?.loss).toBe(0.6)
  })
})

describe('models:list figures', () => {
  it('gives the best epoch training loss and validation figures, and no test figures before an evaluation', async () => {
    await writeFile(path.join(versionDir, 'run.json'), JSON.stringify(runJson(true)))
    const [info] = await listModelVersionInfos(modelsDir, null, ['t1', 't2'])
    expect(info).toMatchObject({ version: VERSION, trainLoss: 0.8, metrics: { meanForegroundDice: 0.7, loss: 0.6 }, test: null, problem: null })
  })

  it('lists an older version (no validation loss) with its training loss', async () => {
    await writeFile(path.join(versionDir, 'run.json'), JSON.stringify(runJson(false)))
    const [info] = await listModelVersionInfos(modelsDir, null)
    expect(info?.trainLoss).toBe(0.8)
    expect(info?.metrics?.loss).toBeUndefined()
    expect(info?.usable).toBe(true)
  })

  it('shows the stored test evaluation, and marks it when the test split changed since', async () => {
    await writeFile(path.join(versionDir, 'run.json'), JSON.stringify(runJson(true)))
    await writeTestEvaluation(versionDir, report, ['t1', 't2'], new Date('2026-02-01T12:00:00.000Z'))

    const [same] = await listModelVersionInfos(modelsDir, null, ['t2', 't1'])
    expect(same?.test).toEqual({ evaluatedAt: '2026-02-01T12:00:00.000Z', scores: report.mean, splitChanged: false, seenInTraining: [] })
    const [moved] = await listModelVersionInfos(modelsDir, null, ['t1'])
    expect(moved?.test?.splitChanged).toBe(true)
    const [grown] = await listModelVersionInfos(modelsDir, null, ['t1', 't2', 't3'])
    expect(grown?.test?.splitChanged).toBe(true)
  })

  it('keeps listing a version whose stored test evaluation is unreadable, and says why', async () => {
    await writeFile(path.join(versionDir, 'run.json'), JSON.stringify(runJson(true)))
    await writeFile(path.join(versionDir, TEST_EVALUATION_JSON), '{"formatVersion": 1, "split": "test"')
    const [info] = await listModelVersionInfos(modelsDir, null, [])
    expect(info).toMatchObject({ usable: true, test: null, trainLoss: 0.8, problem: expect.stringMatching(/test figures unreadable: .*evaluation-test\.json: not valid JSON/) })
  })
})

describe('stored test evaluation', () => {
  it('round-trips through the version folder as formatted JSON', async () => {
    const stored = await writeTestEvaluation(versionDir, report, ['t1', 't2'], new Date('2026-02-01T00:00:00.000Z'))
    expect(await readTestEvaluation(versionDir)).toEqual(stored)
    expect(JSON.parse(await readFile(path.join(versionDir, TEST_EVALUATION_JSON), 'utf8'))).toMatchObject({ formatVersion: 1, split: 'test', caseIds: ['t1', 't2'] })
    expect(await readTestEvaluation(path.join(modelsDir, 'missing'))).toBeNull()
  })

  it('refuses a file that is not a stored evaluation, naming the file and the field', async () => {
    await writeFile(path.join(versionDir, TEST_EVALUATION_JSON), JSON.stringify({ formatVersion: 1, split: 'validation' }))
    await expect(readTestEvaluation(versionDir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/evaluation-test\.json: not a stored evaluation \(split: /) })
  })

  it('names the test cases the version trained or validated on', async () => {
    const stored = await writeTestEvaluation(versionDir, report, ['t1', 'b', 'v'])
    expect(testFiguresOf(stored, { trainingCaseIds: ['a', 'b'], validationCaseIds: ['v'] }, null)).toMatchObject({ splitChanged: false, seenInTraining: ['b', 'v'] })
  })
})
