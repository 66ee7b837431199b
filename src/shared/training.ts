import { z } from 'zod'
import { AugmentationPlanSchema, AugmentationPresetSchema } from './augmentation'
import { PostprocessingPlanSchema, PostprocessingTargetSchema } from './postprocessing'
import { CaseIdSchema } from './project'

/**
 * Training and model versions as the contract, the engine and the project folder see them: the
 * options a user gives, the plan the engine resolves them to, progress and epoch summaries, the
 * `run.json` of a model version and what `models:list` returns. Pure zod.
 */

export const OPTIMIZERS = ['adam', 'sgd'] as const
export const OptimizerKindSchema = z.enum(OPTIMIZERS)
export type OptimizerKind = z.infer<typeof OptimizerKindSchema>

/**
 * Learning-rate schedules after the warm-up (the engine's lrSchedule.ts): 'poly' (nnU-Net, the
 * default), 'cosine', 'constant', and 'plateau': the peak, halved whenever the mean foreground
 * validation Dice has not improved for `plateauPatience` epochs, down to peak × 1e-3.
 */
export const LR_SCHEDULES = ['poly', 'cosine', 'constant', 'plateau'] as const
export const LrScheduleKindSchema = z.enum(LR_SCHEDULES)
export type LrScheduleKind = z.infer<typeof LrScheduleKindSchema>

/** Model version folder names follow the case id rule (they are folder names too). */
export const ModelVersionSchema = CaseIdSchema

const PatchEdge = z.number().int().min(4).max(512)
/**
 * One edge for a cube (a square slice [1, N, N] for a 2D network), or [D, H, W] voxels on the
 * resampled grid; multiples of 2^depth (D is 1 for a 2D network, hence its minimum of 1).
 */
export const PatchSizeSchema = z.union([PatchEdge, z.tuple([z.number().int().min(1).max(512), PatchEdge, PatchEdge])])

/**
 * The segmentation networks a run can build, by name (the engine's architecture registry,
 * src/engine/model/architectures.ts, maps each to its options, planner and builder):
 * - 'plain-unet': nnU-Net's plain U-Net (conv → instance norm → LeakyReLU, two per stage,
 *   strided-conv downsampling, transposed-conv upsampling);
 * - 'plain-unet-2d': the same in 2D (nnU-Net's 2d configuration): one slice at a time, 3×3 kernels;
 *   the default for one-slice cases (2D images), and trained on single slices of 3D volumes;
 * - 'residual-unet': DLTK's residual U-Net (pre-activation residual units, nearest upsampling);
 * - 'residual-unet-2d': the same in 2D, one slice at a time;
 * - 'unetpp', 'unetpp-2d': U-Net++ (Zhou et al. 2018), nested decoders with dense skips, from the
 *   plain U-Net's blocks, in 3D and 2D.
 */
export const ARCHITECTURES = ['plain-unet', 'plain-unet-2d', 'residual-unet', 'residual-unet-2d', 'unetpp', 'unetpp-2d'] as const
export const ArchitectureNameSchema = z.enum(ARCHITECTURES)
export type ArchitectureName = z.infer<typeof ArchitectureNameSchema>
/** One line per network, for `voxloop train --help` and the training form. */
export const ARCHITECTURE_DESCRIPTIONS: Readonly<Record<ArchitectureName, string>> = {
  'plain-unet': "nnU-Net's plain U-Net: conv–norm–LeakyReLU ×2 per stage, strided/transposed convs",
  'plain-unet-2d': 'the plain U-Net in 2D: one slice at a time (default for 2D images; slice by slice on volumes)',
  'residual-unet': 'residual U-Net (DLTK): pre-activation residual units, nearest upsampling',
  'residual-unet-2d': 'the residual U-Net in 2D: one slice at a time',
  unetpp: 'U-Net++: nested decoders with dense skips, plain U-Net blocks (a step ~2–2.5× the plain one)',
  'unetpp-2d': 'U-Net++ in 2D: one slice at a time (depth ≤ 4 by default)'
}
/**
 * The networks that see one slice at a time (the engine registry's `planar`): the only ones a
 * project of one-slice cases (2D images) can train; the others are 3D.
 */
export const PLANAR_ARCHITECTURES: readonly ArchitectureName[] = ['plain-unet-2d', 'residual-unet-2d', 'unetpp-2d']
/** The networks a project whose training cases are all one slice can train: the planar ones. */
export function architecturesFor(dims: ReadonlyArray<readonly number[]>): readonly ArchitectureName[] {
  return oneSliceCases(dims) ? PLANAR_ARCHITECTURES : ARCHITECTURES
}

/**
 * The network a new model gets when the user names none, chosen by cross-validation on the 41
 * hippocampus cases (docs/TRAINING.md, "Networks by name"): the plain U-Net with deep supervision
 * beat the residual U-Net at the same steps (0.858 / 0.843 vs 0.827 / 0.818 Dice, 2 folds × 800 steps).
 */
export const DEFAULT_ARCHITECTURE: ArchitectureName = 'plain-unet'
/**
 * The default instead when every case is one slice (2D images): a 3D network there would pad the
 * slice to a stack of zeros (the engine's planner, src/engine/train/trainingPlan.ts).
 */
