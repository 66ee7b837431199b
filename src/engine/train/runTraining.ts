/**
 * The training loop of one run, in the engine process:
 *
 *   plan (or read the plan of the run being resumed) → fingerprint and prepare the cases, one at a
 *   time, into the preprocessed cache (preprocessed/preprocessedCache.ts) → model
 *   (new, fine-tuned from a version, or the last checkpoint) → per epoch: steps, validation of the
 *   held-out cases, early stopping, checkpoint + run.json → result.
 *
 * Reproducible: the weights' initialisers, the split, every batch and its augmentation derive from
 * the run seed, and the learning rate is a function of the step; a checkpoint holds the rest (weights,
 * optimiser slots, sampler and early-stopping state), so a resumed run repeats the uninterrupted one.
 * Responsive: the loop yields to the event loop after every step and every validation batch, so a
 * cancel message is seen within one step.
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainRequest } from '../../shared/engineProtocol'
import { serializeError, VoxloopError } from '../../shared/errors'
import type { VolumeHeader } from '../../shared/volume'
// Plain Node code shared with main (no Electron, no store): the one NIfTI reader of the app.
import { readNiftiHeader } from '../../node/formats/nifti'
import type { PostprocessingPlan } from '../../shared/postprocessing'
import { deriveSeed } from '../../shared/random'
import {
  lossOfPlan,
  RUN_FORMAT_VERSION,
  type EpochSummary,
  type RunStatus,
  type TrainingEpochEvent,
  type TrainingPlan,
  type TrainingPreparing,
  type TrainingProgress,
  type TrainingResult,
  type TrainingRunRecord,
  type TrainingStarted,
  type ValidationScores
} from '../../shared/training'
import { BatchSampler } from '../data/BatchSampler'
import { chooseNormalization } from '../data/fingerprint'
import { canonicalTurn, turnedVec3 } from '../data/reorient'
import { shapeFromDims } from '../data/layout'
import { buildFromPlan } from '../model/architectures'
import { filesForIds, prepareOptionsOf } from './caseVolumes'
import { checkpointName, loadCheckpointModel, pruneCheckpoints, readCheckpointContents, writeCheckpoint, type CheckpointContents } from './checkpoint'
import { INITIAL_EARLY_STOPPING, updateEarlyStopping } from './earlyStopping'
import { INITIAL_PLATEAU, learningRateAt, plateauScale, updatePlateau } from './lrSchedule'
import { createOptimizer } from './optimizers'
import { ETA_MIN_STEPS, ProgressMeter } from './progressMeter'
import { createVersionFolder, readRunRecord, versionDir, writeRunRecord } from './runRecord'
import { classesFromLabels } from './trainingClasses'
import { defaultPlateauPatience, epochsForBudget, planTraining, warmupStepsFor, type BasePlan } from './trainingPlan'
import { samplerAugmentationOf } from './augmentationPlan'
import { activeGpuHost } from '../gpuHost/activeGpuHost'
import { openStepper } from './parallel/openStepper'
import { chooseTrainingWorkers } from './parallel/trainingWorkers'
import { stepModel, type TrainingStepper } from './trainStep'
import { validateModel } from './validate'
import { cacheDirOf, describeSource, PreprocessedCache, type CachedCase, type CaseProgress, type CaseSource } from './preprocessed/preprocessedCache'
import { choiceWorkInValidations, choosePostprocessingForRun, type PostprocessingChoiceInputs } from './postprocessingChoice'

export interface TrainingEventSink {
  started(payload: TrainingStarted): void
  progress(payload: TrainingProgress): void
  epoch(payload: TrainingEpochEvent): void
  /** Data preparation before the run is planned (optional: tests and tools may not follow it). */
  preparing?(payload: TrainingPreparing): void
}

export interface RunControl {
  /** Read before every step and validation batch. */
  readonly cancelRequested: boolean
}

