/**
 * Training, seen from main: starts and cancels runs in the engine process (never on main's own
 * thread), turns the engine's events into API events, records a finished run's model version in
 * the project's audit log, and lists and evaluates model versions.
 *
 * Main picks the cases (curated = status 'done' with a saved label, unless the caller names them),
 * confines their paths to the project folder and hands the engine file paths; the engine reads the
 * files itself and never opens the project store, whose lock this process holds. A run on the
 * default selection uses the project's recorded splits (caseSplits.ts): the 'train' cases train,
 * the 'validation' ones validate, the 'test' ones are never sent.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { EngineClient } from '../../engine/EngineClient'
import type { EventHub } from '../../app/EventHub'
import type { CaseFiles, EngineEventMessage, TrainRequest } from '../../../shared/engineProtocol'
import { serializeError, VoxloopError } from '../../../shared/errors'
import { fineTuneMismatch, labelList, labelsToTrain, labelsWithoutVoxels, type LabelRef } from '../../../shared/modelLabels'
import type { CaseSplit, CaseSummary, LabelDef } from '../../../shared/project'
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
import { listModelVersionInfos, modelLabelsOf, readRunJson } from './modelVersionList'
import { writeTestEvaluation, TEST_EVALUATION_JSON } from './testEvaluation'
import { resolveModelVersion } from '../../../node/models/modelVersions'

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
  target: ModelsTarget | null
  state: 'starting' | 'running' | 'cancelling'
  started: TrainingStarted | null
  finished: Promise<TrainingResult>
}

/** How a run stopped before its first step ends its start() (the panel and the CLI show it as is). */
export const STOPPED_WHILE_PREPARING = 'training stopped while the cases were being prepared; no model version was made'

const IDLE_STATUS: TrainingStatus = { state: 'idle', runId: null, version: null, started: null, progress: null, lastEpoch: null, preparing: null, lastResult: null }

/** Curated cases: marked done and with a saved label file. */
export function curatedCases(cases: readonly CaseSummary[]): CaseSummary[] {
  return cases.filter((c) => c.status === 'done' && c.hasLabel)
}

/**
 * Where a run's model version is written and how its audit entry names it. Default: the project's
 * models/ folder (the versions the app lists and predicts with). Cross-validation writes its fold
 * models elsewhere (crossValidation.ts) so they are never taken for the project's model.
 */
export interface ModelsTarget {
  /** An absolute folder inside the project, already confined by the caller. */
  modelsDir: string
  /** Audit actor prefix; the run's status is appended (default 'training'). */
  actor: string
}

/** The cases `evaluate` scores: the ids listed, or the curated cases of one recorded split. */
export type EvaluationSelection = string[] | { split: CaseSplit }

export class TrainingService {
  private live: LiveRun | null = null
  /**
   * A start still picking its cases, before the engine has the run: a Stop then is remembered and
   * the start ends there (the engine is never asked), rather than being answered "nothing to stop".
   */
  private pendingStart: { cancelRequested: boolean } | null = null
  private status: TrainingStatus = { ...IDLE_STATUS }
  /** The project whose run `status` describes (null before the first run). */
  private statusOwner: ProjectStore | null = null
  private readonly unsubscribe: () => void
  /** start() calls waiting for their run's train:started event. */
  private readonly startedWaiters = new Map<string, (started: TrainingStarted) => void>()

  constructor(private readonly options: TrainingServiceOptions) {
    this.unsubscribe = options.engine.onEvent((event) => this.onEngineEvent(event))
  }

  /**
   * The status of the open project's runs. A run started in another project (still live, or how it
   * ended) is not this project's: answered as idle, so that its panel does not show another
   * project's run (issue #15 item 4). Starting one here while it is live is still refused (BUSY).
   */
  getStatus(): TrainingStatus {
    if (this.statusOwner !== null && this.statusOwner !== this.openStore()) return { ...IDLE_STATUS }
    return structuredClone(this.status)
  }

  private openStore(): ProjectStore | null {
    try {
      return this.options.store()
    } catch {
      return null
    }
  }