export const DEFAULT_ARCHITECTURE_2D: ArchitectureName = 'plain-unet-2d'
/**
 * The default network the training form shows for cases of these grids (voxels per axis): the 2D
 * one when every case is a single slice along some axis. The engine's planner makes the same choice
 * on the resampled shapes (trainingPlan.ts); no cases: the 3D default.
 */
export function defaultArchitectureFor(dims: ReadonlyArray<readonly number[]>): ArchitectureName {
  return oneSliceCases(dims) ? DEFAULT_ARCHITECTURE_2D : DEFAULT_ARCHITECTURE
}

/** Every case a single slice along some axis (and at least one case). */
function oneSliceCases(dims: ReadonlyArray<readonly number[]>): boolean {
  return dims.length > 0 && dims.every((grid) => grid.some((size) => size === 1))
}

/** The networks with deep-supervision heads (the plain U-Nets, U-Net++); the residual U-Nets have one output. */
export const DEEP_SUPERVISION_ARCHITECTURES: readonly ArchitectureName[] = ['plain-unet', 'plain-unet-2d', 'unetpp', 'unetpp-2d']
/** What a plan without an `architecture` field (runs before the registry) built. */
export const LEGACY_ARCHITECTURE: ArchitectureName = 'residual-unet'

export const ModelShapeOptionsSchema = z
  .object({
    /** Network by name (ARCHITECTURES); default the engine's TRAINING_DEFAULTS.architecture. */
    architecture: ArchitectureNameSchema.optional(),
    /** Downsampling levels; 1–6 (the builders' range), default 3 (3D) or from the slice size (2D: 6 for 512², at most 4 for U-Net++ and the residual U-Net). */
    depth: z.number().int().min(1).max(6).optional(),
    /** Feature channels at full resolution; 2–64, default 8 (the CPU budget; nnU-Net uses 32 on GPUs). */
    baseFilters: z.number().int().min(2).max(64).optional(),
    /** Residual units per level (the residual U-Nets only); 1–4, default 1. */
    residualUnits: z.number().int().min(1).max(4).optional(),
    /**
     * Deep supervision: extra loss on lower decoder stages (the plain U-Nets; default true, as
     * nnU-Net) or on U-Net++'s nested decoders (default true); DEEP_SUPERVISION_ARCHITECTURES.
     */
    deepSupervision: z.boolean().optional()
  })
  .strict()

/**
 * Training losses by name (the engine's losses.ts; docs/TRAINING.md, "Losses"). Each is a region
 * term over the batch per foreground class plus a voxel-wise term, weighted by `diceWeight` and
 * `ceWeight`:
 * - 'dice-ce' (default): 1 − mean soft Dice + cross-entropy (nnU-Net's);
 * - 'dice-bce': binary tasks only (one foreground label): soft Dice of the foreground + binary
 *   cross-entropy of the foreground probability;
 * - 'focal': soft Dice + focal loss (Lin et al. 2017), cross-entropy scaled by (1 − p)^gamma so
 *   that well-classified voxels count less; optional `alpha` weighs foreground classes (background
 *   1 − alpha). Dice stays in (diceWeight 1) because focal loss alone learns small structures slowly;
 * - 'tversky': 1 − mean Tversky index (Salehi et al. 2017; `alpha` weighs false positives, `beta`
 *   false negatives: β > α favours recall) + cross-entropy, which keeps early gradients well-behaved.
 */
export const LOSSES = ['dice-ce', 'dice-bce', 'focal', 'tversky'] as const
export const LossKindSchema = z.enum(LOSSES)
export type LossKind = z.infer<typeof LossKindSchema>
/** One line per loss, for `voxloop train --help` and the training form. */
export const LOSS_DESCRIPTIONS: Readonly<Record<LossKind, string>> = {
  'dice-ce': 'soft Dice + cross-entropy (default)',
  'dice-bce': 'soft Dice + binary cross-entropy (one foreground label only)',
  focal: 'soft Dice + focal loss (down-weights easy voxels)',
  tversky: 'Tversky index (weights false positives α and negatives β) + cross-entropy'
}
/** The parameters each loss takes besides its two weights. */
export const LOSS_PARAMETERS: Readonly<Record<LossKind, ReadonlyArray<'alpha' | 'beta' | 'gamma'>>> = {
  'dice-ce': [],
  'dice-bce': [],
  focal: ['gamma', 'alpha'],
  tversky: ['alpha', 'beta']
}
export const LOSS_DEFAULTS = {
  diceWeight: 1,
  ceWeight: 1,
  focalGamma: 2,
  tverskyAlpha: 0.3,
  tverskyBeta: 0.7
} as const

const LossWeightSchema = z.number().min(0).max(100)

/**
 * The loss a user asks for. `kind` absent: the base model's loss when fine-tuning, else 'dice-ce';
 * parameters absent: the base model's when it has the same kind, else LOSS_DEFAULTS. A parameter
 * the kind does not take is refused (`alpha` is the focal class weight for 'focal', the
 * false-positive weight for 'tversky').
 */
