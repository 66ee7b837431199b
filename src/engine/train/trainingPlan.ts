/**
 * From what the user asked (TrainingOptions) and what the data is (case shapes and spacings) to
 * what the run does (TrainingPlan): pure, so the choices are tested and recorded in run.json.
 *
 * Defaults, and why:
 * - spacing: the data helpers' median spacing (nnU-Net's 3D full-resolution plan);
 * - patch: the median case shape after resampling, rounded to the U-Net's divisor, cut down to a
 *   budget (suggestPatchSize). On the CPU backends the budget is compute, not memory: one training
 *   step costs roughly linear in voxels, so patches are capped at 2·64³ voxels per step there, and a
 *   3D patch rounds to the nearest multiple, ties down (little step time spent on padding); on
 *   tfjs-node and for 2D slices it rounds up (nnU-Net's: a patch holds a whole typical case);
 * - model: the registry's network (src/engine/model/architectures.ts), by default nnU-Net's plain
 *   U-Net with deep supervision, depth 3, 8 base filters (~0.35 M parameters): the width whose steps
 *   take well under a second on 2 cores; it beat the residual U-Net in cross-validation (docs/TRAINING.md);
 * - 2D: when every case is one slice after resampling (2D images), the default network is the 2D
 *   plain U-Net and patches are slices [1, H, W] within the same voxel budget, its depth sized from
 *   the slice (pooled to ~4–8 px, as nnU-Net); a 3D network is refused there. A 2D network chosen for
 *   3D volumes trains on single slices and predicts slice by slice (nnU-Net's 2d configuration);
 * - steps per epoch: two passes over the training cases in patches, 10–250;
 * - budget: time. With no `epochs`, the run trains for up to `minutes` (default: the steps the data
 *   needs, `targetStepsFor`, at most DEFAULT_TRAINING_MINUTES, or DEFAULT_TRAINING_MINUTES_2D for
 *   2D images); runTraining sizes the epochs from
 *   the measured step and validation times (`epochsForBudget`). The tentative epochs here only set
 *   the warm-up and a first estimate;
 * - warm-up: 5 % of the steps (at most 200), then poly decay (nnU-Net); the 'plateau' schedule halves
 *   the rate after max(2, round(patience / 3)) epochs without a better validation Dice (a third of
 *   early stopping's wait, so the run gets about two lower rates before it stops);
 * - loss: soft Dice + cross-entropy 1/1 (nnU-Net's), or the one named (resolveLoss); a fine-tuned
 *   run keeps its base model's loss unless one is given;
 * - validation: the cases main names (the project's recorded validation split, fixed across
 *   retrains); otherwise 20 % of the cases drawn from the seed, at least one when there are two or more.
 */
import { augmentationPresetOf } from '../../shared/augmentation'
import { VoxloopError } from '../../shared/errors'
import { deriveSeed, createRandom } from '../../shared/random'
import type { LabelDef, Modality } from '../../shared/project'
import {
  DEFAULT_ARCHITECTURE,
  DEFAULT_ARCHITECTURE_2D,
  DEFAULT_LOSS,
  DEFAULT_TRAINING_MINUTES,
  DEFAULT_TRAINING_MINUTES_2D,
  LEGACY_ARCHITECTURE,
  PLANAR_ARCHITECTURES,
  LOSS_DEFAULTS,
  lossOfPlan,
  lossOptionsProblem,
  type LossOptions,
  type LossPlan,
  type TrainingClass,
  type TrainingOptionsSchema,
  type TrainingPlan
} from '../../shared/training'
import type { Vec3 } from '../../shared/volume'
import type { z } from 'zod'
import type { Shape3 } from '../data/layout'
import { resampledShape } from '../data/resample'
import { medianShape, suggestPatchSize } from '../data/suggestPatchSize'
import { suggestTargetSpacing } from '../data/suggestTargetSpacing'
import { ARCHITECTURE_REGISTRY } from '../model/architectures'
import { classesFromLabels } from './trainingClasses'
import { planAugmentation } from './augmentationPlan'

export type ParsedTrainingOptions = z.output<typeof TrainingOptionsSchema>

