/**
 * From what the user asked (TrainingOptions) and what the data is (case shapes and spacings) to
 * what the run does (TrainingPlan): pure, so the choices are tested and recorded in run.json.
 *
 * Defaults, and why:
 * - spacing: the data helpers' median spacing (nnU-Net's 3D full-resolution plan);
 * - patch: the median case shape after resampling, rounded up to the U-Net's divisor, cut down to a
 *   budget (suggestPatchSize). On the CPU backends the budget is compute, not memory: one training
 *   step costs roughly linear in voxels, so patches are capped at 2·64³ voxels per step there;
 * - model: depth 3, 8 base filters, 1 residual unit: ~0.4 M parameters, the largest U-Net whose
 *   steps take seconds, not tens of seconds, on the wasm backend (measured: docs/TRAINING.md);
 * - steps per epoch: two passes over the training cases in patches, 10–250;
 * - warm-up: 5 % of the steps (at most 200), then poly decay (nnU-Net);
 * - validation: 20 % of the cases, at least one when there are two or more.
 */
import { VoxloopError } from '../../shared/errors'
import { deriveSeed, createRandom } from '../../shared/random'
import type { LabelDef, Modality } from '../../shared/project'
import type { TrainingOptionsSchema, TrainingPlan } from '../../shared/training'
import type { Vec3 } from '../../shared/volume'
import type { z } from 'zod'
import type { Shape3 } from '../data/layout'
import { resampledShape } from '../data/resample'
import { medianShape, suggestPatchSize } from '../data/suggestPatchSize'
import { suggestTargetSpacing } from '../data/suggestTargetSpacing'
import { resolveUNet3dOptions, spatialDivisor, type ResolvedUNet3dOptions, type UNet3dOptions } from '../model/unet3dOptions'
import { classesFromLabels } from './trainingClasses'

export type ParsedTrainingOptions = z.output<typeof TrainingOptionsSchema>

export const TRAINING_DEFAULTS = {
  depth: 3,
  baseFilters: 8,
  residualUnits: 1,
  batchSize: 2,
  learningRate: { adam: 1e-3, sgd: 1e-2 },
  momentum: 0.99,
  schedule: 'poly',
  warmupFraction: 0.05,
  maxWarmupSteps: 200,
  validationFraction: 0.2,
  patience: 20,
  foregroundProbability: 0.33,
  minStepsPerEpoch: 10,
  maxStepsPerEpoch: 250,
  /** Voxels per training step (batch × patch) on backends without a native library. */
  cpuVoxelsPerStep: 2 * 64 ** 3,
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
}

/** The resolved U-Net options as the JSON record the plan stores (they are plain data already). */
function jsonCopy(options: ResolvedUNet3dOptions): TrainingPlan['model'] {
  return JSON.parse(JSON.stringify(options)) as TrainingPlan['model']
}

/** The plan's U-Net options back as factory options; resolveUNet3dOptions re-checks every field. */
export function unetOptionsOf(plan: TrainingPlan): UNet3dOptions {
  const stored = plan.model as unknown as ResolvedUNet3dOptions
  const { seed, ...rest } = stored
  return resolveUNet3dOptions(seed === null ? rest : { ...rest, seed }) as UNet3dOptions & ResolvedUNet3dOptions
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

function patchFromOption(option: ParsedTrainingOptions['patchSize'], divisor: number): Shape3 | null {
  if (option === undefined) return null
  const patch: Shape3 = typeof option === 'number' ? [option, option, option] : [...option]
  if (patch.some((edge) => edge % divisor !== 0)) throw invalid(`patch size [${patch.join(', ')}] must be multiples of ${divisor} (2^depth)`)
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

  const targetSpacingMm = base ? base.plan.targetSpacingMm : suggestTargetSpacing(cases.map((c) => c.spacingMm))
  const model = base
    ? base.plan.model
    : jsonCopy(
        resolveUNet3dOptions({
          inputChannels: channels,
          numClasses: classes.length + 1,
          depth: options.model?.depth ?? TRAINING_DEFAULTS.depth,
          baseFilters: options.model?.baseFilters ?? TRAINING_DEFAULTS.baseFilters,
          residualUnits: options.model?.residualUnits ?? TRAINING_DEFAULTS.residualUnits,
          seed: deriveSeed(inputs.seed, 0x3e1)
        })
      )
  const depth = typeof model.depth === 'number' ? model.depth : TRAINING_DEFAULTS.depth
  const divisor = spatialDivisor(depth)

  const batchSize = options.batchSize ?? base?.plan.batchSize ?? TRAINING_DEFAULTS.batchSize
  const native = inputs.backend === 'tensorflow'
  const median = medianShape(cases.map((c) => resampledShape(c.shape, c.spacingMm, targetSpacingMm)))
  const patchSize =
    patchFromOption(options.patchSize, divisor) ??
    base?.plan.patchSize ??
    suggestPatchSize(median, {
      divisor,
      batchSize,
      spacingMm: targetSpacingMm,
      ...(native ? { memoryBudgetBytes: TRAINING_DEFAULTS.nativeMemoryBudgetBytes } : { memoryBudgetBytes: TRAINING_DEFAULTS.cpuVoxelsPerStep * 1024, bytesPerVoxel: 1024 })
    })

  const validationFraction = options.validationFraction ?? TRAINING_DEFAULTS.validationFraction
  const split = splitCases(
    cases.map((c) => c.id),
    validationFraction,
    inputs.seed
  )
  const stepsPerEpoch =
    options.stepsPerEpoch ??
    Math.min(TRAINING_DEFAULTS.maxStepsPerEpoch, Math.max(TRAINING_DEFAULTS.minStepsPerEpoch, 2 * Math.ceil(split.training.length / batchSize)))
  const totalSteps = stepsPerEpoch * options.epochs
  const optimizer = options.optimizer ?? 'adam'
  const warmupSteps = Math.min(totalSteps - 1, options.warmupSteps ?? Math.min(TRAINING_DEFAULTS.maxWarmupSteps, Math.round(totalSteps * TRAINING_DEFAULTS.warmupFraction)))

  return {
    epochs: options.epochs,
    stepsPerEpoch,
    patchSize,
    batchSize,
    optimizer,
    learningRate: options.learningRate ?? TRAINING_DEFAULTS.learningRate[optimizer],
    momentum: options.momentum ?? TRAINING_DEFAULTS.momentum,
    schedule: options.schedule ?? TRAINING_DEFAULTS.schedule,
    warmupSteps: Math.max(0, warmupSteps),
    validationFraction,
    augment: options.augment ?? true,
    mirrorAxes: [...new Set(options.mirrorAxes ?? base?.plan.mirrorAxes ?? [])].sort(),
    seed: inputs.seed,
    patience: options.patience ?? TRAINING_DEFAULTS.patience,
    foregroundProbability: options.foregroundProbability ?? TRAINING_DEFAULTS.foregroundProbability,
    targetSpacingMm,
    modality: base ? base.plan.modality : inputs.modality,
    inputChannels: channels,
    classes,
    model,
    trainingCaseIds: split.training,
    validationCaseIds: split.validation,
    fromModel: base?.version ?? null,
    backend: inputs.backend
  }
}