export const LossOptionsSchema = z
  .object({
    kind: LossKindSchema.optional(),
    /** Weight of the region term (soft Dice, or the Tversky index); 0–100, default 1. */
    diceWeight: LossWeightSchema.optional(),
    /** Weight of the voxel-wise term (cross-entropy, binary cross-entropy or focal); 0–100, default 1. */
    ceWeight: LossWeightSchema.optional(),
    /** 'focal': weight of foreground classes, (0, 1) (background 1 − alpha), default none; 'tversky': false-positive weight 0–1, default 0.3. */
    alpha: z.number().min(0).max(1).optional(),
    /** 'tversky': false-negative weight 0–1, default 0.7. */
    beta: z.number().min(0).max(1).optional(),
    /** 'focal': focusing exponent 0–10 (0: plain cross-entropy), default 2. */
    gamma: z.number().min(0).max(10).optional()
  })
  .strict()
  .superRefine((loss, context) => {
    const problem = lossOptionsProblem(loss)
    if (problem) context.addIssue({ code: 'custom', message: problem })
  })
export type LossOptions = z.infer<typeof LossOptionsSchema>

/** What is wrong with loss options once their kind is known (null: nothing). Also checked by the planner after resolving the kind. */
export function lossOptionsProblem(loss: LossOptions): string | null {
  if (loss.diceWeight === 0 && loss.ceWeight === 0) return 'diceWeight and ceWeight cannot both be 0 (nothing would be learned)'
  const kind = loss.kind
  if (kind === undefined) return null
  const takes = LOSS_PARAMETERS[kind]
  const extra = (['alpha', 'beta', 'gamma'] as const).filter((name) => loss[name] !== undefined && !takes.includes(name))
  if (extra.length > 0) return `loss '${kind}' takes no ${extra.join(', ')}${takes.length ? ` (it takes ${takes.join(', ')})` : ''}`
  if (kind === 'focal' && loss.alpha !== undefined && !(loss.alpha > 0 && loss.alpha < 1)) return `focal alpha must be between 0 and 1 (exclusive), got ${loss.alpha}`
  if (kind === 'tversky' && loss.alpha === 0 && loss.beta === 0) return 'tversky alpha and beta cannot both be 0'
  return null
}

/** The loss a run trains with, every parameter resolved (recorded in the plan). */
export const LossPlanSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dice-ce'), diceWeight: LossWeightSchema, ceWeight: LossWeightSchema }).strict(),
  z.object({ kind: z.literal('dice-bce'), diceWeight: LossWeightSchema, ceWeight: LossWeightSchema }).strict(),
  z.object({ kind: z.literal('focal'), diceWeight: LossWeightSchema, ceWeight: LossWeightSchema, gamma: z.number().min(0).max(10), alpha: z.number().gt(0).lt(1).nullable() }).strict(),
  z.object({ kind: z.literal('tversky'), diceWeight: LossWeightSchema, ceWeight: LossWeightSchema, alpha: z.number().min(0).max(1), beta: z.number().min(0).max(1) }).strict()
])
export type LossPlan = z.infer<typeof LossPlanSchema>

/** What a plan without a `loss` field (runs before losses by name) trained with; also the default. */
export const DEFAULT_LOSS: LossPlan = Object.freeze({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })

/** The plan's loss, or the default for older plans. */
export function lossOfPlan(plan: { loss?: LossPlan | undefined }): LossPlan {
  return plan.loss ?? DEFAULT_LOSS
}

const n = (value: number): string => String(Number(value.toPrecision(6)))
const weighted = (weight: number, text: string): string => (weight === 1 ? text : `${n(weight)}·${text}`)

/** "Dice + CE", "0.5·Tversky (α 0.3, β 0.7) + CE", "Dice + focal (γ 2, α 0.25)": for the CLI report and the model table. */
export function describeLoss(loss: LossPlan): string {
  const terms = (region: string, voxel: string): string =>
    [loss.diceWeight > 0 ? weighted(loss.diceWeight, region) : null, loss.ceWeight > 0 ? weighted(loss.ceWeight, voxel) : null].filter((t) => t !== null).join(' + ')
  switch (loss.kind) {
    case 'dice-ce':
      return terms('Dice', 'CE')
    case 'dice-bce':
      return terms('Dice', 'BCE')
    case 'focal':
      return terms('Dice', `focal (γ ${n(loss.gamma)}${loss.alpha === null ? '' : `, α ${n(loss.alpha)}`})`)
    case 'tversky':
      return terms(`Tversky (α ${n(loss.alpha)}, β ${n(loss.beta)})`, 'CE')
  }
}

/** The reference time budget of a run when the user sets none: 15 minutes (a 2-core CPU's). */
export const DEFAULT_TRAINING_MINUTES = 15
/**
 * The same for a project of 2D images (one-slice cases): 9 minutes, so that a first model of a few
 * dozen X-rays is trained and scored within 10 on 2 cores (issue #17). The step target stays 60 per
 * training case; on 2 cores at the 2D spacing (192², the engine's planarSpacing) 9 minutes give
 * ~1,380 steps of the plain 2D U-Net, which the 26 training X-rays of a 2D bench fold need: 1,040
 * steps scored 0.92 held-out lung Dice, 1,378 0.96 (docs/TRAINING.md, "2D spacing").
 */