export const TRAINING_DEFAULTS = {
  /** The network a new model gets (shape defaults: the registry's resolve, src/engine/model/architectures.ts). */
  architecture: DEFAULT_ARCHITECTURE,
  batchSize: 2,
  // Adam 3e-3: at the same 800 steps and seed it beat 1e-3 on both folds cross-validated (docs/TRAINING.md).
  learningRate: { adam: 3e-3, sgd: 1e-2 },
  momentum: 0.99,
  schedule: 'poly',
  /** 'plateau': epochs without improvement before halving, as a share of early stopping's patience (at least 2). */
  plateauPatienceFraction: 1 / 3,
  minPlateauPatience: 2,
  warmupFraction: 0.05,
  maxWarmupSteps: 200,
  validationFraction: 0.2,
  patience: 20,
  foregroundProbability: 0.33,
  minStepsPerEpoch: 10,
  maxStepsPerEpoch: 250,
  /** Steps per training case a default (time-budgeted) run aims for; see targetStepsFor. */
  stepsPerTrainingCase: 75,
  minTargetSteps: 600,
  maxTargetSteps: 20_000,
  /** Voxels per training step (batch × patch) on backends without a native library. */
  cpuVoxelsPerStep: 2 * 64 ** 3,
  /**
   * Pixels of the median slice a 2D network trains on at most on those backends; larger slices are
   * trained at a coarser in-plane spacing (see planarSpacing).
   */
  cpuPlanarSlicePixels: 192 ** 2,
  /** Memory for activations on tfjs-node(-gpu), bytes. */
  nativeMemoryBudgetBytes: 2 * 1024 ** 3
} as const

export interface PlanCase {
  id: string
  /** [D, H, W] voxels on the case's own grid. */
  shape: Shape3
  /** [x, y, z] mm. */
  spacingMm: Vec3
  channels: number
}

/** What a fine-tuned run inherits from the version it starts from. */
export interface BasePlan {
  version: string
  plan: TrainingPlan
}

export interface PlanInputs {
  options: ParsedTrainingOptions
  cases: readonly PlanCase[]
  labels: readonly LabelDef[]
  modality: Modality
  /** tf.getBackend(): 'wasm', 'cpu', 'tensorflow', … */
  backend: string
  /** The run's seed (options.seed, or one the caller drew and will record). */
  seed: number
  base: BasePlan | null
  /** Validation cases chosen by the caller (TrainRequest.validationCaseIds); absent: the seeded split. */
  validationCaseIds?: readonly string[] | undefined
}

function invalid(message: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', message)
}

/** Held-out ids: a seeded shuffle of the sorted ids, so the split depends on the seed and the set only. */
export function splitCases(ids: readonly string[], fraction: number, seed: number): { training: string[]; validation: string[] } {
  const sorted = [...ids].sort()
  const random = createRandom(deriveSeed(seed, 0x5b117))
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[sorted[i], sorted[j]] = [sorted[j] as string, sorted[i] as string]
  }
  const count = sorted.length < 2 || fraction <= 0 ? 0 : Math.min(sorted.length - 1, Math.max(1, Math.round(sorted.length * fraction)))
  return { validation: sorted.slice(0, count).sort(), training: sorted.slice(count).sort() }
}

/** The caller's validation cases; every one must be among `ids`, and at least one case must remain to train. */
export function fixedSplit(ids: readonly string[], validationIds: readonly string[]): { training: string[]; validation: string[] } {
  const known = new Set(ids)
  const unknown = validationIds.filter((id) => !known.has(id))
  if (unknown.length > 0) throw invalid(`validation case(s) ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''} are not among the cases sent to train`)
  const held = new Set(validationIds)
  const training = ids.filter((id) => !held.has(id))
  if (training.length === 0) throw invalid('every case is a validation case: at least one must train')
  return { validation: [...held].sort(), training: training.sort() }
}

/**
 * The default warm-up of a run of `totalSteps`: 5 % of it, at most 200, and always shorter than the
 * run. A time-budgeted run calls it again whenever its epochs are resized (runTraining), so that a
 * run cut to a few dozen steps is not all warm-up and still anneals.
 */
export function warmupStepsFor(totalSteps: number): number {
  return Math.max(0, Math.min(totalSteps - 1, TRAINING_DEFAULTS.maxWarmupSteps, Math.round(totalSteps * TRAINING_DEFAULTS.warmupFraction)))
}