export interface RunTrainingOptions {
  events: TrainingEventSink
  control: RunControl
  /** Milliseconds clock; default performance.now. */
  now?: () => number
  /** Fewest milliseconds between two step progress events (the last step of an epoch always sends one); default 250. */
  progressIntervalMs?: number
  /** Seed for runs that give none; default random (it is recorded in the plan). */
  drawSeed?: () => number
}

const RESUMABLE: ReadonlySet<RunStatus> = new Set(['running', 'cancelled', 'stopped', 'failed'])

/**
 * Steps timed before a time-budgeted run first sizes its epochs (the first ones warm kernels up);
 * the ETA appears at the same step, so it is never computed from epochs not yet sized.
 */
const BUDGET_CALIBRATION_STEPS = ETA_MIN_STEPS

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Seeds of the run's independent random streams. */
const samplerSeed = (plan: TrainingPlan): number => deriveSeed(plan.seed, 0xba7c)

interface RunSetup {
  dir: string
  version: string
  record: TrainingRunRecord
  checkpoint: CheckpointContents | null
  /** The preprocessed cache the run reads its cases from (closed when the run ends). */
  cache: PreprocessedCache
  /** Sources and cached files of plan.trainingCaseIds then plan.validationCaseIds. */
  sources: CaseSource[]
  cached: CachedCase[]
  base: { dir: string; best: string } | null
}

/** The labelled cases' files, identified for the cache; nothing is read but the label bytes (hashed). */
async function describeSources(request: TrainRequest, ids: readonly string[], classes: TrainingPlan['classes'], why: string): Promise<CaseSource[]> {
  const sources: CaseSource[] = []
  for (const file of filesForIds(ids, request.cases, why)) {
    if (!file.labelPath) throw new VoxloopError('INVALID_ARGUMENT', `case ${file.id} has no saved label; only labelled cases can train`)
    sources.push(await describeSource(file, classes))
  }
  return sources
}

/** Per-case progress of the two preparation stages, for TrainingEventSink.preparing. */
type PreparationProgress = (stage: TrainingPreparing['stage']) => CaseProgress

async function resumeSetup(request: TrainRequest, version: string, preparing: PreparationProgress): Promise<RunSetup> {
  const dir = versionDir(request.modelsDir, version)
  const record = await readRunRecord(dir)
  if (!RESUMABLE.has(record.status)) throw new VoxloopError('INVALID_ARGUMENT', `model ${version} finished (${record.status}); there is nothing to resume`)
  const checkpoint = record.checkpoints.last ? await readCheckpointContents(dir, record.checkpoints.last) : null
  const { plan } = record
  const sources = await describeSources(request, [...plan.trainingCaseIds, ...plan.validationCaseIds], plan.classes, `resuming ${version}`)
  const cache = new PreprocessedCache(cacheDirOf(request))
  const cached = await cache.prepare(sources, plan.classes, prepareOptionsOf(plan), preparing('cache'))
  let base: RunSetup['base'] = null
  if (!checkpoint && plan.fromModel) base = await baseModelOf(request, plan.fromModel)
  return { dir, version, record: { ...record, status: 'running', error: null }, checkpoint, cache, sources, cached, base }
}

async function baseModelOf(request: TrainRequest, version: string): Promise<{ dir: string; best: string; plan: BasePlan }> {
  const dir = versionDir(request.modelsDir, version)
  const record = await readRunRecord(dir)
  if (!record.checkpoints.best) throw new VoxloopError('INVALID_ARGUMENT', `model ${version} has no trained epoch to fine-tune from`)
  return { dir, best: record.checkpoints.best, plan: { version, plan: record.plan } }
}

/** Thrown out of the preparation (caught in runTraining): a run stopped before its first step. */
function throwIfCancelledWhilePreparing(control: RunControl): void {
  if (control.cancelRequested) throw new VoxloopError('CANCELLED', 'training stopped while its cases were being prepared')
}

