/**
 * The augmentation pipeline: one draw (`drawAugmentation`, a plain JSON object) fixes every
 * parameter, then `applyAugmentation` applies it to image and label together, so they cannot drift
 * apart. Fixed order, spatial first (as in nnU-Net):
 *
 *   rot90 → transpose → rotate/zoom/shift (+ crop to the output shape) → resized crop → elastic
 *   → flip → noise → intensity scale → shift → gamma → dropout
 *
 * rot90 and transpose come before the crop because they swap H and W; the batch sampler cuts a
 * region that is square in H × W when either is on (`augmentationRegionShape`). Every draw consumes
 * the same number of random numbers whatever the probabilities, so turning one transform off does
 * not change the others' draws for a seed.
 *
 * The transforms added with the presets (transpose, shift, resized crop, elastic, dropout: the
 * "extras") draw after the others and only when one of them is on, from `extraRandom` when given
 * (the batch sampler gives each batch a second stream): a config without them — the 'medium'
 * preset, the default — draws exactly what it drew before they existed, so the default path's
 * batches and results are unchanged (test/unit/engine/data/BatchSamplerGolden.test.ts).
 */
import type { Random } from '../../../shared/random'
import type { Shape3, TrainingSample } from '../layout'
import { affine, affineRegionShape, DEFAULT_ROTATE, DEFAULT_ZOOM, drawAffine, type AffineParams, type RotateOptions, type ZoomOptions } from './affine'
import { DEFAULT_FLIP, drawFlip, flipAxes, type FlipAxes, type FlipOptions } from './flip'
import { DEFAULT_GAMMA, drawGamma, gamma, type GammaOptions } from './gamma'
import {
  DEFAULT_INTENSITY_SCALE,
  DEFAULT_INTENSITY_SHIFT,
  drawIntensityScale,
  drawIntensityShift,
  scaleIntensity,
  shiftIntensity,
  type IntensityScaleOptions,
  type IntensityShiftOptions
} from './intensity'
import { addGaussianNoise, DEFAULT_NOISE, drawNoise, type NoiseOptions, type NoiseParams } from './noise'
import { DEFAULT_ROT90, DEFAULT_TRANSPOSE, drawRot90, drawTranspose, rot90, transposeHW, type QuarterTurns, type Rot90Options, type TransposeOptions } from './rot90'
import { DEFAULT_DROPOUT, drawDropout, dropout, type DropoutOptions, type DropoutParams } from './dropout'
import { DEFAULT_ELASTIC, drawElastic, elastic, type ElasticOptions, type ElasticParams } from './elastic'
import { DEFAULT_RESIZED_CROP, drawResizedCrop, resizedCrop, type ResizedCropOptions, type ResizedCropParams } from './resizedCrop'
import { DEFAULT_SHIFT, drawShift, type ShiftOptions } from './shift'

export interface AugmentationConfig {
  rot90: Rot90Options
  rotate: RotateOptions
  zoom: ZoomOptions
  flip: FlipOptions
  noise: NoiseOptions
  intensityScale: IntensityScaleOptions
  intensityShift: IntensityShiftOptions
  gamma: GammaOptions
  // The extras (see the file comment); off unless a preset or caller turns them on.
  transpose: TransposeOptions
  shift: ShiftOptions
  resizedCrop: ResizedCropOptions
  elastic: ElasticOptions
  dropout: DropoutOptions
}

/** The transforms added with the presets, which draw only when one of them is on. */
export const EXTRA_TRANSFORMS = ['transpose', 'shift', 'resizedCrop', 'elastic', 'dropout'] as const

