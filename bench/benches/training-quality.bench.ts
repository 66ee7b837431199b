/**
 * Quality: train from scratch on the labelled hippocampus cases of shared/data (MSD Task04 subset,
 * 41 cases, labels 1 = anterior, 2 = posterior) with the project's training loop (runTraining, all
 * its defaults: residual U-Net depth 3 / 8 filters, patch from the data, Adam 1e-3, poly LR,
 * augmentation, foreground oversampling), on the CPU (wasm backend with the project's kernels as
 * activateBackend registers them; steps split over the loop's gradient workers), for a wall-clock budget; report the held-out Dice
 * per label, and the Dice on some training cases (to tell too little training from overfitting).
 *
 * Held out: 8 of the 41 cases, fixed by the run seed (runTraining's own seeded split; the bench
 * checks the count). Scores are the loop's own validation of the LAST epoch (whole cases, sliding
 * window, on each case's own grid), so no epoch is chosen on the held-out cases; the best epoch is
 * reported too, marked as selected on them.
 *
 * The budget: VOXLOOP_BENCH_MINUTES (default 15) bounds runTraining from its start (reading and
 * preparing the cases) to its end. A short calibration before it (a few steps of the same model on
 * the same patches with the same stepper, workers included, outside the budget) sizes ~12 epochs × steps to fill it; the run is cancelled
 * if it would run over, and then the last finished epoch counts. VOXLOOP_BENCH_AUGMENT=0 turns the
 * augmentation off (a diagnostic).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { activateBackend } from '../../src/engine/backends/activateBackend'
import { BatchSampler } from '../../src/engine/data/BatchSampler'
import { shapeFromDims } from '../../src/engine/data/layout'
import { predictPreparedCase } from '../../src/engine/infer/predictCase'
import { buildUNet3d } from '../../src/engine/model'
import { createOptimizer, planTraining, readRunRecord, runTraining, unetOptionsOf, versionDir } from '../../src/engine/train'
import { prepareCaseVolumes, readCaseVolumes } from '../../src/engine/train/caseVolumes'
import { loadCheckpointModel } from '../../src/engine/train/checkpoint'
import { openStepper } from '../../src/engine/train/parallel/openStepper'
import { stepModel } from '../../src/engine/train/trainStep'
import { averageScores, caseScores } from '../../src/engine/train/validationScores'
import { readNiftiHeader } from '../../src/main/services/volumes/nifti'
import type { CaseFiles, TrainRequest } from '../../src/shared/engineProtocol'
import type { LabelDef } from '../../src/shared/project'
import { TrainingOptionsSchema, type TrainingPlan, type TrainingProgress, type TrainingResult, type ValidationScores } from '../../src/shared/training'
import { listHippocampusCases, loadAverage, lowerMedian } from '../benchCommon'
import { type Bench, type BenchReport, type BenchRow } from '../report'

const MINUTES = Number(process.env.VOXLOOP_BENCH_MINUTES ?? 15)
/** VOXLOOP_BENCH_AUGMENT=0 trains without augmentation (a diagnostic; the default is the loop's: on). */
const AUGMENT = process.env.VOXLOOP_BENCH_AUGMENT !== '0'
const SEED = 20_240_611
const HELD_OUT = 8
const AIM = 0.8
const LABELS: LabelDef[] = [
  { id: 1, name: 'anterior', color: '#e6194b' },
  { id: 2, name: 'posterior', color: '#3cb44b' }
]
/** Step times on a shared machine wander; plan with this margin so the last epoch ends in time. */
const STEP_MARGIN = 1.1
/** Epochs of about budget / 12 (at least a minute): a run cut at the deadline loses little. */
const EPOCHS_PER_BUDGET = 12
/** Training cases scored at the end too: low Dice there means too little training, not a validation bug. */
const TRAINING_CASES_SCORED = 8

interface Calibration {
  plan: TrainingPlan
  stepSeconds: number
  /** One held-out case predicted whole, seconds. */
  predictSeconds: number
  /** Reading and preparing one case, seconds. */
  readSeconds: number
  seconds: number
}

/**
 * The plan runTraining will make (same options, same data, same seed), and the cost of its parts:
 * a few training steps on real augmented patches, one whole-case prediction, reading a case.
 */