export const DEFAULT_TRAINING_MINUTES_2D = 9
/** The default budget for cases of these grids (voxels per axis): the 2D one when every case is one slice. */
export function defaultTrainingMinutesFor(dims: ReadonlyArray<readonly number[]>): number {
  return oneSliceCases(dims) ? DEFAULT_TRAINING_MINUTES_2D : DEFAULT_TRAINING_MINUTES
}

/**
 * What a user asks for. Everything has a default picked from the data (see the engine's
 * trainingPlan.ts); the resolved values are recorded in the version's run.json. The default budget
 * is time: the run trains for up to `minutes` (default: what the data needs, at most
 * DEFAULT_TRAINING_MINUTES, DEFAULT_TRAINING_MINUTES_2D for 2D images) and the number of epochs follows from the measured step time. Giving
 * `epochs` instead fixes the number of steps.
 */
export const TrainingOptionsSchema = z
  .object({
    /** Train for up to this many minutes (epochs follow from the measured step time); default from the data, at most 15 (9 for 2D images). */
    minutes: z.number().positive().max(7 * 24 * 60).optional(),
    /** Passes of `stepsPerEpoch` steps; each ends with validation and a checkpoint. 1–10,000. Overrides the time budget. */
    epochs: z.number().int().min(1).max(10_000).optional(),
    /** Optimiser steps per epoch; default from the number of training cases (10–250). */
    stepsPerEpoch: z.number().int().min(1).max(100_000).optional(),
    patchSize: PatchSizeSchema.optional(),
    /** Patches per step; 1–64, default 2. */
    batchSize: z.number().int().min(1).max(64).optional(),
    /** Peak learning rate; default 3e-3 for Adam, 1e-2 for SGD. */
    learningRate: z.number().positive().max(10).optional(),
    optimizer: OptimizerKindSchema.optional(),
    /** SGD momentum (Nesterov); 0–0.999, default 0.99 (nnU-Net). */
    momentum: z.number().min(0).max(0.999).optional(),
    schedule: LrScheduleKindSchema.optional(),
    /** 'plateau' schedule: epochs without a better mean foreground validation Dice before the rate is halved; default max(2, round(patience / 3)). */
    plateauPatience: z.number().int().min(1).max(10_000).optional(),
    /** The training loss; default 'dice-ce' with weights 1/1 (or the base model's when fine-tuning). */
    loss: LossOptionsSchema.optional(),
    /** Steps of linear warm-up from 0 to the peak; default 5 % of all steps, at most 200. */
    warmupSteps: z.number().int().min(0).max(1_000_000).optional(),
    /**
     * Share of the cases held out for validation, drawn from the seed; 0–0.9, default 0.2 (at least
     * one case when there are two or more). Only with `caseIds`: a run on the default selection
     * validates on the project's recorded validation split.
     */
    validationFraction: z.number().min(0).max(0.9).optional(),
    /**
     * Augmentation preset ('none' | 'light' | 'medium' | 'heavy', src/shared/augmentation.ts); default
     * 'medium' (what every measured run used). Each expands to an explicit transform list, recorded in
     * the plan.
     */
    augmentation: AugmentationPresetSchema.optional(),
    /** Before presets: false = 'none', true = the default preset. Kept for old callers; `augmentation` wins. */
    augment: z.boolean().optional(),
    /**
     * Random quarter turns in the H × W plane (with an in-plane mirror axis, transposes too); default
     * false: most anatomy has one in-plane orientation (a chest X-ray's left and right differ).
     */
    quarterTurns: z.boolean().optional(),
    /**
     * Spatial axes (0 = D, 1 = H, 2 = W of the resampled grid) that augmentation mirrors, each with
     * chance 0.5; default none (or the base model's when fine-tuning). Only for structures that look
     * alike mirrored: a label that carries orientation (hippocampus head vs tail) stops being
     * learnable. Mirror test-time augmentation uses exactly these axes.
     */
    mirrorAxes: z.array(z.number().int().min(0).max(2)).max(3).optional(),
    /** Seeds the split, the weights, the batches and the augmentation; default random (recorded). */
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** Epochs without a better mean foreground validation Dice before stopping; default 20. */
    patience: z.number().int().min(1).max(10_000).optional(),
    /** Chance a patch is centred on a labelled voxel; 0–1, default 0.33. */
    foregroundProbability: z.number().min(0).max(1).optional(),
    model: ModelShapeOptionsSchema.optional(),
    /** Train on these cases (labelled); default every 'done' case with a saved label. */
    caseIds: z.array(CaseIdSchema).min(1).max(100_000).optional(),
    /** Start from this version's best weights (fine-tuning); its architecture and patch size are kept. */
    fromModel: ModelVersionSchema.optional(),
    /** Continue this version's interrupted run from its last checkpoint; the other options are ignored. */
    resume: ModelVersionSchema.optional()
  })
  .strict()
  .refine((options) => !(options.augment === false && options.augmentation !== undefined && options.augmentation !== 'none'), {
    message: 'augment: false (no augmentation) contradicts the augmentation preset asked for',
    path: ['augment']
  })