/** nnU-Net-like defaults; rot90 off and rotation in-plane only (see each transform's options). */
export const DEFAULT_AUGMENTATION: Readonly<AugmentationConfig> = Object.freeze({
  rot90: DEFAULT_ROT90,
  rotate: DEFAULT_ROTATE,
  zoom: DEFAULT_ZOOM,
  flip: DEFAULT_FLIP,
  noise: DEFAULT_NOISE,
  intensityScale: DEFAULT_INTENSITY_SCALE,
  intensityShift: DEFAULT_INTENSITY_SHIFT,
  gamma: DEFAULT_GAMMA,
  transpose: DEFAULT_TRANSPOSE,
  shift: DEFAULT_SHIFT,
  resizedCrop: DEFAULT_RESIZED_CROP,
  elastic: DEFAULT_ELASTIC,
  dropout: DEFAULT_DROPOUT
})

/** Every transform off: a config to switch single ones on for tests or ablations. */
export const NO_AUGMENTATION: Readonly<AugmentationConfig> = Object.freeze({
  rot90: { probability: 0 },
  rotate: { ...DEFAULT_ROTATE, probability: 0 },
  zoom: { ...DEFAULT_ZOOM, probability: 0 },
  flip: { ...DEFAULT_FLIP, probability: 0 },
  noise: { ...DEFAULT_NOISE, probability: 0 },
  intensityScale: { ...DEFAULT_INTENSITY_SCALE, probability: 0 },
  intensityShift: { ...DEFAULT_INTENSITY_SHIFT, probability: 0 },
  gamma: { ...DEFAULT_GAMMA, probability: 0 },
  transpose: { ...DEFAULT_TRANSPOSE, probability: 0 },
  shift: { ...DEFAULT_SHIFT, probability: 0 },
  resizedCrop: { ...DEFAULT_RESIZED_CROP, probability: 0 },
  elastic: { ...DEFAULT_ELASTIC, probability: 0 },
  dropout: { ...DEFAULT_DROPOUT, probability: 0 }
})

/** Partial options per transform, merged over `base` (default: DEFAULT_AUGMENTATION). */
export type AugmentationConfigInput = { [K in keyof AugmentationConfig]?: Partial<AugmentationConfig[K]> }

export function resolveAugmentationConfig(input: AugmentationConfigInput = {}, base: Readonly<AugmentationConfig> = DEFAULT_AUGMENTATION): AugmentationConfig {
  const config = {
    rot90: { ...base.rot90, ...input.rot90 },
    rotate: { ...base.rotate, ...input.rotate, maxDegrees: { ...base.rotate.maxDegrees, ...input.rotate?.maxDegrees } },
    zoom: { ...base.zoom, ...input.zoom },
    flip: { ...base.flip, ...input.flip },
    noise: { ...base.noise, ...input.noise },
    intensityScale: { ...base.intensityScale, ...input.intensityScale },
    intensityShift: { ...base.intensityShift, ...input.intensityShift },
    gamma: { ...base.gamma, ...input.gamma },
    transpose: { ...base.transpose, ...input.transpose },
    shift: { ...base.shift, ...input.shift },
    resizedCrop: { ...base.resizedCrop, ...input.resizedCrop },
    elastic: { ...base.elastic, ...input.elastic },
    dropout: { ...base.dropout, ...input.dropout }
  }
  for (const [name, options] of Object.entries(config)) {
    if (!(options.probability >= 0 && options.probability <= 1)) throw new RangeError(`augmentation ${name}: probability must be 0–1, got ${options.probability}`)
  }
  const ranges: [string, [number, number]][] = [
    ['zoom.range', config.zoom.range],
    ['noise.stdRange', config.noise.stdRange],
    ['intensityScale.range', config.intensityScale.range],
    ['intensityShift.range', config.intensityShift.range],
    ['gamma.range', config.gamma.range],
    ['resizedCrop.area', config.resizedCrop.area],
    ['resizedCrop.aspect', config.resizedCrop.aspect],
    ['elastic.alphaVoxels', config.elastic.alphaVoxels],
    ['dropout.boxes', config.dropout.boxes],
    ['dropout.size', config.dropout.size]
  ]
  for (const [name, [lo, hi]] of ranges) if (!(lo <= hi)) throw new RangeError(`augmentation ${name}: [${lo}, ${hi}] is not a range`)
  if (!(config.zoom.range[0] > 0) || !(config.gamma.range[0] > 0) || config.noise.stdRange[0] < 0) {
    throw new RangeError('augmentation zoom and gamma must be positive and noise std non-negative')
  }
  if (!(config.shift.fraction >= 0 && config.shift.fraction <= 0.5)) throw new RangeError(`augmentation shift.fraction must be 0–0.5, got ${config.shift.fraction}`)
  if (!(config.resizedCrop.area[0] > 0 && config.resizedCrop.area[1] <= 1 && config.resizedCrop.aspect[0] > 0)) {
    throw new RangeError('augmentation resizedCrop: area must lie in (0, 1] and aspect be positive')
  }
  if (!(config.elastic.alphaVoxels[0] >= 0 && config.elastic.sigmaVoxels >= 2)) throw new RangeError('augmentation elastic: alpha must be ≥ 0 and sigma ≥ 2 voxels')
  if (!(config.dropout.boxes[0] >= 1 && config.dropout.size[0] > 0 && config.dropout.size[1] <= 1)) {
    throw new RangeError('augmentation dropout: at least one box, each edge a share in (0, 1] of the patch')
  }
  return config
}

