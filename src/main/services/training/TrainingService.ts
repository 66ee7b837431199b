/**
 * Training, seen from main: starts and cancels runs in the engine process (never on main's own
 * thread), turns the engine's events into API events, records a finished run's model version in
 * the project's audit log, and lists and evaluates model versions.
 *
 * Main picks the cases (curated = status 'done' with a saved label, unless the caller names them),
 * confines their paths to the project folder and hands the engine file paths; the engine reads the
 * files itself and never opens the project store, whose lock this process holds.
 */
import { randomUUID } from 'node:crypto'
import type { EngineClient } from '../../engine/EngineClient'
import type { EventHub } from '../../app/EventHub'
import type { CaseFiles, EngineEventMessage, TrainRequest } from '../../../shared/engineProtocol'
import { serializeError, VoxloopError } from '../../../shared/errors'
import type { CaseSummary } from '../../../shared/project'
import type {
  EvaluationReport,
  ModelVersionInfo,
  TrainingOptionsSchema,
  TrainingResult,
  TrainingStarted,
  TrainingStatus
} from '../../../shared/training'
import type { z } from 'zod'
import type { ProjectStore } from '../project/ProjectStore'
import { listModelVersionInfos } from './modelVersionList'

type ParsedTrainingOptions = z.output<typeof TrainingOptionsSchema>

export interface TrainingServiceOptions {
  engine: Pick<EngineClient, 'call' | 'onEvent' | 'restartIfExited'>
  events: EventHub
  /** The open project; throws NOT_FOUND when none is. */
  store: () => ProjectStore
  log?: (message: string) => void
}

interface LiveRun {
  runId: string
  store: ProjectStore
  state: 'starting' | 'running' | 'cancelling'
  started: TrainingStarted | null
  finished: Promise<TrainingResult>
}

/** Curated cases: marked done and with a saved label file. */
export function curatedCases(cases: readonly CaseSummary[]): CaseSummary[] {
  return cases.filter((c) => c.status === 'done' && c.hasLabel)
}

export class TrainingService {
  private live: LiveRun | null = null
  private status: TrainingStatus = { state: 'idle', runId: null, version: null, started: null, progress: null, lastEpoch: null, lastResult: null }
  private readonly unsubscribe: () => void
  /** start() calls waiting for their run's train:started event. */
  private readonly startedWaiters = new Map<string, (started: TrainingStarted) => void>()

  constructor(private readonly options: TrainingServiceOptions) {
    this.unsubscribe = options.engine.onEvent((event) => this.onEngineEvent(event))
  }

  getStatus(): TrainingStatus {
    return structuredClone(this.status)
  }

  /** Starts a run; resolves once the engine has planned it (cases read, version folder made). */
  async start(options: ParsedTrainingOptions): Promise<TrainingStarted> {
    if (this.live) throw new VoxloopError('BUSY', `a training run is already under way (${this.live.started?.version ?? 'starting'}); cancel it first`)
    const store = this.options.store()
    // A model version is written into the project's models/ folder.
    store.requireWritable()
    const request = await this.trainRequest(store, options)
    await this.options.engine.restartIfExited()

    const finished = this.options.engine.call('train:start', request)
    const live: LiveRun = { runId: request.runId, store, state: 'starting', started: null, finished }
    this.live = live
    this.status = { ...this.status, state: 'starting', runId: request.runId, version: null, started: null, progress: null, lastEpoch: null }
    finished
      .then(
        (result) => this.onFinished(live, result),
        (error: unknown) => this.onFinished(live, failedResult(live, error))
      )
      .catch((error: unknown) => this.options.log?.(`After training ${live.runId}: ${(error as Error).message}`))
    // The engine answers train:start only when the run ends; its started event comes first, unless
    // planning fails (no cases, bad options, unreadable files), in which case the call rejects.
    return new Promise<TrainingStarted>((resolve, reject) => {
      this.startedWaiters.set(request.runId, resolve)
      finished.then(() => reject(new VoxloopError('INTERNAL', 'the engine ended the run without planning it')), reject)
    })
  }

  /** Asks the live run to stop after its current step; resolves to false when none is live. */
  async cancel(): Promise<{ cancelled: boolean }> {
    const live = this.live
    if (!live) return { cancelled: false }
    live.state = 'cancelling'
    this.status = { ...this.status, state: 'cancelling' }
    return this.options.engine.call('train:cancel', live.runId)
  }

  /** The live run's end, or null when none is live (the CLI waits on it). */
  whenFinished(): Promise<TrainingResult> | null {
    const live = this.live
    return live ? live.finished.catch((error: unknown) => failedResult(live, error)) : null
  }

  async listModels(): Promise<ModelVersionInfo[]> {
    const store = this.options.store()
    return listModelVersionInfos(store.paths.dir('models'), this.live?.store === store ? (this.status.version ?? null) : null)
  }