/**
 * The steps a default run aims for: 75 per training case, 600–20,000. Measured on the 41
 * hippocampus cases (docs/TRAINING.md): 340 steps (the old default) left the model under-trained
 * and over-segmenting, 1,700 reached 0.87 Dice on unseen cases; 75 × 26 training cases ≈ 1,950 is
 * what 15 minutes on 2 cores bought with the 32×48×32 patch (1,924 measured), so that the step count,
 * not a guess, sizes the run; since validation runs in the gradient workers that data reaches the
 * target in 13–14 minutes. Small projects (the demo) finish in a few minutes.
 */
export function targetStepsFor(trainingCases: number): number {
  return Math.min(TRAINING_DEFAULTS.maxTargetSteps, Math.max(TRAINING_DEFAULTS.minTargetSteps, TRAINING_DEFAULTS.stepsPerTrainingCase * trainingCases))
}

export interface BudgetInputs {
  budgetSeconds: number
  elapsedSeconds: number
  /** Steps done so far and the epoch they are in (1-based; the current epoch is finished when `stepsDone` is a multiple). */
  stepsDone: number
  stepsPerEpoch: number
  secondsPerStep: number
  /** Validation + checkpoint per epoch; null before the first epoch ended (then estimated as 0). */
  epochOverheadSeconds: number | null
  /** Stop here even if time is left (a default run's targetSteps); null: time alone decides. */
  targetSteps: number | null
  /**
   * Work after the last epoch, seconds (the post-processing choice predicts the validation cases
   * again with the tile grid's passes: ~8 validations' worth on a small 3D case); default 0.
   */
  finalSeconds?: number
}

/**
 * The number of epochs a time-budgeted run should have in all, given what is done and how fast it
 * goes: every remaining epoch costs its steps plus its validation and checkpoint, and the work after
 * the last epoch comes out of the budget too. Never fewer than the epoch under way, at least 1, and
 * never past `targetSteps`.
 */
export function epochsForBudget(inputs: BudgetInputs): number {
  const current = Math.max(1, Math.ceil(inputs.stepsDone / inputs.stepsPerEpoch))
  const epochSeconds = inputs.stepsPerEpoch * inputs.secondsPerStep + (inputs.epochOverheadSeconds ?? 0)
  // Seconds left after the epoch under way ends.
  const stepsLeftInCurrent = current * inputs.stepsPerEpoch - inputs.stepsDone
  const left = inputs.budgetSeconds - inputs.elapsedSeconds - stepsLeftInCurrent * inputs.secondsPerStep - (inputs.epochOverheadSeconds ?? 0) - (inputs.finalSeconds ?? 0)
  let epochs = current + (epochSeconds > 0 ? Math.max(0, Math.floor(left / epochSeconds)) : 0)
  if (inputs.targetSteps !== null) epochs = Math.min(epochs, Math.max(current, Math.ceil(inputs.targetSteps / inputs.stepsPerEpoch)))
  return epochs
}

/**
 * The spacing a 2D network trains at on a CPU: the median spacing, coarsened in-plane (x and y by the
 * same factor, D's spacing kept) until the median slice has at most `maxPixels` pixels. Why not
 * full resolution, as nnU-Net's 2d configuration: a step's cost is linear in pixels, and within
 * the default budget a 512² slice allows ~500 steps on 2 cores, a quarter of what the data needs
 * (`targetStepsFor`); at 192² a step computes a seventh of the pixels (~0.35 s for the plain 2D
 * U-Net against ~0.5 s at 256²). Within the 2D budget (9 minutes) that is ~1,380 steps on 2 cores
 * against ~780 at 256², and on the 2D bench's first fold 1,378 steps at 192² scored 0.959 held-out
 * lung Dice where 780 at 256² scored 0.933 (docs/TRAINING.md, "2D spacing"). Prediction resamples the
 * probabilities back to each case's own grid, so labels keep their size (docs/TRAINING.md, "2D").
 */
export function planarSpacing(spacingMm: Vec3, medianSlice: Shape3, maxPixels: number): Vec3 {
  const pixels = medianSlice[1] * medianSlice[2]
  if (pixels <= maxPixels) return spacingMm
  const factor = Math.sqrt(pixels / maxPixels)
  return [spacingMm[0] * factor, spacingMm[1] * factor, spacingMm[2]]
}

