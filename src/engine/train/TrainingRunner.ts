/**
 * The engine's training front desk: one run at a time (a second start is BUSY), cancel by run id,
 * and evaluation (refused while a run trains: both would share the one compute thread).
 */
import type { EngineEvents, EvaluateRequest, TrainRequest } from '../../shared/engineProtocol'
import { VoxloopError } from '../../shared/errors'
import type { EvaluationReport, TrainingResult } from '../../shared/training'
import { evaluateVersion } from '../infer/evaluateVersion'
import { runTraining, type RunTrainingOptions } from './runTraining'

export type EngineEventEmitter = <E extends keyof EngineEvents>(name: E, payload: EngineEvents[E]) => void

interface ActiveRun {
  runId: string
  cancelRequested: boolean
}

export class TrainingRunner {
  private active: ActiveRun | null = null
  private evaluating = false

  constructor(
    private readonly emit: EngineEventEmitter,
    private readonly tuning: Pick<RunTrainingOptions, 'progressIntervalMs' | 'now'> = {}
  ) {}

  async train(request: TrainRequest): Promise<TrainingResult> {
    this.assertIdle()
    const run: ActiveRun = { runId: request.runId, cancelRequested: false }
    this.active = run
    try {
      return await runTraining(request, {
        ...this.tuning,
        control: run,
        events: {
          started: (payload) => this.emit('train:started', payload),
          progress: (payload) => this.emit('train:progress', payload),
          preparing: (payload) => this.emit('train:preparing', payload),
          epoch: (payload) => this.emit('train:epoch', payload)
        }
      })
    } finally {
      this.active = null
    }
  }

  cancel(runId: string): { cancelled: boolean } {
    if (!this.active || this.active.runId !== runId) return { cancelled: false }
    this.active.cancelRequested = true
    return { cancelled: true }
  }

  async evaluate(request: EvaluateRequest): Promise<EvaluationReport> {
    this.assertIdle()
    this.evaluating = true
    try {
      return await evaluateVersion(request, () => new Promise((resolve) => setImmediate(resolve)))
    } finally {
      this.evaluating = false
    }
  }

  private assertIdle(): void {
    if (this.active) throw new VoxloopError('BUSY', `the engine is training (run ${this.active.runId}); cancel it or wait until it ends`)
    if (this.evaluating) throw new VoxloopError('BUSY', 'the engine is evaluating a model; try again when it is done')
  }
}