async function calibrate(cases: CaseFiles[], options: ReturnType<typeof TrainingOptionsSchema.parse>): Promise<Calibration> {
  const started = performance.now()
  const headers = await Promise.all(cases.map((c) => readNiftiHeader(c.imagePath)))
  const plan = planTraining({
    options,
    cases: cases.map((c, i) => {
      const header = headers[i] as (typeof headers)[number]
      return { id: c.id, shape: shapeFromDims(header.dims), spacingMm: header.spacing, channels: header.channels }
    }),
    labels: LABELS,
    modality: 'MR',
    backend: tf.getBackend(),
    seed: SEED,
    base: null
  })
  const readStart = performance.now()
  const sample = cases.slice(0, 4)
  const prepared = []
  for (const c of sample) prepared.push(prepareCaseVolumes(await readCaseVolumes(c, plan.classes), plan))
  const readSeconds = (performance.now() - readStart) / 1000 / sample.length

  const model = buildUNet3d(unetOptionsOf(plan))
  const optimizer = createOptimizer({ kind: plan.optimizer, learningRate: plan.learningRate, momentum: plan.momentum })
  try {
    const target = stepModel(model)
    const sampler = new BatchSampler(prepared, {
      patchShape: plan.patchSize,
      batchSize: plan.batchSize,
      foregroundProbability: plan.foregroundProbability,
      foregroundMode: 'quota',
      augmentation: plan.augment ? {} : null,
      seed: SEED
    })
    // The stepper runTraining will use (its gradient workers), so the steps are sized at their speed.
    const { stepper } = await openStepper(target, optimizer.optimizer, plan.workers ?? 1)
    const times: number[] = []
    try {
      // Sampling is timed too: runTraining draws each batch on the engine thread between steps.
      for (let i = 0; i < 8; i++) {
        const start = performance.now()
        await stepper.step(sampler.next())
        if (i >= 3) times.push((performance.now() - start) / 1000)
      }
    } finally {
      await stepper.dispose()
    }
    const predictTimes: number[] = []
    for (const c of prepared.slice(0, 2)) {
      const start = performance.now()
      await predictPreparedCase(model, c, plan.classes.length + 1, { patchShape: plan.patchSize, batchSize: plan.batchSize })
      predictTimes.push((performance.now() - start) / 1000)
    }
    return { plan, stepSeconds: lowerMedian(times), predictSeconds: Math.max(...predictTimes), readSeconds, seconds: (performance.now() - started) / 1000 }
  } finally {
    optimizer.dispose()
    model.dispose()
  }
}

/** Epochs × steps per epoch that fill the budget with the calibrated costs. */
function sizeRun(c: Calibration, budgetSeconds: number, caseCount: number): { epochs: number; stepsPerEpoch: number; setupSeconds: number; epochOverheadSeconds: number } {
  const setupSeconds = caseCount * c.readSeconds + 2
  // Validation of the held-out cases, a checkpoint (≈ 1.6 MB) and run.json per epoch.
  const epochOverheadSeconds = HELD_OUT * c.predictSeconds + 1
  const step = c.stepSeconds * STEP_MARGIN
  const available = Math.max(0, budgetSeconds - setupSeconds)
  const epochSeconds = Math.max(60, available / EPOCHS_PER_BUDGET)
  const epochs = Math.max(1, Math.round(available / epochSeconds))
  const stepsPerEpoch = Math.max(1, Math.floor((available / epochs - epochOverheadSeconds) / step))
  return { epochs, stepsPerEpoch, setupSeconds, epochOverheadSeconds }
}

/** The last checkpoint's Dice on some training cases (seen in training, augmented), same scoring as validation. */
async function trainingCaseScores(modelsDir: string, version: string, plan: TrainingPlan, cases: CaseFiles[]): Promise<ValidationScores | null> {
  const dir = versionDir(modelsDir, version)
  const record = await readRunRecord(dir)
  if (!record.checkpoints.last) return null
  const model = await loadCheckpointModel(dir, record.checkpoints.last)
  try {
    const perCase = []
    for (const id of plan.trainingCaseIds.slice(0, TRAINING_CASES_SCORED)) {
      const files = cases.find((c) => c.id === id)
      if (!files) continue
      const volumes = await readCaseVolumes(files, plan.classes)
      const prepared = prepareCaseVolumes({ ...volumes, classLabels: null }, plan)
      const { classIndices } = await predictPreparedCase(model, prepared, plan.classes.length + 1, { patchShape: plan.patchSize, batchSize: plan.batchSize })
      perCase.push(caseScores(classIndices, volumes.classLabels as Uint8Array, plan.classes))
    }
    return averageScores(perCase, plan.classes)
  } finally {
    model.dispose()
  }
}