/**
 * The loss the run trains with: the options' kind (or the base model's, or 'dice-ce'), each
 * parameter from the options, else from the base model's loss of the same kind, else LOSS_DEFAULTS.
 * No options: the base model's loss, or DEFAULT_LOSS. INVALID_ARGUMENT for a parameter the kind
 * does not take, and for 'dice-bce' with other than one foreground label (naming the labels).
 */
export function resolveLoss(options: LossOptions | undefined, base: LossPlan | null, classes: readonly TrainingClass[]): LossPlan {
  const loss = options === undefined ? (base ?? DEFAULT_LOSS) : resolveLossOptions(options, base)
  if (loss.kind === 'dice-bce' && classes.length !== 1) {
    const names = classes.map((c) => `${c.labelId} ${c.name}`).join(', ')
    throw invalid(`loss 'dice-bce' is for one foreground label; this model has ${classes.length}${names ? ` (${names})` : ''}: choose 'dice-ce', 'focal' or 'tversky'`)
  }
  return loss
}

function resolveLossOptions(options: LossOptions, base: LossPlan | null): LossPlan {
  const kind = options.kind ?? base?.kind ?? DEFAULT_LOSS.kind
  const problem = lossOptionsProblem({ ...options, kind })
  if (problem) throw invalid(problem)
  const inherited = base?.kind === kind ? base : null
  const diceWeight = options.diceWeight ?? inherited?.diceWeight ?? LOSS_DEFAULTS.diceWeight
  const ceWeight = options.ceWeight ?? inherited?.ceWeight ?? LOSS_DEFAULTS.ceWeight
  if (diceWeight === 0 && ceWeight === 0) throw invalid('diceWeight and ceWeight cannot both be 0 (nothing would be learned)')
  switch (kind) {
    case 'dice-ce':
    case 'dice-bce':
      return { kind, diceWeight, ceWeight }
    case 'focal': {
      const from = inherited?.kind === 'focal' ? inherited : null
      return { kind, diceWeight, ceWeight, gamma: options.gamma ?? from?.gamma ?? LOSS_DEFAULTS.focalGamma, alpha: options.alpha ?? from?.alpha ?? null }
    }
    case 'tversky': {
      const from = inherited?.kind === 'tversky' ? inherited : null
      const alpha = options.alpha ?? from?.alpha ?? LOSS_DEFAULTS.tverskyAlpha
      const beta = options.beta ?? from?.beta ?? LOSS_DEFAULTS.tverskyBeta
      if (alpha === 0 && beta === 0) throw invalid('tversky alpha and beta cannot both be 0')
      return { kind, diceWeight, ceWeight, alpha, beta }
    }
  }
}

/** Epochs without improvement before the 'plateau' schedule halves the rate, for early stopping's `patience`. */
export function defaultPlateauPatience(patience: number): number {
  return Math.max(TRAINING_DEFAULTS.minPlateauPatience, Math.round(patience * TRAINING_DEFAULTS.plateauPatienceFraction))
}

/** The user's patch: one edge is a cube, or a square slice [1, N, N] for a planar (2D) network. */
function patchFromOption(option: ParsedTrainingOptions['patchSize'], planar: boolean): Shape3 | null {
  if (option === undefined) return null
  const patch: Shape3 = typeof option === 'number' ? [planar ? 1 : option, option, option] : [...option]
  if (planar && patch[0] !== 1) throw invalid(`patch size [${patch.join(', ')}]: a 2D network takes one slice, so D must be 1`)
  return patch
}

function checkDivisible(patch: Shape3, divisor: Shape3): Shape3 {
  if (patch.some((edge, axis) => edge % (divisor[axis] as number) !== 0)) {
    const uniform = divisor.every((d) => d === divisor[0])
    throw invalid(`patch size [${patch.join(', ')}] must be multiples of ${uniform ? `${divisor[0]} (2^depth)` : `[${divisor.join(', ')}] (2^depth in H and W)`}`)
  }
  return patch
}

