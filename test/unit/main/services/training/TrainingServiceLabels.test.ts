/**
 * What TrainingService asks the engine to train when the label table and the cases disagree
 * (issue #15 items 7 and 8), and the preparation progress it forwards (item 9). The engine is a
 * stand-in that records the request and answers as the real one does (started, then the result);
 * the project is a real folder, so the label statistics are the store's own.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../src/main/app/EventHub'
import type { EngineClient } from '../../../../../src/main/engine/EngineClient'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { TrainingService } from '../../../../../src/main/services/training/TrainingService'
import type { EventName } from '../../../../../src/shared/contract'
import type { BackendReport } from '../../../../../src/shared/backends'
import type { EngineEventMessage, TrainRequest } from '../../../../../src/shared/engineProtocol'
import type { LabelDef } from '../../../../../src/shared/project'
import { TrainingOptionsSchema, type TrainingResult } from '../../../../../src/shared/training'
import { tinyOptions } from '../../../engine/train/trainingFixtures'
import { makeTempDir, removeDir } from '../project/projectFixtures'
import { syntheticProject } from './syntheticProject'

const LABELS: LabelDef[] = [
  { id: 1, name: 'ball', color: '#ff0000' },
  { id: 2, name: 'box', color: '#00ff00' },
  // Added before training, painted on no case: the "Cyst" of the issue.
  { id: 4, name: 'Cyst', color: '#ffff00' }
]

/** The engine's side of train:start: records the request, sends started, then ends the run. */
class FakeEngine implements Pick<EngineClient, 'call' | 'onEvent' | 'restartIfExited'> {
  requests: TrainRequest[] = []
  private listener: ((event: EngineEventMessage) => void) | null = null
  onEvent(listener: (event: EngineEventMessage) => void): () => void {
    this.listener = listener
    return () => (this.listener = null)
  }
  async restartIfExited(): Promise<BackendReport> {
    return { chosen: 'cpu', tfBackend: 'cpu', reason: 'stand-in', preference: 'auto', probes: [], tfjsVersion: '0', threads: 1 }
  }
  emit(event: EngineEventMessage): void {
    this.listener?.(event)
  }
  call = (async (method: string, ...args: unknown[]): Promise<unknown> => {
    if (method !== 'train:start') throw new Error(`unexpected ${method}`)
    const request = args[0] as TrainRequest
    this.requests.push(request)
    await new Promise((resolve) => setTimeout(resolve, 5))
    for (let done = 0; done <= 2; done++) {
      this.emit({ kind: 'event', name: 'train:preparing', payload: { runId: request.runId, stage: 'cache', done, total: 2, caseId: done < 2 ? `case-${done}` : null, elapsedSeconds: done } })
    }
    this.emit({ kind: 'event', name: 'train:started', payload: { runId: request.runId, version: 'v0009', resumed: false, startEpoch: 1, plan: {} as never } })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const result: TrainingResult = { runId: request.runId, version: 'v0009', status: 'completed', epochsCompleted: 0, step: 0, bestEpoch: null, best: null, last: null, history: [], seconds: 0, error: null }
    return result
  }) as EngineClient['call']
}

let dir: string
let store: ProjectStore
let engine: FakeEngine
let service: TrainingService
let events: Array<{ name: EventName; payload: unknown }>

beforeEach(async () => {
  dir = await makeTempDir('voxloop-training-labels-')
  store = await syntheticProject(dir, { name: 'Labels', labels: LABELS, seed: 5 })
  engine = new FakeEngine()
  const hub = new EventHub()
  events = []
  hub.subscribe((name, payload) => events.push({ name, payload }))
  service = new TrainingService({ engine, events: hub, store: () => store })
})

afterEach(async () => {
  service?.dispose()
  await store?.dispose()
  await removeDir(dir)
})

const options = (extra: Parameters<typeof tinyOptions>[0] = {}): ReturnType<typeof TrainingOptionsSchema.parse> => TrainingOptionsSchema.parse(tinyOptions({ epochs: 1, ...extra }))

/** A model version folder whose run.json predicts `classes` (as training writes it). */
async function versionPredicting(version: string, classes: Array<{ labelId: number; name: string }>): Promise<string> {
  const versionDir = path.join(store.paths.dir('models'), version)
  await mkdir(versionDir, { recursive: true })
  const now = '2026-12-05T00:00:00.000Z'
  const record = {
    formatVersion: 1,
    version,
    runId: 'run-0',
    status: 'completed',
    createdAt: now,
    updatedAt: now,
    plan: {
      epochs: 1,
      stepsPerEpoch: 1,
      patchSize: [8, 8, 8],
      batchSize: 2,
      optimizer: 'adam',
      learningRate: 0.001,
      momentum: 0.99,
      schedule: 'poly',
      warmupSteps: 0,
      validationFraction: 0.2,
      augment: false,
      seed: 1,
      patience: 5,
      foregroundProbability: 0.33,
      targetSpacingMm: [1, 1, 1],
      modality: 'MR',
      inputChannels: 1,
      classes: classes.map((c, i) => ({ index: i + 1, ...c })),
      model: {},
      trainingCaseIds: ['case-0'],
      validationCaseIds: ['case-1'],
      fromModel: null,
      backend: 'cpu'
    },
    history: [],
    bestEpoch: 1,
    bestDice: 0.5,
    checkpoints: { best: 'checkpoints/e0001', last: 'checkpoints/e0001' },
    error: null
  }
  await writeFile(path.join(versionDir, 'run.json'), JSON.stringify(record))
  return versionDir
}