export type TrainingOptions = z.input<typeof TrainingOptionsSchema>

export const Shape3Schema = z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)])
const Vec3Schema = z.tuple([z.number(), z.number(), z.number()])

/**
 * What a dataset is, measured once per training run on its training cases (nnU-Net's fingerprint):
 * voxel spacings and shapes, and per channel the intensities of the labelled foreground (up to
 * 10,000 voxels per case, evenly strided). The normalisation is chosen from it and recorded beside it.
 */
export const DatasetFingerprintSchema = z.object({
  cases: z.number().int().min(0),
  /** [x, y, z] mm. */
  spacingMm: z.object({ median: Vec3Schema, min: Vec3Schema, max: Vec3Schema }),
  /** [D, H, W] voxels on the cases' own grids. */
  shape: z.object({ median: Shape3Schema, min: Shape3Schema, max: Shape3Schema }),
  foregroundIntensity: z.array(
    z.object({
      mean: z.number(),
      sd: z.number(),
      min: z.number(),
      max: z.number(),
      p00_5: z.number(),
      p99_5: z.number(),
      /** Voxels the statistics come from (0: no labelled voxel in any case). */
      voxels: z.number().int().min(0)
    })
  )
})
export type DatasetFingerprint = z.infer<typeof DatasetFingerprintSchema>

/** out = (clamp(x, clip) − offset) · scale, per channel (the engine's ChannelNormalization). */
export const ChannelNormalizationSchema = z.object({
  kind: z.enum(['zscore', 'window']),
  clip: z.tuple([z.number(), z.number()]).nullable(),
  offset: z.number(),
  scale: z.number()
})

/**
 * How a model's inputs are normalised, the same at training and prediction:
 * - `ct-dataset`: CT clipped to the training foreground's 0.5–99.5 percentiles, then z-scored with
 *   the foreground's mean and sd (nnU-Net's CTNormalization); fixed numbers in `channels`;
 * - `per-volume-zscore`: MR and other modalities, each volume z-scored on its own robust statistics.
 */
export const NormalizationPlanSchema = z.object({
  scheme: z.enum(['ct-dataset', 'per-volume-zscore']),
  channels: z.array(ChannelNormalizationSchema).nullable(),
  /** Why this scheme (for the model table and run.json readers). */
  reason: z.string()
})
export type NormalizationPlan = z.infer<typeof NormalizationPlanSchema>

/** Output channel `index` of the model predicts project label `labelId` (index 0: background). */
export const TrainingClassSchema = z.object({ index: z.number().int().min(1), labelId: z.number().int().min(1), name: z.string() })
export type TrainingClass = z.infer<typeof TrainingClassSchema>

/** The options resolved against the data: what the run actually does. Stored in run.json. */
export const TrainingPlanSchema = z.object({
  /** With a time budget: the run's current estimate, re-sized from the measured step and validation times. */
  epochs: z.number().int().min(1),
  /**
   * The run's time budget in seconds, or null when the user fixed the epochs. Absent in older runs: null.
   * Epochs are sized to it once the first steps are timed and again after each epoch.
   */
  timeBudgetSeconds: z.number().positive().nullable().optional(),
  /** With a default budget: the steps the data needs (the run stops there if that comes before the budget). */
  targetSteps: z.number().int().min(1).nullable().optional(),
  stepsPerEpoch: z.number().int().min(1),
  /** [D, H, W] voxels on the resampled grid. */
  patchSize: Shape3Schema,
  batchSize: z.number().int().min(1),
  optimizer: OptimizerKindSchema,
  learningRate: z.number().positive(),
  momentum: z.number(),
  schedule: LrScheduleKindSchema,
  /** 'plateau' only: epochs without improvement before the rate is halved. */
  plateauPatience: z.number().int().min(1).optional(),
  /** The training loss, resolved. Absent in older runs: DEFAULT_LOSS (dice-ce 1/1). */
  loss: LossPlanSchema.optional(),
  warmupSteps: z.number().int().min(0),
  validationFraction: z.number(),
  /** Whether the run augmented at all (its preset is not 'none'). */
  augment: z.boolean(),
  /** The preset and the transforms it expanded to; absent in older runs: 'medium' when `augment`, else 'none'. */
  augmentation: AugmentationPlanSchema.optional(),
  /** Axes augmentation mirrored (sorted, distinct); absent in older runs: none. */
  mirrorAxes: z.array(z.number().int().min(0).max(2)).optional(),
  seed: z.number().int(),
  patience: z.number().int().min(1),
  foregroundProbability: z.number(),
  /** Voxel size the cases are resampled to, [x, y, z] mm. */
  targetSpacingMm: Vec3Schema,
  modality: z.enum(['CT', 'MR', 'other']),
  /** The training cases measured (absent in older runs). */
  fingerprint: DatasetFingerprintSchema.optional(),
  /** The input normalisation chosen from modality and fingerprint (absent in older runs: CT window −1000…1000 HU, others per-volume z-score). */
  normalization: NormalizationPlanSchema.optional(),
  inputChannels: z.number().int().min(1),
  classes: z.array(TrainingClassSchema),
  /**
   * Labels of the project's table left out of the model because no training case had a voxel of
   * them (a model cannot learn a class it never sees; it would predict it at random). Absent in
   * older runs: none left out.
   */
  excludedLabels: z.array(z.object({ labelId: z.number().int().min(1), name: z.string() })).optional(),
  /** The network built (absent in runs before the architecture registry: LEGACY_ARCHITECTURE). */
  architecture: ArchitectureNameSchema.optional(),
  /** The network's options (JSON), as its architecture's resolver filled them in. */
  model: z.record(z.string(), z.json()),
  trainingCaseIds: z.array(z.string()),
  validationCaseIds: z.array(z.string()),
  /**
   * Where validationCaseIds came from: 'project' = the project's recorded validation split (the
   * same cases for every retrain, so versions' validation figures compare); 'seeded' = drawn from
   * the run seed (an explicit case list, or an older run when absent).
   */
  validationSplit: z.enum(['project', 'seeded']).optional(),
  /** Version whose weights the run started from, or null. */
  fromModel: z.string().nullable(),
  /** Compute backend of the run (a resumed run on another backend is no longer bit-identical). */
  backend: z.string(),
  /**
   * Engine worker threads that split each batch (data-parallel; the sums of their gradients are
   * added in a fixed order, so a resumed run keeps this count). Absent in older runs: 1.
   */
  workers: z.number().int().min(1).optional()
})
export type TrainingPlan = z.infer<typeof TrainingPlanSchema>

