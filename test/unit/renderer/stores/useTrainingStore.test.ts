/**
 * Stop before the first step, as the training store sees it (issue #15 follow-up): while a start
 * waits for the engine to prepare the cases, Stop is live (stopping until the run ends), and a
 * start that ends CANCELLED leaves the panel idle with a notice, not an error. The panel's buttons
 * follow these flags (trainingStop.browser.spec.ts checks them on screen).
 */
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { ProjectOverview } from '../../../../src/shared/contract'
import { VoxloopError } from '../../../../src/shared/errors'
import type { TrainingResult, TrainingStatus } from '../../../../src/shared/training'

const handlers = new Map<string, Array<(payload: unknown) => void>>()
const idleStatus: TrainingStatus = { state: 'idle', runId: null, version: null, started: null, progress: null, lastEpoch: null, preparing: null, lastResult: null }
let serverStatus: TrainingStatus = idleStatus
/** The pending answer of training:start, settled by the test. */
let startAnswer: { resolve: (value: unknown) => void; reject: (error: unknown) => void } | null = null
const cancelCalls: number[] = []

vi.mock('../../../../src/renderer/src/bridge/api', () => ({
  api: {
    training: {
      status: async () => serverStatus,
      start: () => new Promise((resolve, reject) => (startAnswer = { resolve, reject })),
      cancel: async () => {
        cancelCalls.push(Date.now())
        return { cancelled: true }
      }
    },
    models: { list: async () => [] },
    system: { load: async () => ({ cpuPercent: 50, memoryUsedBytes: 1, memoryTotalBytes: 2, gpus: [] }) },
    cases: { list: async () => [] },
    on: (event: string, handler: (payload: unknown) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler])
      return () => undefined
    }
  }
}))

const { useProjectsStore } = await import('../../../../src/renderer/src/stores/useProjectsStore')
const { STOPPED_BEFORE_TRAINING, stoppedBeforeTraining, useTrainingStore } = await import('../../../../src/renderer/src/stores/useTrainingStore')

function emit(event: string, payload: unknown): void {
  for (const handler of handlers.get(event) ?? []) handler(payload)
}
const settle = async (): Promise<void> => {
  await nextTick()
  await new Promise((resolve) => setTimeout(resolve, 0))
}
function project(path: string): ProjectOverview {
  return { path, name: path, manifest: { settings: {}, labels: [] }, cases: [], readOnly: false } as unknown as ProjectOverview
}
const stoppedResult: TrainingResult = { runId: 'r', version: '', status: 'cancelled', epochsCompleted: 0, step: 0, bestEpoch: null, best: null, last: null, history: [], seconds: 4, error: null }

describe('the training store: Stop while the cases are prepared', () => {
  beforeEach(() => {
    handlers.clear()
    serverStatus = idleStatus
    startAnswer = null
    cancelCalls.length = 0
    setActivePinia(createPinia())
  })

  it('a start stopped while its cases are prepared ends idle with a notice, not an error', async () => {
    useProjectsStore().current = project('/a')
    const training = useTrainingStore()
    await settle()
    const starting = training.start({})
    emit('training:preparing', { runId: 'r', stage: 'cache', done: 2, total: 6, caseId: 'demo-03', elapsedSeconds: 5 })
    expect(training.starting).toBe(true)
    expect(training.preparing?.done).toBe(2)

    await training.cancel()
    expect(cancelCalls).toHaveLength(1)
    expect(training.stopping).toBe(true)

    // Main ends the run (its finished event), and start() answers CANCELLED.
    serverStatus = { ...idleStatus, lastResult: stoppedResult }
    emit('training:finished', stoppedResult)
    startAnswer?.reject(new VoxloopError('CANCELLED', 'training stopped while the cases were being prepared; no model version was made'))
    await starting
    await settle()
    expect(training.starting).toBe(false)
    expect(training.running).toBe(false)
    expect(training.stopping).toBe(false)
    expect(training.preparing).toBeNull()
    expect(training.error).toBeNull()
    expect(training.failedFineTune).toBeNull()
    expect(training.notice).toBe(STOPPED_BEFORE_TRAINING)
    expect(stoppedBeforeTraining(training.lastResult)).toBe(true)

    // The next start clears the notice.
    const again = training.start({})
    expect(training.notice).toBeNull()
    startAnswer?.reject(new VoxloopError('INVALID_ARGUMENT', 'no curated cases'))
    await again
    expect(training.error).toBe('no curated cases')
    expect(training.notice).toBeNull()
  })

  it('after a reload the stopped start is told from the status, and only a version-less cancel counts as one', async () => {
    serverStatus = { ...idleStatus, lastResult: stoppedResult }
    const training = useTrainingStore()
    // Opening the project reads its training status (as a reload does).
    useProjectsStore().current = project('/b')
    await settle()
    expect(training.notice).toBe(STOPPED_BEFORE_TRAINING)
    expect(stoppedBeforeTraining({ ...stoppedResult, version: 'v0002', epochsCompleted: 1 })).toBe(false)
    expect(stoppedBeforeTraining({ ...stoppedResult, status: 'failed' })).toBe(false)
    expect(stoppedBeforeTraining(null)).toBe(false)
  })
})