describe('TrainingService and the label table', () => {
  it('leaves a label without voxels out of a new model, names it in a notice and records it (item 7)', async () => {
    await service.start(options())
    await service.whenFinished()
    const request = engine.requests[0] as TrainRequest
    expect(request.labels.map((l) => l.name)).toEqual(['ball', 'box'])
    expect(request.excludedLabels?.map((l) => l.name)).toEqual(['Cyst'])
    const notices = events.filter((e) => e.name === 'app:notice').map((e) => (e.payload as { message: string }).message)
    expect(notices.some((m) => m.includes('Left out of this model: Cyst (4)'))).toBe(true)
  })

  it('refuses, saying what to do, when no label has a voxel in the training cases', async () => {
    await store.updateLabelTable([{ id: 9, name: 'Cyst', color: '#ffff00' }])
    await expect(service.start(options())).rejects.toThrow(/none of the project's labels \(Cyst \(9\)\) has a voxel/)
    expect(engine.requests).toHaveLength(0)
  })

  it('refuses to fine-tune a model whose labels the table no longer has, before reading any case (item 8)', async () => {
    await versionPredicting('v0001-20261205-000000', [
      { labelId: 1, name: 'ball' },
      { labelId: 2, name: 'box' },
      { labelId: 3, name: 'gone' }
    ])
    await expect(service.start(options({ fromModel: 'v0001-20261205-000000' }))).rejects.toThrow(/v0001-20261205-000000 predicts .*gone \(3\).*train a new model/)
    expect(engine.requests).toHaveLength(0)
  })

  it('fine-tunes a model trained without the empty label onto the same labels', async () => {
    await versionPredicting('v0001-20261205-000000', [
      { labelId: 1, name: 'ball' },
      { labelId: 2, name: 'box' }
    ])
    await service.start(options({ fromModel: 'v0001-20261205-000000' }))
    await service.whenFinished()
    expect(engine.requests[0]?.labels.map((l) => l.id)).toEqual([1, 2])
  })

  it('forwards data preparation per case as training:preparing and keeps the latest in the status (item 9)', async () => {
    await service.start(options())
    const preparing = events.filter((e) => e.name === 'training:preparing').map((e) => e.payload as { done: number; total: number })
    expect(preparing.map((p) => `${p.done}/${p.total}`)).toEqual(['0/2', '1/2', '2/2'])
    await service.whenFinished()
    expect(service.getStatus().preparing).toBeNull()
  })
})

describe('TrainingService status per project (item 4)', () => {
  it("answers another project's finished run as idle, and the run's own project as it ended", async () => {
    await service.start(options())
    await service.whenFinished()
    const first = store
    expect(service.getStatus()).toMatchObject({ state: 'idle', lastResult: { version: 'v0009' } })
    const other = await ProjectStore.create(path.join(dir, 'other'), { name: 'Other', modality: 'MR', labels: LABELS })
    try {
      store = other
      expect(service.getStatus()).toMatchObject({ state: 'idle', runId: null, progress: null, started: null, lastResult: null })
      store = first
      expect(service.getStatus().lastResult?.version).toBe('v0009')
    } finally {
      store = first
      await other.dispose()
    }
  })
})

describe('activating a model version (item 8, checked by main)', () => {
  it('refuses a version that predicts a label the table no longer has, and allows one that fits', async () => {
    const { assertActivatable } = await import('../../../../../src/main/services/training/activation')
    const stale = await versionPredicting('v0001-20261205-000000', [
      { labelId: 1, name: 'ball' },
      { labelId: 3, name: 'gone' }
    ])
    await expect(assertActivatable(stale, 'v0001-20261205-000000', store.getManifest().labels)).rejects.toThrow(/v0001-20261205-000000 predicts gone \(3\), which the project's label table no longer has/)
    const fits = await versionPredicting('v0002-20261205-000100', [{ labelId: 1, name: 'ball' }])
    await expect(assertActivatable(fits, 'v0002-20261205-000100', store.getManifest().labels)).resolves.toBeUndefined()
    const listed = await service.listModels()
    expect(listed.map((v) => [v.version, v.labelMismatch !== null])).toEqual([
      ['v0001-20261205-000000', true],
      ['v0002-20261205-000100', false]
    ])
  })
})
