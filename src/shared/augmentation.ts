import { z } from 'zod'

/**
 * Training augmentation as plain data: a preset name expands to an explicit list of transforms, each
 * with its chance and ranges, and that list is what the engine applies (src/engine/data/augment) and
 * what run.json records. The list comes out in the order the engine applies the transforms
 * (spatial first, then intensities, dropout last), whatever order a caller writes.
 *
 * Units: angles in degrees; shifts and crop areas as fractions of the patch; elastic strength and
 * smoothness in voxels of the resampled training grid (the plan's targetSpacingMm per voxel);
 * intensities in normalised units (z-scores: standard deviations). On a one-slice patch (D = 1, the
 * 2D networks) every spatial transform acts in the H × W plane only.
 */

export const AUGMENTATION_PRESETS = ['none', 'light', 'medium', 'heavy'] as const
export const AugmentationPresetSchema = z.enum(AUGMENTATION_PRESETS)
export type AugmentationPreset = z.infer<typeof AugmentationPresetSchema>

/**
 * The preset a run gets when the user names none (and what `augment: true` meant before presets):
 * 'medium' is exactly the augmentation every earlier measurement in docs/TRAINING.md used.
 */
export const DEFAULT_AUGMENTATION_PRESET: AugmentationPreset = 'medium'

export const AUGMENTATION_PRESET_DESCRIPTIONS: Readonly<Record<AugmentationPreset, string>> = {
  none: 'no augmentation: every patch as cut from the case',
  light: 'small rotations, zoom and shifts, a mild crop-and-resize, gentle intensity changes',
  medium: "nnU-Net-like rotation, zoom, noise and intensity changes (the default; the augmentation of every measured run)",
  heavy: 'larger rotations and zoom, shifts, crop-and-resize, elastic deformation, stronger intensity changes, coarse dropout'
}

const P = z.number().min(0).max(1)
/** [min, max] with min ≤ max, each in [lo, hi]. */
function range(lo: number, hi: number): z.ZodType<[number, number]> {
  return z.tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)]).refine(([a, b]) => a <= b, { message: 'not a range: the first value must not exceed the second' })
}

/**
 * One transform; `p` is its chance (0–1) per patch. Kinds, in the order they are applied:
 * - rot90: a quarter turn in the H × W plane (1, 2 or 3 turns, equally likely). Exact (voxels permuted).
 * - transpose: swap H and W (a mirror across the diagonal of the plane). Exact.
 * - rotate: a uniform angle in ±inPlaneDeg about D (turning the H × W plane) and ±outOfPlaneDeg about H and W.
 * - zoom: magnification uniform in `range` (> 1 enlarges the content).
 * - shift: the content moves by up to ± `fraction` of the patch edge along each axis (uniform per axis).
 *   rotate, zoom and shift are one resampling pass (shift-scale-rotate): trilinear image, nearest label.
 * - resizedCrop: a box of a random share `area` of the patch (its volume in 3D) and aspect H/W in
 *   `aspect` (log-uniform), placed at random inside the patch and resampled to the patch size.
 * - elastic: a smooth random displacement: vectors on a grid every `sigmaVoxels` voxels, each component
 *   normal with standard deviation α (uniform in `alphaVoxels`) and clamped to ±0.45·sigma (so
 *   neighbouring grid points never cross), interpolated trilinearly to every voxel.
 * - mirror: each listed axis (0 = D, 1 = H, 2 = W) mirrored with chance p. Only from `mirrorAxes`.
 * - noise: additive Gaussian noise, its standard deviation uniform in `std`.
 * - intensityScale: x → x·factor (contrast about 0 for z-scored images, nnU-Net's multiplicative brightness).
 * - intensityShift: x → x + offset (brightness).
 * - gamma: on each channel's range: γ in `range`, darkening and brightening equally likely when it straddles 1.
 * - dropout: `boxes` (a count, uniform) boxes, each edge a share in `size` of the patch's, set to the
 *   patch's mean per channel ('mean') or 0, in the image only; the label is unchanged.
 */
export const AugmentationTransformSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rot90'), p: P }).strict(),
  z.object({ kind: z.literal('transpose'), p: P }).strict(),
  z.object({ kind: z.literal('rotate'), p: P, inPlaneDeg: z.number().min(0).max(180), outOfPlaneDeg: z.number().min(0).max(180) }).strict(),
  z.object({ kind: z.literal('zoom'), p: P, range: range(0.1, 10) }).strict(),
  z.object({ kind: z.literal('shift'), p: P, fraction: z.number().min(0).max(0.5) }).strict(),
  z.object({ kind: z.literal('resizedCrop'), p: P, area: range(0.05, 1), aspect: range(0.2, 5) }).strict(),
  z.object({ kind: z.literal('elastic'), p: P, alphaVoxels: range(0, 32), sigmaVoxels: z.number().min(2).max(128) }).strict(),
  z.object({ kind: z.literal('mirror'), p: P, axes: z.array(z.number().int().min(0).max(2)).min(1).max(3) }).strict(),
  z.object({ kind: z.literal('noise'), p: P, std: range(0, 10) }).strict(),
  z.object({ kind: z.literal('intensityScale'), p: P, range: range(0, 10) }).strict(),
  z.object({ kind: z.literal('intensityShift'), p: P, range: range(-10, 10) }).strict(),
  z.object({ kind: z.literal('gamma'), p: P, range: range(0.05, 20) }).strict(),
  z.object({ kind: z.literal('dropout'), p: P, boxes: range(1, 32), size: range(0.01, 1), fill: z.enum(['mean', 'zero']) }).strict()
])
export type AugmentationTransform = z.infer<typeof AugmentationTransformSchema>
export type AugmentationKind = AugmentationTransform['kind']