/** Every parameter of one augmentation; plain JSON. Null / 0 / false mean "not applied". */
export interface AugmentationDraw {
  rot90: QuarterTurns
  affine: AffineParams | null
  flip: FlipAxes
  noise: NoiseParams | null
  intensityScale: number | null
  intensityShift: number | null
  gamma: number | null
  transpose: boolean
  /** Content shift per axis [d, h, w] as a share of the output edge. */
  shift: [number, number, number] | null
  resizedCrop: ResizedCropParams | null
  elastic: ElasticParams | null
  dropout: DropoutParams | null
}

/** Whether any extra transform is on (then, and only then, the extras draw). */
export function hasExtraTransforms(config: AugmentationConfig): boolean {
  return EXTRA_TRANSFORMS.some((name) => config[name].probability > 0)
}

/**
 * Draws all parameters: a fixed count of random numbers from `random` (2 + 6 + 3 + 3 + 2 + 2 + 3),
 * then, only when an extra transform is on, 1 + 4 + 6 + 3 + 3 from `extraRandom` (default `random`).
 */
export function drawAugmentation(config: AugmentationConfig, random: Random, extraRandom: Random = random): AugmentationDraw {
  const draw: AugmentationDraw = {
    rot90: drawRot90(config.rot90, random),
    affine: drawAffine(config.rotate, config.zoom, random),
    flip: drawFlip(config.flip, random),
    noise: drawNoise(config.noise, random),
    intensityScale: drawIntensityScale(config.intensityScale, random),
    intensityShift: drawIntensityShift(config.intensityShift, random),
    gamma: drawGamma(config.gamma, random),
    transpose: false,
    shift: null,
    resizedCrop: null,
    elastic: null,
    dropout: null
  }
  if (!hasExtraTransforms(config)) return draw
  draw.transpose = drawTranspose(config.transpose, extraRandom)
  draw.shift = drawShift(config.shift, extraRandom)
  draw.resizedCrop = drawResizedCrop(config.resizedCrop, extraRandom)
  draw.elastic = drawElastic(config.elastic, extraRandom)
  draw.dropout = drawDropout(config.dropout, extraRandom)
  return draw
}

/** Whether a draw reads beyond the patch (rotation, zoom, shift, quarter turns, transpose): then the sampler cuts the larger region. */
export function drawReadsBeyondPatch(draw: AugmentationDraw): boolean {
  return draw.affine !== null || draw.rot90 !== 0 || draw.transpose || draw.shift !== null
}

export interface AugmentationOutput {
  /** Shape of the result, centred in the (rotated) input; default: the input's shape after rot90. */
  outputShape?: Shape3
  /** Image value per channel read outside the input; default 0. */
  padValues?: ArrayLike<number>
}

