/**
 * Stop before the first step (issue #15 follow-up): while main picks the cases and while the engine
 * prepares them. The engine is a stand-in that speaks the protocol as the real one does after its
 * fix (runTraining.test.ts proves that side): it prepares case by case, and a train:cancel while it
 * prepares ends train:start with a cancelled result and no started event. The project is a real folder.
 */
import { readdir } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../src/main/app/EventHub'
import type { EngineClient } from '../../../../../src/main/engine/EngineClient'
import type { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { STOPPED_WHILE_PREPARING, TrainingService } from '../../../../../src/main/services/training/TrainingService'
import type { EventName } from '../../../../../src/shared/contract'
import type { BackendReport } from '../../../../../src/shared/backends'
import type { EngineEventMessage, TrainRequest } from '../../../../../src/shared/engineProtocol'
import { TrainingOptionsSchema, type TrainingResult } from '../../../../../src/shared/training'
import { FIXTURE_LABELS, tinyOptions } from '../../../engine/train/trainingFixtures'
import { makeTempDir, removeDir } from '../project/projectFixtures'
import { syntheticProject } from './syntheticProject'

/** Prepares `total` cases one per tick; a cancel for the run ends it before the next case. */
class PreparingEngine implements Pick<EngineClient, 'call' | 'onEvent' | 'restartIfExited'> {
  calls: string[] = []
  private listener: ((event: EngineEventMessage) => void) | null = null
  private cancelled = new Set<string>()
  onEvent(listener: (event: EngineEventMessage) => void): () => void {
    this.listener = listener
    return () => (this.listener = null)
  }
  async restartIfExited(): Promise<BackendReport> {
    return { chosen: 'cpu', tfBackend: 'cpu', reason: 'stand-in', preference: 'auto', probes: [], tfjsVersion: '0', threads: 1 }
  }
  call = (async (method: string, ...args: unknown[]): Promise<unknown> => {
    this.calls.push(method)
    if (method === 'train:cancel') {
      this.cancelled.add(args[0] as string)
      return { cancelled: true }
    }
    if (method !== 'train:start') throw new Error(`unexpected ${method}`)
    const request = args[0] as TrainRequest
    const total = 26
    for (let done = 0; done < total; done++) {
      this.listener?.({ kind: 'event', name: 'train:preparing', payload: { runId: request.runId, stage: 'cache', done, total, caseId: `case-${done}`, elapsedSeconds: done } })
      await new Promise((resolve) => setTimeout(resolve, 2))
      if (this.cancelled.has(request.runId)) {
        const result: TrainingResult = { runId: request.runId, version: '', status: 'cancelled', epochsCompleted: 0, step: 0, bestEpoch: null, best: null, last: null, history: [], seconds: 0, error: null }
        return result
      }
    }
    throw new Error('the stand-in only stops runs')
  }) as EngineClient['call']
}

let dir: string
let store: ProjectStore
let engine: PreparingEngine
let service: TrainingService
let hub: EventHub
let events: Array<{ name: EventName; payload: unknown }>

beforeEach(async () => {
  dir = await makeTempDir('voxloop-training-stop-')
  store = await syntheticProject(dir, { name: 'Stop', labels: FIXTURE_LABELS, seed: 9 })
  engine = new PreparingEngine()
  hub = new EventHub()
  events = []
  hub.subscribe((name, payload) => events.push({ name, payload }))
  service = new TrainingService({ engine, events: hub, store: () => store })
})

afterEach(async () => {
  service?.dispose()
  await store?.dispose()
  await removeDir(dir)
})

const options = TrainingOptionsSchema.parse(tinyOptions({ epochs: 1 }))

describe('TrainingService: Stop before the first step', () => {
  it('a Stop while the engine prepares the cases ends the start as CANCELLED (not an internal error) and leaves the service idle', async () => {
    const thirdCase = new Promise<void>((resolve) => {
      const off = hub.subscribe((name, payload) => {
        if (name === 'training:preparing' && (payload as { done: number }).done === 2) {
          off()
          resolve()
        }
      })
    })
    const starting = service.start(options)
    const outcome = starting.then(
      () => 'started',
      (error: unknown) => error
    )
    await thirdCase
    expect(service.getStatus()).toMatchObject({ state: 'starting', preparing: { done: 2, total: 26 } })
    await expect(service.cancel()).resolves.toEqual({ cancelled: true })
    expect(service.getStatus().state).toBe('cancelling')

    expect(await outcome).toMatchObject({ code: 'CANCELLED', message: STOPPED_WHILE_PREPARING })
    // Stopped at the next case, not after all 26.
    expect(events.filter((e) => e.name === 'training:preparing').length).toBeLessThan(6)
    const finished = events.filter((e) => e.name === 'training:finished').map((e) => e.payload as TrainingResult)
    expect(finished).toMatchObject([{ status: 'cancelled', version: '', epochsCompleted: 0 }])
    // Nothing is left behind: idle, no preparing figures, no audit entry, and a new run may start.
    expect(service.getStatus()).toMatchObject({ state: 'idle', preparing: null, lastResult: { status: 'cancelled' } })
    expect(service.whenFinished()).toBeNull()
    expect((await store.readAudit()).filter((entry) => entry.type === 'model-version')).toEqual([])
    expect(await readdir(store.paths.dir('models')).catch(() => [])).toEqual([])
    await expect(service.cancel()).resolves.toEqual({ cancelled: false })
  })

  it('a Stop while main is still picking the cases is kept: the engine is never asked to train', async () => {
    const starting = service.start(options)
    // start() is now awaiting the project (splits, case files): the engine has nothing yet.
    await expect(service.cancel()).resolves.toEqual({ cancelled: true })
    await expect(starting).rejects.toMatchObject({ code: 'CANCELLED', message: STOPPED_WHILE_PREPARING })
    expect(engine.calls).toEqual([])
    expect(service.getStatus().state).toBe('idle')
    // A second start while the first is picking its cases is refused, as one while a run trains.
    const first = service.start(options)
    await expect(service.start(options)).rejects.toMatchObject({ code: 'BUSY' })
    await service.cancel()
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' })
  })
})