async function newRunSetup(request: TrainRequest, backend: string, drawSeed: () => number, preparing: PreparationProgress, control: RunControl): Promise<RunSetup> {
  const { options } = request
  const base = options.fromModel ? await baseModelOf(request, options.fromModel) : null
  const classes = base ? base.plan.plan.classes : classesFromLabels(request.labels)
  const ids = request.cases.map((c) => c.id)
  // Planning needs only the headers; the voxels are read one case at a time below.
  const headers: { id: string; header: VolumeHeader }[] = []
  for (const file of filesForIds(ids, request.cases, 'training')) {
    if (!file.labelPath) throw new VoxloopError('INVALID_ARGUMENT', `case ${file.id} has no saved label; only labelled cases can train`)
    headers.push({ id: file.id, header: await readNiftiHeader(file.imagePath) })
  }
  const planned = planTraining({
    options,
    // In the canonical (RAS) axis order prepareCase turns every case to, so that a dataset mixing
    // orientations gets one spacing and patch per anatomical axis.
    cases: headers.map(({ id, header }) => {
      const turn = canonicalTurn(header.rasFromIjk)
      return { id, shape: shapeFromDims(turnedVec3(header.dims, turn)), spacingMm: turnedVec3(header.spacing, turn), channels: header.channels }
    }),
    labels: request.labels,
    modality: request.modality,
    backend,
    seed: options.seed ?? drawSeed(),
    base: base?.plan ?? null,
    // Fixed validation split (#13): the project's recorded validation cases when main sends them.
    validationCaseIds: request.validationCaseIds
  })
  const sources = await describeSources(request, [...planned.trainingCaseIds, ...planned.validationCaseIds], classes, 'training')
  const cache = new PreprocessedCache(cacheDirOf(request))
  // Measured on the training cases only, so nothing about the validation cases leaks into the model.
  // A fine-tuned model keeps its base's normalisation: its weights were learned on those inputs.
  // Only a new CT model's preparation waits for the fingerprint; any other is known now, and a case
  // read for its fingerprint is then prepared in the same read.
  const knownPreparation = base || planned.modality !== 'CT' ? prepareOptionsOf({ ...planned, normalization: base?.plan.plan.normalization }) : null
  const fingerprint = await cache.fingerprint(sources.slice(0, planned.trainingCaseIds.length), classes, knownPreparation, preparing('fingerprint'))
  const normalization = base?.plan.plan.normalization ?? (base ? undefined : chooseNormalization(planned.modality, fingerprint))
  const plan: TrainingPlan = {
    ...planned,
    fingerprint,
    ...(normalization ? { normalization } : {}),
    // Main left these out of request.labels (no voxel in the training cases); the plan says so.
    ...(request.excludedLabels?.length ? { excludedLabels: request.excludedLabels.map((l) => ({ labelId: l.id, name: l.name })) } : {}),
    workers: chooseTrainingWorkers(backend, planned.batchSize).workers
  }
  const cached = await cache.prepare(sources, classes, prepareOptionsOf(plan), preparing('cache'))
  throwIfCancelledWhilePreparing(control)
  const { version, dir } = await createVersionFolder(request.modelsDir)
  const now = new Date().toISOString()
  const record: TrainingRunRecord = {
    formatVersion: RUN_FORMAT_VERSION,
    version,
    runId: request.runId,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    plan,
    history: [],
    bestEpoch: null,
    bestDice: null,
    checkpoints: { best: null, last: null },
    error: null
  }
  await writeRunRecord(dir, record)
  return { dir, version, record, checkpoint: null, cache, sources, cached, base: base ? { dir: base.dir, best: base.best } : null }
}

function memory(): { numTensors: number; numBytes: number } {
  const { numTensors, numBytes } = tf.memory()
  return { numTensors, numBytes }
}