export function applyAugmentation(sample: TrainingSample, draw: AugmentationDraw, output: AugmentationOutput = {}): TrainingSample {
  let out = rot90(sample, draw.rot90)
  if (draw.transpose) out = transposeHW(out)
  const outputShape = output.outputShape ?? out.shape
  const spatial: AffineParams = draw.affine ? { ...draw.affine } : { rotationRad: [0, 0, 0], scale: 1 }
  // A shift is a share of the output edge; none along an axis of one voxel (a 2D slice's D).
  if (draw.shift) spatial.shiftVoxels = outputShape.map((n, axis) => (n > 1 ? (draw.shift?.[axis] ?? 0) * n : 0)) as [number, number, number]
  // Identity with an unchanged shape is skipped; otherwise this also crops to the output shape.
  if (draw.affine || draw.shift || outputShape.some((n, axis) => n !== out.shape[axis])) out = affine(out, spatial, { outputShape, padValues: output.padValues })
  if (draw.resizedCrop) out = resizedCrop(out, draw.resizedCrop)
  if (draw.elastic) out = elastic(out, draw.elastic)
  out = flipAxes(out, draw.flip)
  if (draw.noise) out = addGaussianNoise(out, draw.noise)
  if (draw.intensityScale !== null) out = scaleIntensity(out, draw.intensityScale)
  if (draw.intensityShift !== null) out = shiftIntensity(out, draw.intensityShift)
  if (draw.gamma !== null) out = gamma(out, draw.gamma)
  if (draw.dropout) out = dropout(out, draw.dropout)
  return out
}

export type Augment = (sample: TrainingSample, random: Random, output?: AugmentationOutput) => TrainingSample

/** An augmentation function for a config: one draw from `random` per call, applied to image and label. */
export function composeAugmentations(input: AugmentationConfigInput = {}): Augment {
  const config = resolveAugmentationConfig(input)
  return (sample, random, output = {}) => applyAugmentation(sample, drawAugmentation(config, random), output)
}

/**
 * The region the batch sampler cuts so that augmenting it and cropping to `patchShape` never reads
 * padding: larger for rotation, zoom out and shifts, square in H × W when rot90 or a transpose may
 * swap them.
 */
export function augmentationRegionShape(config: AugmentationConfig, patchShape: Shape3): Shape3 {
  const region = turnedRegionShape(config, patchShape)
  if (config.shift.probability === 0 || config.shift.fraction === 0) return region
  // A shift s (output voxels) reads Rᵀ·s / scale further: at most |s| / min scale along any axis.
  const minScale = config.zoom.probability > 0 ? Math.min(1, config.zoom.range[0]) : 1
  const reach = Math.hypot(...patchShape.map((n) => (n > 1 ? config.shift.fraction * n : 0))) / minScale
  return region.map((n, axis) => ((patchShape[axis] as number) > 1 ? n + 2 * Math.ceil(reach) : n)) as Shape3
}

function turnedRegionShape(config: AugmentationConfig, patchShape: Shape3): Shape3 {
  if (config.rot90.probability === 0 && config.transpose.probability === 0) return affineRegionShape(patchShape, config.rotate, config.zoom)
  // A turned region must still cover the patch: plan for the larger in-plane side on both axes.
  const side = Math.max(patchShape[1], patchShape[2])
  const region = affineRegionShape([patchShape[0], side, side], config.rotate, config.zoom)
  const square = Math.max(region[1], region[2])
  return [region[0], square, square]
}

/**
 * The config as the batch sampler's fingerprint records it: without the extras that are off, so a
 * sampler state saved before they existed (an interrupted run) still matches its config.
 */
export function augmentationFingerprint(config: AugmentationConfig): Partial<AugmentationConfig> {
  const out: Partial<AugmentationConfig> = { ...config }
  for (const name of EXTRA_TRANSFORMS) if (config[name].probability === 0) delete out[name]
  return out
}