  /**
   * Starts a run; resolves once the engine has planned it (cases read, version folder made).
   * `target`: where the version goes instead of models/ (cross-validation only; not on the API).
   */
  async start(options: ParsedTrainingOptions, target?: ModelsTarget): Promise<TrainingStarted> {
    if (this.live || this.pendingStart) throw new VoxloopError('BUSY', `a training run is already under way (${this.live?.started?.version ?? 'starting'}); cancel it first`)
    const store = this.options.store()
    // A model version is written into the project's models/ folder.
    store.requireWritable()
    const pending = { cancelRequested: false }
    this.pendingStart = pending
    let request: TrainRequest
    try {
      // A version the user named by its number (`--resume v3`, `--from v0002`) becomes its folder's name, or is refused naming those there are.
      const modelsDir = target?.modelsDir ?? store.paths.dir('models')
      if (options.resume !== undefined) options = { ...options, resume: await resolveModelVersion(modelsDir, options.resume) }
      if (options.fromModel !== undefined) options = { ...options, fromModel: await resolveModelVersion(modelsDir, options.fromModel) }
      request = await this.trainRequest(store, options)
      if (target) request.modelsDir = target.modelsDir
      await this.options.engine.restartIfExited()
    } finally {
      this.pendingStart = null
    }
    if (pending.cancelRequested) throw new VoxloopError('CANCELLED', STOPPED_WHILE_PREPARING)

    const finished = this.options.engine.call('train:start', request)
    const live: LiveRun = { runId: request.runId, store, target: target ?? null, state: 'starting', started: null, finished }
    this.live = live
    this.statusOwner = store
    this.status = { ...this.status, state: 'starting', runId: request.runId, version: null, started: null, progress: null, lastEpoch: null, preparing: null, lastResult: null }
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
      finished.then(
        // A Stop while the engine prepared the cases: it ends the run before planning it (no version).
        (result) => reject(result.status === 'cancelled' ? new VoxloopError('CANCELLED', STOPPED_WHILE_PREPARING) : new VoxloopError('INTERNAL', 'the engine ended the run without planning it')),
        reject
      )
    })
  }

  /**
   * Asks the live run to stop after its current step (or, while its cases are prepared, before the
   * next case); resolves to false when none is live or starting.
   */
  async cancel(): Promise<{ cancelled: boolean }> {
    const live = this.live
    if (!live) {
      if (!this.pendingStart) return { cancelled: false }
      this.pendingStart.cancelRequested = true
      return { cancelled: true }
    }
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
    const testCaseIds = curatedCases(store.listCases())
      .filter((c) => c.split === 'test')
      .map((c) => c.id)
    return listModelVersionInfos(store.paths.dir('models'), this.live?.store === store ? (this.status.version ?? null) : null, testCaseIds, store.getManifest().labels)
  }

  /**
   * Scores a version on the cases listed, on the curated cases of one recorded split, or (neither)
   * on every curated case. `modelsDir`: where the version is, when not in models/ (cross-validation).
   * A project version's report on the test split is kept as its test figures (testEvaluation.ts);
   * a project that cannot be written still gets the report, only not kept.
   */
  async evaluate(version: string, selection?: EvaluationSelection, modelsDir?: string): Promise<EvaluationReport> {
    if (this.live) throw new VoxloopError('BUSY', 'a training run is under way; evaluate when it has ended')
    const store = this.options.store()
    const ids = selection === undefined ? curatedCases(store.listCases()).map((c) => c.id) : Array.isArray(selection) ? selection : casesOfSplit(store, selection.split)
    if (ids.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no curated cases (done, with a saved label) to evaluate on')
    const versionsDir = modelsDir ?? store.paths.dir('models')
    // Checked before any case is read: a mistyped version fails at once, naming those there are.
    version = await resolveModelVersion(versionsDir, version)
    const cases = await this.caseFiles(store, ids, true)
    await this.options.engine.restartIfExited()
    const report = await this.options.engine.call('model:evaluate', { version, modelsDir: versionsDir, cases })
    if (modelsDir === undefined && selection !== undefined && !Array.isArray(selection) && selection.split === 'test' && !store.readOnly) {
      await this.keepTestFigures(store, version, report, ids)
    }
    return report
  }

  private async keepTestFigures(store: ProjectStore, version: string, report: EvaluationReport, caseIds: readonly string[]): Promise<void> {
    const versionDir = store.paths.modelDir(version)
    await store.paths.confine(path.join(versionDir, TEST_EVALUATION_JSON))
    try {
      await writeTestEvaluation(versionDir, report, caseIds)
    } catch (error) {
      // The report is still answered; the table would show older figures (or none): say why.
      const message = `The test figures of ${version} could not be kept in its folder: ${(error as Error).message}`
      this.options.log?.(message)
      this.options.events.emit('app:notice', { level: 'warning', message })
    }
  }

  dispose(): void {
    this.unsubscribe()
    if (this.live) void this.cancel().catch(() => undefined)
  }

  private async trainRequest(store: ProjectStore, options: ParsedTrainingOptions): Promise<TrainRequest> {
    const manifest = store.getManifest()
    const all = store.listCases()
    let ids: string[]
    let validationCaseIds: string[] | undefined
    if (options.resume) {
      // The run's own plan names its cases; send every labelled one and let the engine pick.
      ids = all.filter((c) => c.hasLabel).map((c) => c.id)
    } else if (options.caseIds) {
      ids = options.caseIds
      this.warnAboutTestCases(all, ids)
    } else {
      const curated = curatedCases(all).map((c) => c.id)
      if (curated.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no curated cases to train on: mark labelled cases "done" first')
      // The project's fixed splits: new curated cases get theirs now, the others keep theirs.
      const splits = await store.assignSplits(curated)
      const assigned = all.filter((c) => c.split === null && splits.has(c.id)).map((c) => c.id)
      // The case list shows each case's split: let it refresh.
      if (assigned.length > 0) this.options.events.emit('cases:changed', { caseIds: assigned })
      const inSplit = (split: CaseSplit): string[] => curated.filter((id) => splits.get(id) === split)
      const training = inSplit('train')
      validationCaseIds = inSplit('validation')
      if (training.length === 0) {
        throw new VoxloopError(
          'INVALID_ARGUMENT',
          `no curated case is in the training split (validation ${validationCaseIds.length}, test ${inSplit('test').length}): move some to 'train' (cases:setSplit) or name the cases to train on`
        )
      }
      ids = [...training, ...validationCaseIds]
    }
    const unsaved = all.filter((c) => ids.includes(c.id) && c.hasUnsavedEdits).map((c) => c.id)
    if (unsaved.length > 0) {
      this.options.events.emit('app:notice', {
        level: 'warning',
        message: `Training uses saved labels; ${unsaved.length} case(s) have unsaved edits that it will not see (${unsaved.slice(0, 3).join(', ')}${unsaved.length > 3 ? ', …' : ''})`
      })
    }
    // Case files first: an unknown or unlabelled case is named (NOT_FOUND / INVALID_ARGUMENT) before labels are weighed.
    const cases = await this.caseFiles(store, ids, true)
    const { labels, excludedLabels } = options.resume ? { labels: manifest.labels, excludedLabels: [] } : await this.labelsToTrain(store, all, ids, validationCaseIds, options.fromModel)
    return {
      runId: randomUUID(),
      options,
      modelsDir: store.paths.dir('models'),
      // Prepared cases, derived from images and labels and rebuilt when missing (issue #13 item 10);
      // the project's one cache, also for cross-validation folds whose models go elsewhere.
      cacheDir: await store.paths.confine(store.paths.resolveRelative(path.join('cache', 'preprocessed'))),
      cases,
      ...(validationCaseIds ? { validationCaseIds } : {}),
      labels,
      ...(excludedLabels.length > 0 ? { excludedLabels } : {}),
      modality: manifest.modality
    }
  }

  /**
   * The labels a new run trains (issue #15 item 7): a label without a voxel in the training cases
   * is left out, with a notice naming it (a class never seen is learned as noise); when none is
   * left, or a fine-tuned base does not predict exactly these labels, the run is refused here with
   * what to do, before any case is read.
   */
  private async labelsToTrain(
    store: ProjectStore,
    all: readonly CaseSummary[],
    ids: readonly string[],
    validationCaseIds: readonly string[] | undefined,
    fromModel: string | undefined
  ): Promise<{ labels: LabelDef[]; excludedLabels: LabelDef[] }> {
    const table = store.getManifest().labels
    if (table.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'the project has no labels to train: add at least one to its label table')
    // The cases that teach the model: the train split, or every named case (the engine draws the
    // validation ones from them, so a label must have voxels somewhere among them).
    const validation = new Set(validationCaseIds ?? [])
    const training = all.filter((c) => ids.includes(c.id) && !validation.has(c.id))
    const base = fromModel ? await this.baseLabels(store, fromModel) : null
    const { train, excluded } = labelsToTrain(table, labelsWithoutVoxels(table, training), base)
    if (train.length === 0) {
      throw new VoxloopError(
        'INVALID_ARGUMENT',
        `none of the project's labels (${labelList(table)}) has a voxel in the ${training.length} training case(s): label some cases and mark them done first`
      )
    }
    if (base && fromModel) {
      const mismatch = fineTuneMismatch(fromModel, base, train.map((l) => ({ labelId: l.id, name: l.name })))
      if (mismatch) throw new VoxloopError('INVALID_ARGUMENT', mismatch)
    }
    if (excluded.length > 0) {
      this.options.events.emit('app:notice', {
        level: 'warning',
        message: `Left out of this model: ${labelList(excluded)} — no voxel in the ${training.length} training case(s), so it could only learn noise. Label some cases with it and retrain to include it.`
      })
    }
    return { labels: train, excludedLabels: excluded }
  }

  /** The labels a fine-tuning base predicts (its plan's classes). */
  private async baseLabels(store: ProjectStore, version: string): Promise<LabelRef[]> {
    const dir = await store.paths.confine(store.paths.modelDir(version))
    try {
      return modelLabelsOf(await readRunJson(dir))
    } catch (error) {
      throw new VoxloopError('INVALID_ARGUMENT', `model ${version} cannot be fine-tuned: its run.json cannot be read (${(error as Error).message.split('\n')[0]})`)
    }
  }

  /** Training on named cases may take test cases; allowed (the user chose them), but said. */
  private warnAboutTestCases(all: readonly CaseSummary[], ids: readonly string[]): void {
    const named = new Set(ids)
    const test = all.filter((c) => named.has(c.id) && c.split === 'test').map((c) => c.id)
    if (test.length === 0) return
    this.options.events.emit('app:notice', {
      level: 'warning',
      message: `${test.length} of the cases named for training are in the project's test split (${test.slice(0, 3).join(', ')}${test.length > 3 ? ', …' : ''}): this model's test figures will not be honest`
    })
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
      case 'train:preparing':
        if (!live || event.payload.runId !== live.runId) return
        this.status = { ...this.status, preparing: event.payload }
        this.options.events.emit('training:preparing', event.payload)
        return
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
    this.status = { ...this.status, state: 'idle', preparing: null, lastResult: result }
    if (result.bestEpoch !== null) await this.audit(live.store, result, live.target?.actor ?? 'training')
    this.options.events.emit('training:finished', result)
  }

  /** One 'model-version' audit entry per run that leaves a usable model. */
  private async audit(store: ProjectStore, result: TrainingResult, actor: string): Promise<void> {
    const metrics: Record<string, number> = { epochs: result.epochsCompleted, bestEpoch: result.bestEpoch ?? 0 }
    if (result.best) {
      metrics.meanForegroundDice = result.best.meanForegroundDice
      for (const label of result.best.perLabel) metrics[`dice:${label.labelId}`] = label.dice
    }
    try {
      await store.appendAudit({ type: 'model-version', actor: `${actor}:${result.status}`, modelVersion: result.version, metrics })
    } catch (error) {
      // The project may have been closed while the run trained; the version folder still records it.
      this.options.log?.(`Could not record model ${result.version} in the audit log: ${(error as Error).message}`)
    }
  }
}

/** The curated cases of one recorded split, in id order; refused with the counts when there are none. */
export function casesOfSplit(store: ProjectStore, split: CaseSplit): string[] {
  const curated = curatedCases(store.listCases())
  const ids = curated.filter((c) => c.split === split).map((c) => c.id)
  if (ids.length === 0) {
    const assigned = curated.filter((c) => c.split !== null).length
    const why =
      assigned === 0
        ? 'no curated case has a split yet (a training run on the default selection assigns them)'
        : split === 'test'
          ? `${assigned} curated case(s) have a split and none is in 'test' (a test split is kept from 20 cases on)`
          : `${assigned} curated case(s) have a split and none is in '${split}'`
    throw new VoxloopError('INVALID_ARGUMENT', `no curated cases in the ${split} split: ${why}`)
  }
  return ids
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