  async evaluate(version: string, caseIds?: string[]): Promise<EvaluationReport> {
    if (this.live) throw new VoxloopError('BUSY', 'a training run is under way; evaluate when it has ended')
    const store = this.options.store()
    const ids = caseIds ?? curatedCases(store.listCases()).map((c) => c.id)
    if (ids.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no curated cases (done, with a saved label) to evaluate on')
    const cases = await this.caseFiles(store, ids, true)
    await this.options.engine.restartIfExited()
    return this.options.engine.call('model:evaluate', { version, modelsDir: store.paths.dir('models'), cases })
  }

  dispose(): void {
    this.unsubscribe()
    if (this.live) void this.cancel().catch(() => undefined)
  }

  private async trainRequest(store: ProjectStore, options: ParsedTrainingOptions): Promise<TrainRequest> {
    const manifest = store.getManifest()
    const all = store.listCases()
    let ids: string[]
    if (options.resume) {
      // The run's own plan names its cases; send every labelled one and let the engine pick.
      ids = all.filter((c) => c.hasLabel).map((c) => c.id)
    } else if (options.caseIds) {
      ids = options.caseIds
    } else {
      ids = curatedCases(all).map((c) => c.id)
      if (ids.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no curated cases to train on: mark labelled cases "done" first')
    }
    const unsaved = all.filter((c) => ids.includes(c.id) && c.hasUnsavedEdits).map((c) => c.id)
    if (unsaved.length > 0) {
      this.options.events.emit('app:notice', {
        level: 'warning',
        message: `Training uses saved labels; ${unsaved.length} case(s) have unsaved edits that it will not see (${unsaved.slice(0, 3).join(', ')}${unsaved.length > 3 ? ', …' : ''})`
      })
    }
    return {
      runId: randomUUID(),
      options,
      modelsDir: store.paths.dir('models'),
      cases: await this.caseFiles(store, ids, true),
      labels: manifest.labels,
      modality: manifest.modality
    }
  }

  private async caseFiles(store: ProjectStore, ids: readonly string[], needLabel: boolean): Promise<CaseFiles[]> {
    const files: CaseFiles[] = []
    for (const id of ids) {
      const summary = store.getCase(id)
      if (needLabel && !summary.hasLabel) throw new VoxloopError('INVALID_ARGUMENT', `case ${id} has no saved label`)
      files.push({
        id,
        imagePath: await store.paths.confine(store.paths.image(id)),
        labelPath: summary.hasLabel ? await store.paths.confine(store.paths.label(id)) : null
      })
    }
    return files
  }

  private onEngineEvent(event: EngineEventMessage): void {
    const live = this.live
    switch (event.name) {
      case 'train:started': {
        if (!live || event.payload.runId !== live.runId) return
        live.started = event.payload
        live.state = live.state === 'cancelling' ? 'cancelling' : 'running'
        this.status = { ...this.status, state: live.state, version: event.payload.version, started: event.payload }
        this.startedWaiters.get(live.runId)?.(event.payload)
        this.startedWaiters.delete(live.runId)
        return
      }
      case 'train:progress':
        if (!live || event.payload.runId !== live.runId) return
        this.status = { ...this.status, progress: event.payload }
        this.options.events.emit('training:progress', event.payload)
        return
      case 'train:epoch':
        if (!live || event.payload.runId !== live.runId) return
        this.status = { ...this.status, lastEpoch: event.payload }
        this.options.events.emit('training:epoch', event.payload)
        return
      case 'engine:log':
        this.options.log?.(`engine: ${event.payload.message}`)
        return
    }
  }

  private async onFinished(live: LiveRun, result: TrainingResult): Promise<void> {
    this.startedWaiters.delete(live.runId)
    if (this.live === live) this.live = null
    this.status = { ...this.status, state: 'idle', lastResult: result }
    if (result.bestEpoch !== null) await this.audit(live.store, result)
    this.options.events.emit('training:finished', result)
  }

  /** One 'model-version' audit entry per run that leaves a usable model. */
  private async audit(store: ProjectStore, result: TrainingResult): Promise<void> {
    const metrics: Record<string, number> = { epochs: result.epochsCompleted, bestEpoch: result.bestEpoch ?? 0 }
    if (result.best) {
      metrics.meanForegroundDice = result.best.meanForegroundDice
      for (const label of result.best.perLabel) metrics[`dice:${label.labelId}`] = label.dice
    }
    try {
      await store.appendAudit({ type: 'model-version', actor: `training:${result.status}`, modelVersion: result.version, metrics })
    } catch (error) {
      // The project may have been closed while the run trained; the version folder still records it.
      this.options.log?.(`Could not record model ${result.version} in the audit log: ${(error as Error).message}`)
    }
  }
}

function failedResult(live: LiveRun, error: unknown): TrainingResult {
  const serialized = serializeError(error)
  return {
    runId: live.runId,
    version: live.started?.version ?? '',
    status: 'failed',
    epochsCompleted: 0,
    step: 0,
    bestEpoch: null,
    best: null,
    last: null,
    history: [],
    seconds: 0,
    error: { code: serialized.code, message: serialized.message }
  }
}