/** How often the ETA is sent while the post-processing is chosen after the last epoch. */
const CHOICE_PROGRESS_INTERVAL_MS = 1000

/** Trains one run to its end; throws (after recording 'failed' in run.json) when it fails. */
export async function runTraining(request: TrainRequest, options: RunTrainingOptions): Promise<TrainingResult> {
  const now = options.now ?? (() => performance.now())
  const startedAt = now()
  // The desktop app's GPU window computes the steps while the engine's own backend is wasm: the plan
  // records webgpu, as with Dawn in the engine, since that is where the run's work happens.
  const backend = activeGpuHost() ? 'webgpu' : tf.getBackend()
  // Reading and preparing the cases can take a minute before the first step: say how far it is.
  // A Stop while the cases are prepared is honoured between cases: the run ends before it has a
  // version folder (nothing to clean up), instead of preparing every case and then stopping.
  const preparing: PreparationProgress = (stage) => (done, total, caseId) => {
    options.events.preparing?.({ runId: request.runId, stage, done, total, caseId, elapsedSeconds: (now() - startedAt) / 1000 })
    throwIfCancelledWhilePreparing(options.control)
  }
  let setup: RunSetup
  try {
    setup = request.options.resume
      ? await resumeSetup(request, request.options.resume, preparing)
      : await newRunSetup(request, backend, options.drawSeed ?? (() => Math.floor(Math.random() * 0x100000000)), preparing, options.control)
  } catch (error) {
    if (!(error instanceof VoxloopError && error.code === 'CANCELLED')) throw error
    // No version was made (or, resuming, the version's run.json is as it was): nothing trained.
    return {
      runId: request.runId,
      version: request.options.resume ?? '',
      status: 'cancelled',
      epochsCompleted: 0,
      step: 0,
      bestEpoch: null,
      best: null,
      last: null,
      history: [],
      seconds: (now() - startedAt) / 1000,
      error: null,
      postprocessing: null
    }
  }
  const { dir, version, record, checkpoint } = setup
  const plan = record.plan
  record.runId = request.runId

  let model: tf.LayersModel | null = null
  let optimizer: ReturnType<typeof createOptimizer> | null = null
  let stepper: TrainingStepper | null = null
  try {
    const trainingCount = plan.trainingCaseIds.length
    const prepareOptions = prepareOptionsOf(plan)
    // Training patches are read from the cache files box by box, held-out cases whole one at a time:
    // the run holds no case in memory beyond the one validated (issue #13 item 10).
    const training = setup.cached.slice(0, trainingCount).map((c) => setup.cache.samplerCase(c))
    const heldOut = setup.cached.slice(trainingCount).map((c, n) => setup.cache.heldOut(c, setup.sources[trainingCount + n] as CaseSource, plan.classes, prepareOptions))

    model = checkpoint && record.checkpoints.last
      ? await loadCheckpointModel(dir, record.checkpoints.last)
      : setup.base
        ? await loadCheckpointModel(setup.base.dir, setup.base.best)
        : buildFromPlan(plan)
    const target = stepModel(model)
    optimizer = createOptimizer({ kind: plan.optimizer, learningRate: plan.learningRate, momentum: plan.momentum })
    if (checkpoint) await optimizer.setState(checkpoint.optimizer)
    const opened = await openStepper(target, optimizer.optimizer, plan.workers ?? 1, lossOfPlan(plan))
    stepper = opened.stepper
    if (opened.fallback) {
      console.warn(`voxloop: ${opened.fallback}`)
      plan.workers = opened.workers
    }
    const sampler = new BatchSampler(
      training,
      {
        patchShape: plan.patchSize,
        batchSize: plan.batchSize,
        foregroundProbability: plan.foregroundProbability,
        foregroundMode: 'quota',
        augmentation: samplerAugmentationOf(plan),
        seed: samplerSeed(plan)
      },
      checkpoint?.sampler
    )

    let epochsDone = checkpoint?.epoch ?? 0
    let step = checkpoint?.step ?? 0
    let early = checkpoint?.earlyStopping ?? INITIAL_EARLY_STOPPING
    // The 'plateau' schedule's reductions so far: the rate a resumed run continues at.
    let plateau = checkpoint?.plateau ?? INITIAL_PLATEAU
    const history: EpochSummary[] = [...(checkpoint?.history ?? [])]
    let totalSteps = plan.epochs * plan.stepsPerEpoch
    const schedule = { kind: plan.schedule, peak: plan.learningRate, totalSteps, warmupSteps: plan.warmupSteps, plateauScale: plateauScale(plateau) }
    const meter = new ProgressMeter({ batchSize: plan.batchSize, stepsPerEpoch: plan.stepsPerEpoch, totalSteps })
    // The post-processing choice after the last epoch predicts the validation cases once per
    // tile-grid pass (8 for a hippocampus case): that time belongs to the budget and the ETA.
    meter.setFinalWork(choiceWorkInValidations(plan, setup.cached.slice(trainingCount).map((c) => c.header.shape)))
    // A time-budgeted run sizes its epochs from the measured speed: once the first steps are timed
    // (so the ETA is right from the first minute), then after every epoch with its validation time.
    const budgetSeconds = plan.timeBudgetSeconds ?? null
    const elapsedBefore = history.reduce((sum, entry) => sum + entry.seconds, 0)
    const calibrateAtStep = step + BUDGET_CALIBRATION_STEPS
    const resizeToBudget = (): void => {
      const secondsPerStep = meter.secondsPerStepEstimate()
      if (budgetSeconds === null || secondsPerStep === null) return
      const epochs = epochsForBudget({
        budgetSeconds,
        elapsedSeconds: elapsedBefore + (now() - startedAt) / 1000,
        stepsDone: step,
        stepsPerEpoch: plan.stepsPerEpoch,
        secondsPerStep,
        epochOverheadSeconds: meter.epochOverheadEstimate(),
        targetSteps: plan.targetSteps ?? null,
        finalSeconds: meter.finalSecondsEstimate()
      })
      if (epochs === plan.epochs) return
      // A warm-up that follows the default rule follows the new length: sized for the first estimate
      // (600 steps for a small project), it was the whole of a one-minute run, which then never
      // annealed. A warm-up the user set stays as set (unless it equals the rule's, which then
      // follows the rule: indistinguishable, and harmless).
      const derivedWarmup = plan.warmupSteps === warmupStepsFor(totalSteps)
      plan.epochs = epochs
      totalSteps = epochs * plan.stepsPerEpoch
      schedule.totalSteps = totalSteps
      if (derivedWarmup) {
        plan.warmupSteps = warmupStepsFor(totalSteps)
        schedule.warmupSteps = plan.warmupSteps
      }
      meter.setTotalSteps(totalSteps)
    }
    let lastValidation: ValidationScores | null = history.at(-1)?.validation ?? null
    let lastLoss: number | null = null
    let learningRate = learningRateAt(Math.min(step, totalSteps - 1), schedule)
    let lastProgressAt = -Infinity

    options.events.started({ runId: request.runId, version, resumed: request.options.resume !== undefined, startEpoch: epochsDone + 1, plan })
    // `etaSeconds` is given only after the last epoch, where the meter counts down the final work.
    const progress = (phase: TrainingProgress['phase'], epoch: number, stepInEpoch: number, etaSeconds = meter.etaSeconds(step, epochsDone)): void => {
      lastProgressAt = now()
      options.events.progress({
        runId: request.runId,
        version,
        phase,
        epoch,
        epochs: plan.epochs,
        step,
        stepInEpoch,
        stepsPerEpoch: plan.stepsPerEpoch,
        totalSteps,
        loss: lastLoss,
        learningRate,
        patchesPerSecond: meter.patchesPerSecond(),
        etaSeconds,
        elapsedSeconds: (now() - startedAt) / 1000,
        memory: memory(),
        lastValidation
      })
    }
    const betweenValidationBatches = async (): Promise<void> => {
      await yieldToEventLoop()
      if (options.control.cancelRequested) throw new VoxloopError('CANCELLED', 'training cancelled during validation')
    }

    let status: RunStatus = 'completed'
    progress('preparing', epochsDone + 1, 0)
    epochs: for (let epoch = epochsDone + 1; epoch <= plan.epochs; epoch++) {
      const epochStartedAt = now()
      let lossSum = 0
      for (let stepInEpoch = 0; stepInEpoch < plan.stepsPerEpoch; stepInEpoch++) {
        if (options.control.cancelRequested) {
          status = 'cancelled'
          break epochs
        }
        learningRate = learningRateAt(step, schedule)
        optimizer.setLearningRate(learningRate)
        const stepStartedAt = now()
        lastLoss = await stepper.step(sampler.next())
        step++
        lossSum += lastLoss
        meter.recordStep((now() - stepStartedAt) / 1000)
        if (step === calibrateAtStep) resizeToBudget()
        const lastOfEpoch = stepInEpoch === plan.stepsPerEpoch - 1
        if (lastOfEpoch || now() - lastProgressAt >= (options.progressIntervalMs ?? 250)) progress('training', epoch, stepInEpoch + 1)
        await yieldToEventLoop()
      }

      const overheadStartedAt = now()
      progress('validating', epoch, plan.stepsPerEpoch)
      let validation: ValidationScores | null
      try {
        const validationStartedAt = now()
        validation = await validateModel(model, heldOut, plan, betweenValidationBatches, stepper.predictTiles)
        if (validation) meter.recordValidation((now() - validationStartedAt) / 1000)
      } catch (error) {
        if (error instanceof VoxloopError && error.code === 'CANCELLED') {
          status = 'cancelled'
          break
        }
        throw error
      }
      lastValidation = validation ?? lastValidation
      const update = updateEarlyStopping(early, epoch, validation?.meanForegroundDice ?? null, plan.patience)
      early = update.state
      if (plan.schedule === 'plateau') {
        // The same score early stopping watches; the lower rate applies from the next step.
        plateau = updatePlateau(plateau, validation?.meanForegroundDice ?? null, plan.plateauPatience ?? defaultPlateauPatience(plan.patience)).state
        schedule.plateauScale = plateauScale(plateau)
      }
      history.push({ epoch, trainLoss: lossSum / plan.stepsPerEpoch, validation, learningRate, seconds: (now() - epochStartedAt) / 1000, step })

      progress('saving', epoch, plan.stepsPerEpoch)
      const path = await writeCheckpoint(
        dir,
        checkpointName(epoch),
        model,
        { epoch, step, optimizer: await optimizer.getState(), sampler: sampler.getState(), earlyStopping: early, plateau, history },
        {
          architecture: { builder: 'unet3d', options: plan.model },
          training: { runId: request.runId, version, epoch, step, classes: plan.classes, patchSize: plan.patchSize, targetSpacingMm: plan.targetSpacingMm, validation }
        }
      )
      epochsDone = epoch
      const stop: RunStatus | null = update.stop && epoch < plan.epochs ? 'early-stopped' : request.stopAfterEpoch === epoch && epoch < plan.epochs ? 'stopped' : null
      Object.assign(record, {
        status: stop ?? (epoch === plan.epochs ? 'completed' : 'running'),
        updatedAt: new Date().toISOString(),
        history: [...history],
        bestEpoch: early.bestEpoch,
        bestDice: early.bestScore,
        checkpoints: { best: update.improved ? path : record.checkpoints.best, last: path }
      })
      await writeRunRecord(dir, record)
      await pruneCheckpoints(dir, [record.checkpoints.best, record.checkpoints.last])
      meter.recordEpochOverhead((now() - overheadStartedAt) / 1000)
      // May end the run here (plan.epochs = this epoch): the loop then closes it as completed.
      if (!stop) resizeToBudget()
      options.events.epoch({
        ...(history.at(-1) as EpochSummary),
        runId: request.runId,
        version,
        epochs: plan.epochs,
        bestEpoch: early.bestEpoch,
        improved: update.improved,
        epochsWithoutImprovement: early.epochsWithoutImprovement,
        memory: memory()
      })
      if (stop) {
        status = stop
        break
      }
    }

    const postprocessing = await choosePostprocessingAtEnd(status)
    record.status = status
    record.updatedAt = new Date().toISOString()
    await writeRunRecord(dir, record)
    const bestEntry = history.find((h) => h.epoch === early.bestEpoch)
    return {
      runId: request.runId,
      version,
      status,
      epochsCompleted: epochsDone,
      step,
      bestEpoch: early.bestEpoch,
      best: bestEntry?.validation ?? null,
      last: history.at(-1)?.validation ?? null,
      history,
      seconds: (now() - startedAt) / 1000,
      error: null,
      postprocessing
    }

    // ── Post-processing chosen on validation (issue #13 item 7; postprocessingChoice.ts) ──
    // Only for a finished run (completed or early-stopped): a cancelled or stopped one may still
    // change its best model when resumed. A cancel while choosing leaves the version without
    // post-processing (its status stays what the loop made it); any other error fails the run.
    async function choosePostprocessingAtEnd(ending: RunStatus): Promise<PostprocessingPlan | null> {
      const best = record.checkpoints.best
      if ((ending !== 'completed' && ending !== 'early-stopped') || !best) return null
      const choiceStartedAt = now()
      const choiceProgress = (): void => progress('validating', epochsDone, plan.stepsPerEpoch, meter.finalEtaSeconds((now() - choiceStartedAt) / 1000))
      choiceProgress()
      // The ETA counts down through the choice (12–17 s on a hippocampus fold) instead of standing
      // still. On a timer, not by reading the clock at every tile batch: a countdown needs no finer
      // steps, and the clock a test injects advances with every read.
      const ticker = setInterval(choiceProgress, CHOICE_PROGRESS_INTERVAL_MS)
      try {
        const chosen = await choosePostprocessingForRun({
          dir,
          best,
          heldOut,
          plan,
          ...(await bestOnWorkers(best)),
          betweenBatches: async () => {
            await yieldToEventLoop()
            if (options.control.cancelRequested) throw new VoxloopError('CANCELLED', 'cancelled while choosing the post-processing')
          }
        })
        if (chosen) record.postprocessing = chosen
        return chosen
      } finally {
        clearInterval(ticker)
      }
    }

    // With gradient workers the run's own model takes the best checkpoint's weights and the choice
    // predicts on the workers, as validation does, instead of on a second model on this thread while
    // the workers sit idle; the budget's reserve is timed on validation, which runs where this does.
    // Training is over: the weights it leaves are in the checkpoints.
    async function bestOnWorkers(best: string): Promise<Pick<PostprocessingChoiceInputs, 'predictor'>> {
      if (!model || !stepper?.predictTiles) return {}
      const loaded = await loadCheckpointModel(dir, best)
      try {
        model.setWeights(loaded.getWeights())
      } finally {
        loaded.dispose()
      }
      stepper.weightsChanged?.()
      return { predictor: { model, tiles: stepper.predictTiles } }
    }
  } catch (error) {
    const serialized = serializeError(error)
    await writeRunRecord(dir, { ...record, status: 'failed', updatedAt: new Date().toISOString(), error: { code: serialized.code, message: serialized.message } }).catch(() => undefined)
    throw error
  } finally {
    setup.cache.close()
    await stepper?.dispose()
    optimizer?.dispose()
    model?.dispose()
  }
}