export const LabelScoreSchema = z.object({
  labelId: z.number().int().min(1),
  name: z.string(),
  /** Mean over the validation cases. */
  dice: z.number(),
  iou: z.number(),
  /** Mean over the cases whose reference has the label; null when none has it. */
  sensitivity: z.number().nullable(),
  specificity: z.number().nullable(),
  /**
   * Surface metrics, from `models:evaluate` only (absent in training validation): the 95th
   * percentile symmetric surface distance in mm (a label found in only one map scores the diagonal
   * of the volume), the normalised surface Dice at the report's tolerance, and predicted / reference
   * voxels (null when the reference lacks the label). Definitions: the engine's surfaceMetrics.ts.
   */
  hd95Mm: z.number().optional(),
  surfaceDice: z.number().optional(),
  /** Per case; in a mean, the mean over the cases whose reference has the label (null when none has it). */
  volumeRatio: z.number().nullable().optional()
})
export type LabelScore = z.infer<typeof LabelScoreSchema>

export const ValidationScoresSchema = z.object({
  /** Mean over foreground labels of the per-label mean Dice: what early stopping watches. */
  meanForegroundDice: z.number(),
  perLabel: z.array(LabelScoreSchema),
  cases: z.number().int().min(0),
  /**
   * Pixel (voxel) accuracy: the share of voxels whose predicted class is the reference's, background
   * included; mean over the cases. Dominated by background in most medical images (0.99 for an
   * empty prediction of a 1 % structure), so it complements Dice rather than replacing it.
   * Absent in older runs and reports.
   */
  pixelAccuracy: z.number().min(0).max(1).optional(),
  /**
   * Training validation only: the run's training loss (plan.loss; by default 1 − mean foreground
   * soft Dice + cross-entropy) of each held-out case, predicted whole by sliding window, on the resampled
   * grid against its resampled label; mean over the cases. Measured on whole cases, not on
   * foreground-biased patches as the training loss is, so its level differs; its trend (rising while
   * the training loss falls: overfitting) is what it is for. Absent in older runs and in evaluations.
   */
  loss: z.number().optional()
})
export type ValidationScores = z.infer<typeof ValidationScoresSchema>

export const TensorMemorySchema = z.object({ numTensors: z.number().int(), numBytes: z.number() })

export const EpochSummarySchema = z.object({
  epoch: z.number().int().min(1),
  /** Mean training loss (the plan's loss; by default soft Dice + cross-entropy) over the epoch's steps. */
  trainLoss: z.number(),
  /** Null when there is no held-out case. */
  validation: ValidationScoresSchema.nullable(),
  learningRate: z.number(),
  seconds: z.number(),
  /** Optimiser steps done when the epoch ended. */
  step: z.number().int()
})
export type EpochSummary = z.infer<typeof EpochSummarySchema>

export const TRAINING_PHASES = ['preparing', 'training', 'validating', 'saving'] as const

