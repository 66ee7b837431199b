import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { PredictionRequest, PredictionStatus } from '../../../shared/prediction'
import type { EventHub } from '../../app/EventHub'
import type { EngineClient } from '../../engine/EngineClient'
import type { ProjectStore } from '../project/ProjectStore'
import { resolveModelVersion } from '../../../node/models/modelVersions'

export interface PredictionServiceDeps {
  engine: EngineClient
  events: EventHub
  /** The open project's store (throws when none is open). */
  store: () => ProjectStore
  /** The model to use when the request names none: the active one, else the newest usable. */
  defaultModel: () => Promise<string | null>
}

/**
 * Runs a model over cases in the background, one case per engine call so that progress and
 * cancel are per case, and saves each result as the case's prediction (never over a human label:
 * predictions/ is its own folder) with its uncertainty map and score.
 */
export class PredictionService {
  private status: PredictionStatus = { state: 'idle', model: null, done: 0, total: 0, current: null }
  private cancelRequested = false
  private job: Promise<void> | null = null

  constructor(private readonly deps: PredictionServiceDeps) {}

  getStatus(): PredictionStatus {
    return { ...this.status }
  }

  /** Starts predicting; answers with the plan at once, results arrive as events. */
  async start(request: PredictionRequest): Promise<PredictionStatus> {
    if (this.status.state !== 'idle') throw new VoxloopError('ALREADY_EXISTS', 'A prediction run is already going on; wait for it or cancel it')
    const store = this.deps.store()
    // Predictions are stored in the project (a read-only one can predict into a folder: `voxloop predict --out`).
    store.requireWritable()
    const model = await this.resolveModel(request.model)
    const caseIds = request.caseIds ?? predictableCaseIds(store)
    for (const id of caseIds) if (!store.hasCase(id)) throw new VoxloopError('NOT_FOUND', `No case ${id} in this project`)
    this.cancelRequested = false
    this.status = { state: 'running', model, done: 0, total: caseIds.length, current: null }
    this.job = this.run(store, model, caseIds, request.tta ?? false).finally(() => {
      this.job = null
    })
    return this.getStatus()
  }

  /**
   * The model a prediction uses: the one asked for (its folder name or number, checked to exist
   * before any case is touched), else the active one, else the newest usable one.
   */
  async resolveModel(model?: string): Promise<string> {
    if (model !== undefined) return resolveModelVersion(this.deps.store().paths.dir('models'), model)
    const chosen = await this.deps.defaultModel()
    if (!chosen) throw new VoxloopError('NOT_FOUND', 'There is no trained model yet: train one first')
    return chosen
  }

  async cancel(): Promise<PredictionStatus> {
    if (this.status.state === 'running') {
      this.cancelRequested = true
      this.status = { ...this.status, state: 'cancelling' }
      await this.deps.engine.call('infer:cancel').catch(() => undefined)
    }
    return this.getStatus()
  }

  /** Resolves when the current run (if any) has ended. */
  async idle(): Promise<void> {
    await this.job
  }

  dispose(): void {
    this.cancelRequested = true
  }

  private async run(store: ProjectStore, model: string, caseIds: string[], tta: boolean): Promise<void> {
    const modelsDir = path.join(store.root, 'models')
    let error: string | null = null
    try {
      for (const caseId of caseIds) {
        if (this.cancelRequested) break
        this.status = { ...this.status, current: caseId }
        const result = await this.deps.engine.call('infer:predictCase', {
          modelsDir,
          version: model,
          case: { id: caseId, imagePath: store.paths.image(caseId), labelPath: null },
          tta
        })
        await store.savePrediction(caseId, result.labels, { modelVersion: model, uncertainty: { map: result.uncertainty, score: result.score }, tta: result.ttaPasses > 1 })
        this.status = { ...this.status, done: this.status.done + 1 }
        this.deps.events.emit('predictions:progress', { model, caseId, score: result.score, seconds: result.seconds, done: this.status.done, total: this.status.total })
        this.deps.events.emit('cases:changed', { caseIds: [caseId] })
      }
    } catch (cause) {
      if (!(cause instanceof VoxloopError && cause.code === 'CANCELLED')) error = (cause as Error).message
    } finally {
      await this.deps.engine.call('infer:release').catch(() => undefined)
      const { done, total } = this.status
      this.status = { state: 'idle', model, done, total, current: null }
      this.deps.events.emit('predictions:finished', { model, done, total, cancelled: this.cancelRequested, error })
    }
  }
}

/** Cases a prediction run covers by default: those nobody has labelled or reviewed yet. */
export function predictableCaseIds(store: ProjectStore): string[] {
  return store
    .listCases()
    .filter((c) => c.status === 'unlabeled' || c.status === 'predicted')
    .map((c) => c.id)
}