export function planTraining(inputs: PlanInputs): TrainingPlan {
  const { options, cases, base } = inputs
  if (cases.length === 0) throw invalid('no curated cases to train on: mark labelled cases done first')
  const channels = cases[0]?.channels ?? 1
  const odd = cases.find((c) => c.channels !== channels)
  if (odd) throw invalid(`case ${odd.id} has ${odd.channels} channel(s), ${cases[0]?.id} has ${channels}: a model takes one number of channels`)
  const classes = base ? base.plan.classes : classesFromLabels(inputs.labels)
  if (base) {
    const current = classesFromLabels(inputs.labels)
    if (JSON.stringify(current) !== JSON.stringify(base.plan.classes)) {
      throw invalid(`model ${base.version} predicts labels ${base.plan.classes.map((c) => `${c.labelId} ${c.name}`).join(', ')}; the project now has ${current.map((c) => `${c.labelId} ${c.name}`).join(', ')}: train a new model instead of fine-tuning`)
    }
    if (base.plan.inputChannels !== channels) throw invalid(`model ${base.version} takes ${base.plan.inputChannels} channel(s), the cases have ${channels}`)
  }

  const medianSpacingMm = base ? base.plan.targetSpacingMm : suggestTargetSpacing(cases.map((c) => c.spacingMm))
  // 2D images (one-slice cases, D = 1 in the canonical order) get the 2D network by default.
  const oneSlice = cases.every((c) => resampledShape(c.shape, c.spacingMm, medianSpacingMm)[0] === 1)
  const architecture = base
    ? (base.plan.architecture ?? LEGACY_ARCHITECTURE)
    : (options.model?.architecture ?? (oneSlice ? DEFAULT_ARCHITECTURE_2D : TRAINING_DEFAULTS.architecture))
  const network = ARCHITECTURE_REGISTRY[architecture]
  if (oneSlice && !network.planar) {
    // A 3D network pads the one slice to a stack of zeros: ~8× the work of the 2D one, and its
    // depth kernels see padding only, so nothing is gained (issue #17).
    throw invalid(
      `'${architecture}' is a 3D network and these cases are single 2D slices: train ${base ? `a new model, not one fine-tuned from ${base.version}, ` : ''}with a 2D network (${DEFAULT_ARCHITECTURE_2D}, the default, or ${PLANAR_ARCHITECTURES.filter((name) => name !== DEFAULT_ARCHITECTURE_2D).join(', ')}) instead`
    )
  }

  const batchSize = options.batchSize ?? base?.plan.batchSize ?? TRAINING_DEFAULTS.batchSize
  const native = inputs.backend === 'tensorflow'
  const targetSpacingMm =
    network.planar && !base && !native
      ? planarSpacing(
          medianSpacingMm,
          medianShape(cases.map((c) => resampledShape(c.shape, c.spacingMm, medianSpacingMm))),
          TRAINING_DEFAULTS.cpuPlanarSlicePixels
        )
      : medianSpacingMm
  const resampled = cases.map((c) => resampledShape(c.shape, c.spacingMm, targetSpacingMm))
  const median = medianShape(resampled)
  // A planar network trains on single slices (nnU-Net's 2d configuration), also of 3D volumes.
  const patchMedian: Shape3 = network.planar ? [1, median[1], median[2]] : median
  const budget = {
    batchSize,
    spacingMm: targetSpacingMm,
    ...(native ? { memoryBudgetBytes: TRAINING_DEFAULTS.nativeMemoryBudgetBytes } : { memoryBudgetBytes: TRAINING_DEFAULTS.cpuVoxelsPerStep * 1024, bytesPerVoxel: 1024 }),
    // Where the budget is time (the CPU backends), a patch larger than the typical case spends its
    // steps on padding: the nearest multiple gave the hippocampus 32×48×32 instead of 40×56×40, ~1.3×
    // the steps in 15 minutes and the same Dice (docs/TRAINING.md, "Quality bench"). 2D slices keep
    // rounding up.
    rounding: !native && !network.planar ? ('nearest' as const) : ('up' as const)
  }
  const asked = patchFromOption(options.patchSize, network.planar)
  // The user's slice, or the one the budget allows before rounding: a 2D network's default depth is sized from it.
  const planeEdge = network.planar && !base ? Math.min(...(asked ?? suggestPatchSize(patchMedian, { ...budget, divisor: 1 })).slice(1)) : undefined
  const model = base
    ? base.plan.model
    : (network.resolve({
        inputChannels: channels,
        numClasses: classes.length + 1,
        depth: options.model?.depth,
        baseFilters: options.model?.baseFilters,
        residualUnits: options.model?.residualUnits,
        deepSupervision: options.model?.deepSupervision,
        planeEdge,
        seed: deriveSeed(inputs.seed, 0x3e1)
      }) as TrainingPlan['model'])
  const divisor = network.divisorOf(model)
  const patchSize = asked ? checkDivisible(asked, divisor) : (base?.plan.patchSize ?? suggestPatchSize(patchMedian, { ...budget, divisor }))

  const fixed = inputs.validationCaseIds !== undefined
  const split = fixed
    ? fixedSplit(
        cases.map((c) => c.id),
        inputs.validationCaseIds ?? []
      )
    : splitCases(
        cases.map((c) => c.id),
        options.validationFraction ?? TRAINING_DEFAULTS.validationFraction,
        inputs.seed
      )
  // With the project's split, the share recorded is the one it has.
  const validationFraction = fixed ? split.validation.length / cases.length : (options.validationFraction ?? TRAINING_DEFAULTS.validationFraction)
  const stepsPerEpoch =
    options.stepsPerEpoch ??
    Math.min(TRAINING_DEFAULTS.maxStepsPerEpoch, Math.max(TRAINING_DEFAULTS.minStepsPerEpoch, 2 * Math.ceil(split.training.length / batchSize)))
  // Epochs fixed by the user, or a first estimate for a time budget (warm-up and progress until timed).
  const timeBudgetSeconds = options.epochs === undefined ? (options.minutes ?? (oneSlice ? DEFAULT_TRAINING_MINUTES_2D : DEFAULT_TRAINING_MINUTES)) * 60 : null
  const targetSteps = options.epochs === undefined && options.minutes === undefined ? targetStepsFor(split.training.length) : null
  const epochs = options.epochs ?? Math.max(1, Math.ceil((targetSteps ?? targetStepsFor(split.training.length)) / stepsPerEpoch))
  const totalSteps = stepsPerEpoch * epochs
  const optimizer = options.optimizer ?? 'adam'
  const mirrorAxes = [...new Set(options.mirrorAxes ?? base?.plan.mirrorAxes ?? [])].sort()
  const augmentation = planAugmentation(augmentationPresetOf(options), mirrorAxes, options.quarterTurns ?? false)
  const loss = resolveLoss(options.loss, base ? lossOfPlan(base.plan) : null, classes)
  const schedule = options.schedule ?? TRAINING_DEFAULTS.schedule
  const patience = options.patience ?? TRAINING_DEFAULTS.patience
  if (options.plateauPatience !== undefined && schedule !== 'plateau') throw invalid(`plateauPatience applies to the 'plateau' schedule only, not '${schedule}'`)
  const warmupSteps = options.warmupSteps === undefined ? warmupStepsFor(totalSteps) : Math.min(totalSteps - 1, options.warmupSteps)

  return {
    epochs,
    timeBudgetSeconds,
    targetSteps,
    stepsPerEpoch,
    patchSize,
    batchSize,
    optimizer,
    learningRate: options.learningRate ?? TRAINING_DEFAULTS.learningRate[optimizer],
    momentum: options.momentum ?? TRAINING_DEFAULTS.momentum,
    schedule,
    ...(schedule === 'plateau' ? { plateauPatience: options.plateauPatience ?? defaultPlateauPatience(patience) } : {}),
    loss,
    warmupSteps: Math.max(0, warmupSteps),
    validationFraction,
    augment: augmentation.preset !== 'none',
    augmentation,
    mirrorAxes,
    seed: inputs.seed,
    patience,
    foregroundProbability: options.foregroundProbability ?? TRAINING_DEFAULTS.foregroundProbability,
    targetSpacingMm,
    modality: base ? base.plan.modality : inputs.modality,
    inputChannels: channels,
    classes,
    architecture,
    model,
    trainingCaseIds: split.training,
    validationCaseIds: split.validation,
    validationSplit: fixed ? 'project' : 'seeded',
    fromModel: base?.version ?? null,
    backend: inputs.backend
  }
}