/** Sent while a run trains (at most a few per second). */
export const TrainingProgressSchema = z.object({
  runId: z.string(),
  version: z.string(),
  phase: z.enum(TRAINING_PHASES),
  /** 1-based epoch under way. */
  epoch: z.number().int(),
  epochs: z.number().int(),
  /** Steps done in all, and in this epoch. */
  step: z.number().int(),
  stepInEpoch: z.number().int(),
  stepsPerEpoch: z.number().int(),
  totalSteps: z.number().int(),
  /** Loss of the last step; null before the first. */
  loss: z.number().nullable(),
  learningRate: z.number(),
  /** Training patches per second over the recent steps. */
  patchesPerSecond: z.number(),
  /** Seconds until the last epoch ends at the current pace (validation included); null before it is known. */
  etaSeconds: z.number().nullable(),
  elapsedSeconds: z.number(),
  /** tf.memory() of the engine: tensors alive and their bytes. */
  memory: TensorMemorySchema,
  /** Per-label Dice of the latest validation, or null before the first. */
  lastValidation: ValidationScoresSchema.nullable()
})
export type TrainingProgress = z.infer<typeof TrainingProgressSchema>

/**
 * Sent while a run prepares its data, before it is planned (`train:started`): one per case read
 * for the dataset fingerprint or prepared into the cache (a case already in the cache is quick).
 */
export const TrainingPreparingSchema = z.object({
  runId: z.string(),
  /** 'fingerprint': measuring the training cases; 'cache': preparing every case for training. */
  stage: z.enum(['fingerprint', 'cache']),
  /** Cases done in this stage, and the stage's cases. */
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  caseId: z.string().nullable(),
  elapsedSeconds: z.number()
})
export type TrainingPreparing = z.infer<typeof TrainingPreparingSchema>

/** Sent at the end of each epoch, after its checkpoint is on disk. */
export const TrainingEpochEventSchema = EpochSummarySchema.extend({
  runId: z.string(),
  version: z.string(),
  epochs: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  /** Whether this epoch is the new best (its checkpoint became the version's model). */
  improved: z.boolean(),
  epochsWithoutImprovement: z.number().int(),
  memory: TensorMemorySchema
})
export type TrainingEpochEvent = z.infer<typeof TrainingEpochEventSchema>

export const RUN_STATUSES = ['running', 'completed', 'early-stopped', 'cancelled', 'stopped', 'failed'] as const
export const RunStatusSchema = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof RunStatusSchema>

/** How a `train:start` / `training:start` run ended. */
export const TrainingResultSchema = z.object({
  runId: z.string(),
  version: z.string(),
  status: RunStatusSchema,
  epochsCompleted: z.number().int(),
  step: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  /** The best epoch's validation scores (the model the version holds). */
  best: ValidationScoresSchema.nullable(),
  /** The last epoch's validation scores. */
  last: ValidationScoresSchema.nullable(),
  history: z.array(EpochSummarySchema),
  seconds: z.number(),
  /** Why it failed, for 'failed'. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /**
   * The post-processing chosen on the validation cases once the run finished (completed or
   * early-stopped), as recorded in run.json; null when none was chosen (the run did not finish, or
   * was cancelled while choosing). Absent from older engines.
   */
  postprocessing: PostprocessingPlanSchema.nullable().optional()
})
export type TrainingResult = z.infer<typeof TrainingResultSchema>

/** What `training:start` answers once the engine has planned the run (data loaded, version created). */
export const TrainingStartedSchema = z.object({
  runId: z.string(),
  version: z.string(),
  resumed: z.boolean(),
  /** Epoch the run starts at (1, or the one after the resumed checkpoint). */
  startEpoch: z.number().int(),
  plan: TrainingPlanSchema
})
export type TrainingStarted = z.infer<typeof TrainingStartedSchema>

export const RUN_FORMAT_VERSION = 1

/**
 * `models/<version>/run.json`, rewritten atomically after every epoch; it is the commit point of a
 * checkpoint (a checkpoint folder it does not name is debris). Layout in docs/TRAINING.md.
 */
export const TrainingRunRecordSchema = z.object({
  formatVersion: z.literal(RUN_FORMAT_VERSION),
  version: z.string(),
  runId: z.string(),
  /** 'running' on disk after a crash too: the service reports it as resumable when no run is live. */
  status: RunStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  plan: TrainingPlanSchema,
  history: z.array(EpochSummarySchema),
  bestEpoch: z.number().int().nullable(),
  bestDice: z.number().nullable(),
  /** Checkpoint folders relative to the version folder. */
  checkpoints: z.object({ best: z.string().nullable(), last: z.string().nullable() }),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Chosen on the validation cases when the run finished; predictions apply it. Absent: none (older versions too). */
  postprocessing: PostprocessingPlanSchema.optional()
})
export type TrainingRunRecord = z.infer<typeof TrainingRunRecordSchema>

/** The test figures of a model version, as the model table shows them. */
export const TestFiguresSchema = z.object({
  evaluatedAt: z.string(),
  /** Means over the test cases (Dice, IoU, HD95, …), with `cases` their number. */
  scores: ValidationScoresSchema,
  /**
   * Whether the project's test split (its curated test cases) is no longer the one measured: the
   * figures then do not compare with those of versions evaluated on the current split.
   */
  splitChanged: z.boolean(),
  /**
   * Test cases this version's own run trained or validated on (they were moved to the test split
   * after it): its test figures are then not measured on unseen cases.
   */
  seenInTraining: z.array(z.string())
})
export type TestFigures = z.infer<typeof TestFiguresSchema>