/** The kinds in the order the engine applies them. */
export const AUGMENTATION_KINDS: readonly AugmentationKind[] = [
  'rot90',
  'transpose',
  'rotate',
  'zoom',
  'shift',
  'resizedCrop',
  'elastic',
  'mirror',
  'noise',
  'intensityScale',
  'intensityShift',
  'gamma',
  'dropout'
]

/** A transform list: each kind at most once, whole boxes counted. */
export const AugmentationTransformsSchema = z.array(AugmentationTransformSchema).superRefine((transforms, ctx) => {
  const seen = new Set<string>()
  transforms.forEach((t, index) => {
    if (seen.has(t.kind)) ctx.addIssue({ code: 'custom', path: [index, 'kind'], message: `augmentation lists ${t.kind} twice` })
    seen.add(t.kind)
    if (t.kind === 'dropout' && !t.boxes.every(Number.isInteger)) ctx.addIssue({ code: 'custom', path: [index, 'boxes'], message: 'dropout boxes must be whole numbers' })
  })
})

/** What a run applied, in its plan and run.json. */
export const AugmentationPlanSchema = z.object({
  preset: AugmentationPresetSchema,
  /** Quarter turns in the H × W plane were asked for (TrainingOptions.quarterTurns). */
  quarterTurns: z.boolean(),
  /** The preset expanded with the run's mirror axes and quarter turns: exactly what the sampler applied. */
  transforms: AugmentationTransformsSchema
})
export type AugmentationPlan = z.infer<typeof AugmentationPlanSchema>

type PresetBody = readonly AugmentationTransform[]

/**
 * The presets without mirroring and quarter turns (those come from the run's own options, below).
 * 'medium' is the engine's augmentation before presets, number for number (a golden test holds the
 * sampler to its old batches). 'light' and 'heavy' bracket it; their numbers are chosen by analogy
 * with nnU-Net's heavier trainer variants and albumentations' defaults (shift 0.0625, cutout), not
 * copied from them and not measured by us.
 */
const PRESET_BODIES: Readonly<Record<AugmentationPreset, PresetBody>> = {
  none: [],
  light: [
    { kind: 'rotate', p: 0.2, inPlaneDeg: 10, outOfPlaneDeg: 0 },
    { kind: 'zoom', p: 0.2, range: [0.9, 1.1] },
    { kind: 'shift', p: 0.1, fraction: 0.05 },
    { kind: 'resizedCrop', p: 0.1, area: [0.8, 1], aspect: [0.9, 1.1] },
    { kind: 'intensityScale', p: 0.15, range: [0.85, 1.15] },
    { kind: 'intensityShift', p: 0.15, range: [-0.05, 0.05] },
    { kind: 'gamma', p: 0.15, range: [0.8, 1.25] }
  ],
  medium: [
    { kind: 'rotate', p: 0.2, inPlaneDeg: 15, outOfPlaneDeg: 0 },
    { kind: 'zoom', p: 0.2, range: [0.85, 1.25] },
    { kind: 'noise', p: 0.1, std: [0, 0.1] },
    { kind: 'intensityScale', p: 0.15, range: [0.75, 1.25] },
    { kind: 'intensityShift', p: 0.15, range: [-0.1, 0.1] },
    { kind: 'gamma', p: 0.3, range: [0.7, 1.5] }
  ],
  heavy: [
    { kind: 'rotate', p: 0.3, inPlaneDeg: 30, outOfPlaneDeg: 0 },
    { kind: 'zoom', p: 0.3, range: [0.7, 1.4] },
    { kind: 'shift', p: 0.2, fraction: 0.1 },
    { kind: 'resizedCrop', p: 0.2, area: [0.5, 1], aspect: [0.75, 1.333] },
    { kind: 'elastic', p: 0.2, alphaVoxels: [0, 2], sigmaVoxels: 10 },
    { kind: 'noise', p: 0.15, std: [0, 0.15] },
    { kind: 'intensityScale', p: 0.2, range: [0.65, 1.5] },
    { kind: 'intensityShift', p: 0.2, range: [-0.2, 0.2] },
    { kind: 'gamma', p: 0.3, range: [0.6, 1.6] },
    { kind: 'dropout', p: 0.2, boxes: [1, 4], size: [0.05, 0.2], fill: 'mean' }
  ]
}