function labelDice(scores: ValidationScores | null, labelId: number): number {
  return scores?.perLabel.find((l) => l.labelId === labelId)?.dice ?? Number.NaN
}

async function run(): Promise<BenchReport> {
  const backend = await activateBackend('wasm')
  const cases = await listHippocampusCases()
  const budgetSeconds = MINUTES * 60
  const notes: string[] = []
  const loads = [`start ${loadAverage()}`]
  const baseOptions = { epochs: 1, validationFraction: HELD_OUT / cases.length, seed: SEED, patience: 10_000, ...(AUGMENT ? {} : { augment: false }) }

  console.log(`  calibrating on ${backend.tfBackend} (${cases.length} cases, budget ${MINUTES} min)…`)
  const calibration = await calibrate(cases, TrainingOptionsSchema.parse(baseOptions))
  const sized = sizeRun(calibration, budgetSeconds, cases.length)
  loads.push(`after calibration ${loadAverage()}`)
  console.log(
    `  calibration: ${calibration.stepSeconds.toFixed(2)} s/step, ${calibration.predictSeconds.toFixed(2)} s/case predicted → ${sized.epochs} epochs × ${sized.stepsPerEpoch} steps`
  )

  const modelsDir = await mkdtemp(path.join(os.tmpdir(), 'voxloop-bench-quality-'))
  const control = { cancelRequested: false }
  let lastTraining: TrainingProgress | null = null
  let plan: TrainingPlan | null = null
  let result: TrainingResult
  let seen: ValidationScores | null = null
  let trainedSeconds = 0
  const started = performance.now()
  const deadline = setInterval(() => {
    if ((performance.now() - started) / 1000 >= budgetSeconds) control.cancelRequested = true
  }, 250)
  try {
    const request: TrainRequest = {
      runId: `bench-quality-${Date.now()}`,
      options: TrainingOptionsSchema.parse({ ...baseOptions, epochs: sized.epochs, stepsPerEpoch: sized.stepsPerEpoch }),
      modelsDir,
      cases,
      labels: LABELS,
      modality: 'MR'
    }
    result = await runTraining(request, {
      control,
      progressIntervalMs: 5_000,
      events: {
        started: (payload) => {
          plan = payload.plan
        },
        progress: (payload) => {
          if (payload.phase === 'training') lastTraining = payload
        },
        epoch: (e) => {
          const v = e.validation
          loads.push(`epoch ${e.epoch} ${loadAverage()}`)
          console.log(
            `  epoch ${e.epoch}/${e.epochs}: loss ${e.trainLoss.toFixed(3)}, held-out Dice ${v ? v.perLabel.map((l) => `${l.name} ${l.dice.toFixed(3)}`).join(', ') : 'n/a'}, ${e.seconds.toFixed(0)} s`
          )
        }
      }
    })
    trainedSeconds = (performance.now() - started) / 1000
    clearInterval(deadline)
    const trainedPlan = plan as TrainingPlan | null
    if (trainedPlan) seen = await trainingCaseScores(modelsDir, result.version, trainedPlan, cases)
  } finally {
    clearInterval(deadline)
    await rm(modelsDir, { recursive: true, force: true })
  }
  const finalPlan = plan as TrainingPlan | null
  if (!finalPlan) throw new Error('runTraining never reported its plan')
  const last = result.last
  const meanDice = last?.meanForegroundDice ?? Number.NaN
  const patches = result.step * finalPlan.batchSize
  const recent = lastTraining as TrainingProgress | null

  const rows: BenchRow[] = [
    { name: 'held-out Dice, label 1 anterior (last epoch)', value: labelDice(last, 1), unit: 'Dice' },
    { name: 'held-out Dice, label 2 posterior (last epoch)', value: labelDice(last, 2), unit: 'Dice' },
    { name: 'held-out Dice, mean of labels (last epoch)', value: meanDice, unit: 'Dice', note: `aim ≥ ${AIM}; nnU-Net ~0.89–0.90 with 260 cases and a GPU` },
    {
      name: 'held-out Dice, mean (best epoch, selected on held-out)',
      value: result.best?.meanForegroundDice ?? Number.NaN,
      unit: 'Dice',
      note: `epoch ${result.bestEpoch ?? 'n/a'}; optimistic: the epoch is chosen on the same cases`
    },
    {
      name: `Dice on ${TRAINING_CASES_SCORED} training cases, mean (last epoch)`,
      value: seen?.meanForegroundDice ?? Number.NaN,
      unit: 'Dice',
      note: seen ? `per label ${seen.perLabel.map((l) => `${l.name} ${l.dice.toFixed(3)}`).join(', ')}; cases seen in training: low here = too little training` : 'n/a'
    },
    { name: 'epochs done', value: result.epochsCompleted, unit: 'epochs', note: `of ${finalPlan.epochs} planned, status ${result.status}` },
    { name: 'optimiser steps done', value: result.step, unit: 'steps', note: `${finalPlan.stepsPerEpoch} per epoch, batch ${finalPlan.batchSize} of ${finalPlan.patchSize.join('×')}` },
    { name: 'training patches per second (whole run)', value: patches / trainedSeconds, unit: 'patches/s', note: 'steps × batch / wall time incl. reading, validation, checkpoints' },
    {
      name: 'training patches per second (steps only)',
      value: recent?.patchesPerSecond ?? Number.NaN,
      unit: 'patches/s',
      note: 'the loop’s ProgressMeter over the recent steps'
    },
    { name: 'wall time of runTraining', value: trainedSeconds / 60, unit: 'min', note: `budget ${MINUTES} min` },
    { name: 'calibration before the run', value: calibration.seconds, unit: 's', note: `${calibration.stepSeconds.toFixed(2)} s/step, ${calibration.predictSeconds.toFixed(2)} s per held-out case` }
  ]

  const model = finalPlan.model as { depth?: number; baseFilters?: number; residualUnits?: number }
  notes.push(
    `backend ${backend.tfBackend} (${backend.reason}) with the project's kernels (activateBackend), steps on ${finalPlan.workers ?? 1} gradient worker(s); the tfjs 'cpu' backend is ~20× slower per step (unet-reference bench) and would not train in this budget`,
    `held out (${finalPlan.validationCaseIds.length}, runTraining's split with seed ${SEED}): ${finalPlan.validationCaseIds.join(', ')}`,
    `plan: residual U-Net depth ${model.depth}, ${model.baseFilters} base filters, ${model.residualUnits} unit(s) per level; patch ${finalPlan.patchSize.join('×')} at ${finalPlan.targetSpacingMm.join('×')} mm, batch ${finalPlan.batchSize}, ${finalPlan.optimizer} ${finalPlan.learningRate}, ${finalPlan.schedule} schedule with ${finalPlan.warmupSteps} warm-up steps, augmentation ${finalPlan.augment}, foreground p ${finalPlan.foregroundProbability}; early stopping off (patience 10,000)`,
    `per epoch (loss, held-out mean Dice, s): ${result.history.map((h) => `${h.epoch}: ${h.trainLoss.toFixed(3)} / ${h.validation ? h.validation.meanForegroundDice.toFixed(3) : 'n/a'} / ${h.seconds.toFixed(0)}`).join('; ')}`,
    `Dice on each held-out case's own grid (the loop's validation: sliding window, Gaussian blending), mean over the ${last?.cases ?? 0} cases per label`,
    `load average (1/5/15 min) on ${os.cpus().length} cores shared with other work: ${loads.join('; ')}`
  )
  if (finalPlan.validationCaseIds.length !== HELD_OUT) notes.push(`WARNING: ${finalPlan.validationCaseIds.length} cases held out, not ${HELD_OUT}`)

  return {
    name: 'training-quality',
    rows,
    targets: [{ description: `held-out mean Dice ≥ ${AIM} after ${MINUTES} min of training on the CPU (last epoch)`, met: Number.isFinite(meanDice) ? meanDice >= AIM : null }],
    notes,
    environment: { tfjs: tf.version.tfjs, budgetMinutes: MINUTES, seed: SEED, augment: String(AUGMENT) }
  }
}

export const bench: Bench = {
  name: 'training-quality',
  description: `Train from scratch on 33 hippocampus cases for ${MINUTES} min on the CPU (wasm); held-out Dice per label on 8 cases`,
  run
}