/** One row of `models:list`. */
export const ModelVersionInfoSchema = z.object({
  version: z.string(),
  /** 'running' only while this app trains it; an abandoned run reads 'stopped'. */
  status: RunStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  epochsCompleted: z.number().int(),
  epochs: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  /** Validation scores of the best epoch (the version's model); `metrics.loss` its validation loss when recorded. */
  metrics: ValidationScoresSchema.nullable(),
  /** Mean training loss over the best epoch's steps (on training patches); null without a completed epoch. */
  trainLoss: z.number().nullable().default(null),
  /** The latest scores on the project's test split (`voxloop evaluate --split test`), or null when never measured. */
  test: TestFiguresSchema.nullable().default(null),
  /** Whether the version has a model to predict with. */
  usable: z.boolean(),
  /** Whether `training:start` with `resume` can continue it. */
  resumable: z.boolean(),
  trainingCases: z.number().int(),
  validationCases: z.number().int(),
  /** plan.validationSplit: 'project' when validated on the project's fixed validation split; older versions 'seeded'. */
  validationSplit: z.enum(['project', 'seeded']).default('seeded'),
  patchSize: Shape3Schema,
  /** The network (plan.architecture; LEGACY_ARCHITECTURE for older versions) and whether it trained with deep supervision. */
  architecture: ArchitectureNameSchema.default(LEGACY_ARCHITECTURE),
  deepSupervision: z.boolean().default(false),
  fromModel: z.string().nullable(),
  /** The input normalisation the version uses and why (plan.normalization.reason); null for older versions. */
  normalization: z.string().nullable().default(null),
  /** The training loss (describeLoss of plan.loss; older versions: the default's description). */
  loss: z.string().nullable().default(null),
  /** What post-processing predictions apply and why (describePostprocessing); null when none was chosen. */
  postprocessing: z.string().nullable().default(null),
  /** Set when run.json (or the stored test evaluation) could not be read. */
  problem: z.string().nullable(),
  /** The labels the version predicts (plan.classes), by project label id. */
  labels: z.array(z.object({ labelId: z.number().int().min(1), name: z.string() })).default([]),
  /**
   * Why the version does not fit the project's label table now (it predicts a label the table no
   * longer has, or under another name), or null when it fits: such a version cannot be made
   * active or fine-tuned (modelLabels.ts).
   */
  labelMismatch: z.string().nullable().default(null)
})
export type ModelVersionInfo = z.infer<typeof ModelVersionInfoSchema>

export const CaseEvaluationSchema = z.object({
  caseId: z.string(),
  perLabel: z.array(LabelScoreSchema),
  meanForegroundDice: z.number(),
  /** Share of the case's voxels classified as the reference (background included); absent in older reports. */
  pixelAccuracy: z.number().min(0).max(1).optional()
})
export type CaseEvaluation = z.infer<typeof CaseEvaluationSchema>

/** `models:evaluate`: a version's best model against the cases' saved labels, on their own grids. */
export const EvaluationReportSchema = z.object({
  version: z.string(),
  cases: z.array(CaseEvaluationSchema),
  mean: ValidationScoresSchema,
  /** Tolerance of the normalised surface Dice, mm (2 by default). Absent in older reports. */
  surfaceToleranceMm: z.number().optional(),
  /** The model's recorded post-processing steps, applied to every prediction before scoring. Absent: none. */
  postprocessing: z.array(PostprocessingTargetSchema).optional(),
  seconds: z.number()
})
export type EvaluationReport = z.infer<typeof EvaluationReportSchema>

export const STORED_EVALUATION_FORMAT_VERSION = 1

/**
 * `models/<version>/evaluation-test.json`: the latest evaluation of the version on the project's
 * test split, kept so that the model table can show test figures apart from validation ones.
 * Rewritten atomically by each `evaluate --split test`.
 */
export const StoredEvaluationSchema = z.object({
  formatVersion: z.literal(STORED_EVALUATION_FORMAT_VERSION),
  split: z.literal('test'),
  evaluatedAt: z.string(),
  /** The cases scored (the curated cases of the test split then), in the order scored. */
  caseIds: z.array(z.string()),
  report: EvaluationReportSchema
})
export type StoredEvaluation = z.infer<typeof StoredEvaluationSchema>

/** What main knows about the run that is live now (`training:status`). */
export const TrainingStatusSchema = z.object({
  state: z.enum(['idle', 'starting', 'running', 'cancelling']),
  runId: z.string().nullable(),
  version: z.string().nullable(),
  started: TrainingStartedSchema.nullable(),
  progress: TrainingProgressSchema.nullable(),
  lastEpoch: TrainingEpochEventSchema.nullable(),
  /** The latest data-preparation event of the run being started (before it is planned), or null. */
  preparing: TrainingPreparingSchema.nullable().default(null),
  /** How the previous run of this app instance ended. */
  lastResult: TrainingResultSchema.nullable()
})
export type TrainingStatus = z.infer<typeof TrainingStatusSchema>
