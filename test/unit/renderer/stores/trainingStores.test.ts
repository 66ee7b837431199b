/**
 * The training and prediction stores across projects and runs (issue #15 item 4): what one
 * project's run or prediction said is not shown on the next project, and a finished run's panel
 * shows the finished state at once (it stayed at "saving · CPU 100 %").
 */
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { ProjectOverview } from '../../../../src/shared/contract'
import type { TrainingProgress, TrainingResult, TrainingStatus } from '../../../../src/shared/training'

const handlers = new Map<string, Array<(payload: unknown) => void>>()
const idleStatus: TrainingStatus = { state: 'idle', runId: null, version: null, started: null, progress: null, lastEpoch: null, preparing: null, lastResult: null }
let serverStatus: TrainingStatus = idleStatus
let predictAnswer: () => Promise<unknown> = async () => ({ state: 'idle', model: null, done: 0, total: 0, current: null })

vi.mock('../../../../src/renderer/src/bridge/api', () => ({
  api: {
    training: {
      status: async () => serverStatus,
      start: async () => ({}),
      cancel: async () => ({ cancelled: true })
    },
    models: { list: async () => [] },
    system: { load: async () => ({ cpuPercent: 100, memoryUsedBytes: 1, memoryTotalBytes: 2, gpus: [] }) },
    predictions: {
      run: () => predictAnswer(),
      status: async () => ({ state: 'idle', model: null, done: 0, total: 0, current: null }),
      cancel: async () => ({ state: 'idle', model: null, done: 0, total: 0, current: null })
    },
    cases: { list: async () => [] },
    on: (event: string, handler: (payload: unknown) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler])
      return () => undefined
    }
  }
}))

const { useProjectsStore } = await import('../../../../src/renderer/src/stores/useProjectsStore')
const { useTrainingStore } = await import('../../../../src/renderer/src/stores/useTrainingStore')
const { usePredictionStore } = await import('../../../../src/renderer/src/stores/usePredictionStore')

function emit(event: string, payload: unknown): void {
  for (const handler of handlers.get(event) ?? []) handler(payload)
}
const settle = async (): Promise<void> => {
  await nextTick()
  await new Promise((resolve) => setTimeout(resolve, 0))
}
function project(path: string, activeModel: string | null = null): ProjectOverview {
  return { path, name: path, manifest: { settings: activeModel ? { activeModel } : {}, labels: [] }, cases: [], readOnly: false } as unknown as ProjectOverview
}
const progress = (phase: TrainingProgress['phase']): TrainingProgress =>
  ({ runId: 'r', version: 'v0001', phase, epoch: 1, epochs: 1, step: 3, stepInEpoch: 3, stepsPerEpoch: 3, totalSteps: 3, loss: 0.9, learningRate: 0.001, patchesPerSecond: 1, etaSeconds: null, elapsedSeconds: 9, memory: { numTensors: 1, numBytes: 1 }, lastValidation: null }) as TrainingProgress
const result: TrainingResult = { runId: 'r', version: 'v0001', status: 'completed', epochsCompleted: 1, step: 3, bestEpoch: 1, best: null, last: null, history: [], seconds: 9, error: null }

describe('training and prediction state per project (issue #15 item 4)', () => {
  beforeEach(() => {
    handlers.clear()
    serverStatus = idleStatus
    setActivePinia(createPinia())
  })

  it('a finished run shows its end at once, with no stale CPU figure, even before the refresh answers', async () => {
    const projects = useProjectsStore()
    projects.current = project('/a')
    const training = useTrainingStore()
    await settle()
    serverStatus = { ...idleStatus, state: 'running', runId: 'r', version: 'v0001' }
    await training.start({})
    await settle()
    emit('training:progress', progress('saving'))
    expect(training.running).toBe(true)
    expect(training.load?.cpuPercent).toBe(100)
    // Main is idle once it sends the end; the panel must not wait for a refresh to say so.
    serverStatus = { ...idleStatus, lastResult: result }
    emit('training:finished', result)
    expect(training.running).toBe(false)
    expect(training.load).toBeNull()
    expect(training.lastResult?.status).toBe('completed')
    await new Promise((resolve) => setTimeout(resolve, 2100))
    // No load sample arrives after the end (the poll stopped).
    expect(training.load).toBeNull()
  })

  it("does not carry one project's run, models or errors into the next", async () => {
    const projects = useProjectsStore()
    projects.current = project('/a')
    const training = useTrainingStore()
    await settle()
    emit('training:progress', progress('training'))
    emit('training:finished', result)
    training.error = 'no curated cases to train on'
    await settle()
    projects.current = project('/b')
    await settle()
    expect(training.progress).toBeNull()
    expect(training.lastResult).toBeNull()
    expect(training.losses).toEqual([])
    expect(training.error).toBeNull()
  })

  it('"Predicted 3 of 3 case(s) with v0001" stays with its project', async () => {
    const projects = useProjectsStore()
    projects.current = project('/a', 'v0001')
    const prediction = usePredictionStore()
    await settle()
    emit('predictions:finished', { model: 'v0001', done: 3, total: 3, cancelled: false, error: null })
    expect(prediction.last?.done).toBe(3)
    projects.current = project('/b')
    await settle()
    expect(prediction.last).toBeNull()
  })

  it('"There is no trained model yet" goes once a run leaves a model, or another model is made active', async () => {
    const projects = useProjectsStore()
    projects.current = project('/a')
    const prediction = usePredictionStore()
    await settle()
    predictAnswer = async () => {
      throw new Error('There is no trained model yet: train one first')
    }
    await prediction.start()
    expect(prediction.error).toMatch(/no trained model/)
    emit('training:finished', result)
    expect(prediction.error).toBeNull()

    await prediction.start()
    expect(prediction.error).toMatch(/no trained model/)
    projects.current = { ...project('/a', 'v0001') }
    await settle()
    expect(prediction.error).toBeNull()
  })
})
