/**
 * TrainingService with a real engine process (the TypeScript source under tsx, wasm backend) and a
 * real project folder: API events, the audit entry, models:list, evaluate, and a run whose engine
 * is SIGKILLed mid-epoch, then resumed by a new engine process to the same weights as a run that
 * was never interrupted.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../src/main/app/EventHub'
import { EngineClient } from '../../../../../src/main/engine/EngineClient'
import { type ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { TrainingService } from '../../../../../src/main/services/training/TrainingService'
import type { EventName } from '../../../../../src/shared/contract'
import { engineArgv } from '../../../../../src/shared/engineProtocol'
import { TrainingOptionsSchema, type TrainingResult } from '../../../../../src/shared/training'
import { engineSpecFromSource } from '../../../../helpers/engineUnderTsx'
import { killableEngineLauncher } from '../../../../helpers/killableEngine'
import { FIXTURE_LABELS, tinyOptions } from '../../../engine/train/trainingFixtures'
import { makeTempDir, removeDir } from '../project/projectFixtures'
import { syntheticProject } from './syntheticProject'

let dir: string
let store: ProjectStore
let engine: EngineClient
let service: TrainingService
let children: ReturnType<typeof killableEngineLauncher>['children']
const hub = new EventHub()
const events: Array<{ name: EventName; payload: unknown }> = []

beforeAll(async () => {
  dir = await makeTempDir('voxloop-training-service-')
  // case-4 is labelled but not curated: training must leave it out.
  store = await syntheticProject(dir, { name: 'Balls', labels: FIXTURE_LABELS, seed: 3, cases: 5, inReview: 4 })
  const killable = killableEngineLauncher()
  children = killable.children
  engine = new EngineClient({ launcher: killable.launcher, spec: { ...engineSpecFromSource(), argv: engineArgv({ backend: 'wasm' }) } })
  hub.subscribe((name, payload) => events.push({ name, payload }))
  service = new TrainingService({ engine, events: hub, store: () => store })
})

afterAll(async () => {
  service?.dispose()
  engine?.dispose()
  await store?.dispose()
  await removeDir(dir)
})

const options = TrainingOptionsSchema.parse(tinyOptions({ epochs: 3, seed: 31, augment: true }))

function nextEvent(name: EventName, where: (payload: unknown) => boolean = () => true): Promise<unknown> {
  return new Promise((resolve) => {
    const off = hub.subscribe((n, payload) => {
      if (n === name && where(payload)) {
        off()
        resolve(payload)
      }
    })
  })
}

async function lastWeights(version: string): Promise<Buffer> {
  const versionDir = path.join(store.paths.dir('models'), version)
  const record = JSON.parse(await readFile(path.join(versionDir, 'run.json'), 'utf8')) as { checkpoints: { last: string } }
  return readFile(path.join(versionDir, record.checkpoints.last, 'model', 'weights.bin'))
}

let uninterrupted: TrainingResult

describe('TrainingService', () => {
  it('trains the curated cases in the engine, forwards progress as API events and records the model version', async () => {
    const finished = nextEvent('training:finished') as Promise<TrainingResult>
    const started = await service.start(options)
    expect([...started.plan.trainingCaseIds, ...started.plan.validationCaseIds].sort()).toEqual(['case-0', 'case-1', 'case-2', 'case-3'])
    expect(service.getStatus()).toMatchObject({ state: 'running', version: started.version })
    await expect(service.start(options)).rejects.toMatchObject({ code: 'BUSY' })

    uninterrupted = await finished
    expect(uninterrupted).toMatchObject({ version: started.version, status: 'completed', epochsCompleted: 3 })
    expect(events.filter((e) => e.name === 'training:progress').length).toBeGreaterThan(3)
    expect(events.filter((e) => e.name === 'training:epoch').map((e) => (e.payload as { epoch: number }).epoch)).toEqual([1, 2, 3])
    expect(service.getStatus()).toMatchObject({ state: 'idle', lastResult: { version: started.version } })
    // The engine prepared the cases into the project's cache (issue #13 item 10): one file per case.
    const cacheDir = path.join(store.root, 'cache', 'preprocessed')
    const [preparation] = (await readdir(cacheDir)).filter((name) => /^[0-9a-f]{24}$/.test(name))
    expect((await readdir(path.join(cacheDir, preparation as string))).filter((name) => name.endsWith('.vxpc'))).toHaveLength(4)

    const audit = (await store.readAudit()).filter((entry) => entry.type === 'model-version')
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ modelVersion: started.version, actor: 'training:completed', metrics: { epochs: 3, bestEpoch: uninterrupted.bestEpoch } })
    expect(audit[0]?.type === 'model-version' && audit[0].metrics?.['dice:1']).toBeTypeOf('number')

    const [listed] = await service.listModels()
    expect(listed).toMatchObject({ version: started.version, status: 'completed', usable: true, resumable: false, epochsCompleted: 3, trainingCases: 3, validationCases: 1 })
    expect(listed?.metrics?.perLabel.map((l) => l.labelId)).toEqual([1, 2])

    const report = await service.evaluate(started.version)
    expect(report.cases.map((c) => c.caseId)).toEqual(['case-0', 'case-1', 'case-2', 'case-3'])
    expect(report.mean.perLabel).toHaveLength(2)
    // Surface metrics in mm on each case's grid, per case and in the means; --cases picks the cases.
    expect(report.surfaceToleranceMm).toBe(2)
    for (const label of [...report.cases.flatMap((c) => c.perLabel), ...report.mean.perLabel]) {
      expect(label.hd95Mm).toBeGreaterThanOrEqual(0)
      expect(label.surfaceDice).toBeGreaterThanOrEqual(0)
      expect(label.surfaceDice).toBeLessThanOrEqual(1)
    }
    const chosen = await service.evaluate(started.version, ['case-3', 'case-1'])
    expect(chosen.cases.map((c) => c.caseId)).toEqual(['case-3', 'case-1'])
    expect(chosen.cases[0]?.perLabel).toEqual(report.cases[3]?.perLabel)
    // The version's number, as people type it (`--model v1`), means the same folder.
    const sequence = Number(/^v(\d+)-/.exec(started.version)?.[1])
    expect((await service.evaluate(`v${sequence}`, ['case-3'])).cases[0]?.perLabel).toEqual(report.cases[3]?.perLabel)
  })

  it('a run whose engine is SIGKILLed mid-epoch resumes in a new engine and ends with the uninterrupted weights', async () => {
    const finished = nextEvent('training:finished') as Promise<TrainingResult>
    const afterFirstEpoch = nextEvent('training:epoch', (p) => (p as { epoch: number }).epoch === 1)
    const started = await service.start(options)
    await afterFirstEpoch
    children.at(-1)?.kill('SIGKILL')
    const crashed = await finished
    expect(crashed).toMatchObject({ status: 'failed', error: { code: 'ENGINE_FAILED' } })

    const listed = (await service.listModels()).find((v) => v.version === started.version)
    expect(listed).toMatchObject({ status: 'stopped', resumable: true, usable: true, epochsCompleted: 1 })

    const resumedFinished = nextEvent('training:finished') as Promise<TrainingResult>
    const resumed = await service.start(TrainingOptionsSchema.parse({ epochs: 3, resume: started.version }))
    expect(children).toHaveLength(2)
    expect(resumed).toMatchObject({ version: started.version, resumed: true, startEpoch: 2 })
    const result = await resumedFinished
    expect(result).toMatchObject({ status: 'completed', epochsCompleted: 3, step: uninterrupted.step, bestEpoch: uninterrupted.bestEpoch })
    expect(result.history.map((h) => h.trainLoss)).toEqual(uninterrupted.history.map((h) => h.trainLoss))
    expect((await lastWeights(started.version)).equals(await lastWeights(uninterrupted.version))).toBe(true)
  })

  it('cancel ends the live run as cancelled', async () => {
    const finished = nextEvent('training:finished') as Promise<TrainingResult>
    const firstStep = nextEvent('training:progress', (p) => (p as { phase: string }).phase === 'training')
    await service.start(TrainingOptionsSchema.parse(tinyOptions({ epochs: 20 })))
    await firstStep
    await expect(service.cancel()).resolves.toEqual({ cancelled: true })
    const result = await finished
    expect(result.status).toBe('cancelled')
    expect(result.epochsCompleted).toBeLessThan(20)
    await expect(service.cancel()).resolves.toEqual({ cancelled: false })
  })

  it("trains on the project's recorded splits: the same validation cases every run, test cases never sent", async () => {
    // The first run gave the four curated cases their splits; case-4 (in review) has none.
    expect(store.listCases().map((c) => [c.id, c.split])).toEqual([
      ['case-0', 'train'],
      ['case-1', 'validation'],
      ['case-2', 'train'],
      ['case-3', 'train'],
      ['case-4', null]
    ])
    const firstVersion = (await service.listModels())[0]
    expect(firstVersion).toMatchObject({ validationSplit: 'project', validationCases: 1 })
    await store.setSplit('case-3', 'test')
    await store.setStatus('case-4', 'done')

    const finished = nextEvent('training:finished') as Promise<TrainingResult>
    // Another seed, another validation fraction: the validation case stays the recorded one.
    const started = await service.start(TrainingOptionsSchema.parse(tinyOptions({ epochs: 1, seed: 77, validationFraction: 0.5 })))
    const result = await finished
    expect(result.status).toBe('completed')
    // case-4, newly curated, got its split when the run started, recorded with the rule's actor.
    const case4 = store.getCase('case-4').split
    expect(case4).not.toBeNull()
    expect((await store.readAudit()).filter((e) => e.type === 'split').at(-1)).toMatchObject({ actor: 'training', cases: [{ caseId: 'case-4', from: null, to: case4 }] })
    const inSplit = (split: string): string[] => store.listCases().filter((c) => c.split === split && c.status === 'done').map((c) => c.id)
    expect(started.plan.validationCaseIds).toEqual(inSplit('validation'))
    expect(started.plan.validationCaseIds).toContain('case-1')
    expect(started.plan.trainingCaseIds).toEqual(inSplit('train'))
    expect(started.plan.validationSplit).toBe('project')
    expect([...started.plan.trainingCaseIds, ...started.plan.validationCaseIds]).not.toContain('case-3')

    // evaluate --split: the curated cases of that split.
    expect((await service.evaluate(started.version, { split: 'test' })).cases.map((c) => c.caseId)).toEqual(['case-3'])
    expect((await service.evaluate(started.version, { split: 'validation' })).cases.map((c) => c.caseId)).toEqual(inSplit('validation'))
    // The test report (not the validation one) is kept as the version's test figures in models:list.
    const testFigures = async (version: string): Promise<unknown> => (await service.listModels()).find((v) => v.version === version)?.test
    expect(await testFigures(started.version)).toMatchObject({ scores: { cases: 1 }, splitChanged: false, seenInTraining: [] })
    // The first version trained on case-3 before it moved to test: its test figures say so.
    await service.evaluate(firstVersion?.version ?? '', { split: 'test' })
    expect(await testFigures(firstVersion?.version ?? '')).toMatchObject({ seenInTraining: ['case-3'] })
    await store.setSplit('case-3', 'train')
    expect(await testFigures(started.version)).toMatchObject({ splitChanged: true })
    await expect(service.evaluate(started.version, { split: 'test' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no curated cases in the test split/) })
    await store.setSplit('case-3', 'test')

    // Naming the cases keeps the seeded split, and training on a test case is allowed but said.
    const notices: string[] = []
    const off = hub.subscribe((name, payload) => {
      if (name === 'app:notice') notices.push((payload as { message: string }).message)
    })
    const named = nextEvent('training:finished') as Promise<TrainingResult>
    const explicit = await service.start(TrainingOptionsSchema.parse(tinyOptions({ epochs: 1, caseIds: ['case-0', 'case-1', 'case-3'] })))
    await named
    off()
    expect(explicit.plan.validationSplit).toBe('seeded')
    expect(notices.some((m) => /in the project's test split \(case-3\)/.test(m))).toBe(true)

    // Nothing left to train on: every curated case held out.
    for (const c of store.listCases()) if (c.split === 'train') await store.setSplit(c.id, 'validation')
    await expect(service.start(TrainingOptionsSchema.parse(tinyOptions({ epochs: 1 })))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no curated case is in the training split/) })
  })

  it('refuses to train without curated cases, and names an unknown model version', async () => {
    await expect(service.start(TrainingOptionsSchema.parse({ epochs: 1, caseIds: ['nope'] }))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(service.evaluate('v9999-20250101-000000')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^No model version "v9999-20250101-000000" in .*models \((versions there: v\d{4}-|there is no trained model version there yet)/) })
    await expect(service.start(TrainingOptionsSchema.parse({ epochs: 1, resume: 'v9999' }))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^No model version "v9999"/) })
  })
})