/** Chance of a mirror per listed axis (the engine's before presets). */
export const MIRROR_PROBABILITY = 0.5
/** Chance of a quarter turn, and of a transpose, when asked for. */
export const QUARTER_TURN_PROBABILITY = 0.5

export interface AugmentationChoice {
  preset: AugmentationPreset
  /** Axes (0 = D, 1 = H, 2 = W) that may be mirrored; default none. */
  mirrorAxes?: readonly number[]
  /** Random quarter turns in the H × W plane; default false. */
  quarterTurns?: boolean
}

/**
 * The transforms a preset expands to for a run. Mirroring and quarter turns are never part of a
 * preset: both teach the network that orientations look alike, which is false for most anatomy
 * (a chest X-ray's left and right differ; mirroring every axis halved the hippocampus Dice, see
 * src/engine/data/augment/flip.ts). So mirroring follows `mirrorAxes` and quarter turns `quarterTurns`;
 * a transpose mirrors the plane across its diagonal, so it comes only with quarter turns *and* an
 * in-plane mirror axis (turns and that mirror already generate every transpose). 'none' is none
 * of them.
 */
export function augmentationTransforms(choice: AugmentationChoice): AugmentationTransform[] {
  if (choice.preset === 'none') return []
  const axes = [...new Set(choice.mirrorAxes ?? [])].filter((axis) => axis === 0 || axis === 1 || axis === 2).sort()
  const extra: AugmentationTransform[] = []
  if (axes.length) extra.push({ kind: 'mirror', p: MIRROR_PROBABILITY, axes })
  if (choice.quarterTurns) {
    extra.push({ kind: 'rot90', p: QUARTER_TURN_PROBABILITY })
    if (axes.includes(1) || axes.includes(2)) extra.push({ kind: 'transpose', p: QUARTER_TURN_PROBABILITY })
  }
  return sortTransforms([...PRESET_BODIES[choice.preset].map(copyTransform), ...extra])
}

/** The preset a run's options ask for: `augmentation`, else `augment: false` → 'none', else the default. */
export function augmentationPresetOf(options: { augmentation?: AugmentationPreset | undefined; augment?: boolean | undefined }): AugmentationPreset {
  return options.augmentation ?? (options.augment === false ? 'none' : DEFAULT_AUGMENTATION_PRESET)
}

function copyTransform(t: AugmentationTransform): AugmentationTransform {
  return JSON.parse(JSON.stringify(t)) as AugmentationTransform
}

function sortTransforms(transforms: AugmentationTransform[]): AugmentationTransform[] {
  return transforms.sort((a, b) => AUGMENTATION_KINDS.indexOf(a.kind) - AUGMENTATION_KINDS.indexOf(b.kind))
}

const AXIS_NAMES = ['d', 'h', 'w']
const pct = (p: number): string => `${Math.round(p * 100)}%`
const span = ([a, b]: readonly [number, number]): string => (a < 0 ? `${a} to ${b}` : `${a}–${b}`)
const pctSpan = ([a, b]: readonly [number, number]): string => `${Math.round(a * 100)}–${pct(b)}`

/** One line per transform, e.g. "rotate 20%: ±15° in plane" (the training form and `voxloop train`). */
export function describeAugmentationTransform(t: AugmentationTransform): string {
  const head = `${t.kind} ${pct(t.p)}`
  switch (t.kind) {
    case 'rot90':
      return `${head}: 1–3 quarter turns in the H×W plane`
    case 'transpose':
      return `${head}: swap H and W`
    case 'rotate':
      return `${head}: ±${t.inPlaneDeg}° in plane${t.outOfPlaneDeg ? `, ±${t.outOfPlaneDeg}° out of plane` : ''}`
    case 'zoom':
      return `${head}: ×${span(t.range)}`
    case 'shift':
      return `${head}: up to ±${pct(t.fraction)} of the patch per axis`
    case 'resizedCrop':
      return `${head}: ${pctSpan(t.area)} of the patch, aspect ${span(t.aspect)}, resized to the patch`
    case 'elastic':
      return `${head}: α ${span(t.alphaVoxels)} voxels on a ${t.sigmaVoxels}-voxel grid`
    case 'mirror':
      return `${head} per axis: ${t.axes.map((axis) => AXIS_NAMES[axis]).join(', ')}`
    case 'noise':
      return `${head}: Gaussian, sd ${span(t.std)}`
    case 'intensityScale':
      return `${head}: ×${span(t.range)}`
    case 'intensityShift':
      return `${head}: ${span(t.range)}`
    case 'gamma':
      return `${head}: γ ${span(t.range)}`
    case 'dropout':
      return `${head}: ${span(t.boxes)} boxes of ${pctSpan(t.size)} per edge, set to the ${t.fill === 'mean' ? 'mean' : 'zero'} (image only)`
  }
}
