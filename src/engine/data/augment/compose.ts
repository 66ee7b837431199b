/**
 * The augmentation pipeline: one draw (`drawAugmentation`, a plain JSON object) fixes every
 * parameter, then `applyAugmentation` applies it to image and label together, so they cannot drift
 * apart. Fixed order, spatial first (as in nnU-Net):
 *
 *   rot90 → rotate/zoom (+ crop to the output shape) → flip → noise → intensity scale → shift → gamma
 *
 * rot90 comes before the crop because it swaps H and W; the batch sampler cuts a region that is
 * square in H × W when rot90 is on (`augmentationRegionShape`). Every draw consumes the same number
 * of random numbers whatever the probabilities, so turning one transform off does not change the
 * others' draws for a seed.
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
import { DEFAULT_ROT90, drawRot90, rot90, type QuarterTurns, type Rot90Options } from './rot90'

export interface AugmentationConfig {
  rot90: Rot90Options
  rotate: RotateOptions
  zoom: ZoomOptions
  flip: FlipOptions
  noise: NoiseOptions
  intensityScale: IntensityScaleOptions
  intensityShift: IntensityShiftOptions
  gamma: GammaOptions
}

/** nnU-Net-like defaults; rot90 off and rotation in-plane only (see each transform's options). */
export const DEFAULT_AUGMENTATION: Readonly<AugmentationConfig> = Object.freeze({
  rot90: DEFAULT_ROT90,
  rotate: DEFAULT_ROTATE,
  zoom: DEFAULT_ZOOM,
  flip: DEFAULT_FLIP,
  noise: DEFAULT_NOISE,
  intensityScale: DEFAULT_INTENSITY_SCALE,
  intensityShift: DEFAULT_INTENSITY_SHIFT,
  gamma: DEFAULT_GAMMA
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
  gamma: { ...DEFAULT_GAMMA, probability: 0 }
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
    gamma: { ...base.gamma, ...input.gamma }
  }
  for (const [name, options] of Object.entries(config)) {
    if (!(options.probability >= 0 && options.probability <= 1)) throw new RangeError(`augmentation ${name}: probability must be 0–1, got ${options.probability}`)
  }
  const ranges: [string, [number, number]][] = [
    ['zoom.range', config.zoom.range],
    ['noise.stdRange', config.noise.stdRange],
    ['intensityScale.range', config.intensityScale.range],
    ['intensityShift.range', config.intensityShift.range],
    ['gamma.range', config.gamma.range]
  ]
  for (const [name, [lo, hi]] of ranges) if (!(lo <= hi)) throw new RangeError(`augmentation ${name}: [${lo}, ${hi}] is not a range`)
  if (!(config.zoom.range[0] > 0) || !(config.gamma.range[0] > 0) || config.noise.stdRange[0] < 0) {
    throw new RangeError('augmentation zoom and gamma must be positive and noise std non-negative')
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
}

/** Draws all parameters (a fixed count of random numbers: 2 + 6 + 3 + 3 + 2 + 2 + 3). */
export function drawAugmentation(config: AugmentationConfig, random: Random): AugmentationDraw {
  return {
    rot90: drawRot90(config.rot90, random),
    affine: drawAffine(config.rotate, config.zoom, random),
    flip: drawFlip(config.flip, random),
    noise: drawNoise(config.noise, random),
    intensityScale: drawIntensityScale(config.intensityScale, random),
    intensityShift: drawIntensityShift(config.intensityShift, random),
    gamma: drawGamma(config.gamma, random)
  }
}

export interface AugmentationOutput {
  /** Shape of the result, centred in the (rotated) input; default: the input's shape after rot90. */
  outputShape?: Shape3
  /** Image value per channel read outside the input; default 0. */
  padValues?: ArrayLike<number>
}

export function applyAugmentation(sample: TrainingSample, draw: AugmentationDraw, output: AugmentationOutput = {}): TrainingSample {
  let out = rot90(sample, draw.rot90)
  const outputShape = output.outputShape ?? out.shape
  const spatial = draw.affine ?? { rotationRad: [0, 0, 0], scale: 1 }
  // Identity with an unchanged shape is skipped; otherwise this also crops to the output shape.
  if (draw.affine || outputShape.some((n, axis) => n !== out.shape[axis])) out = affine(out, spatial, { outputShape, padValues: output.padValues })
  out = flipAxes(out, draw.flip)
  if (draw.noise) out = addGaussianNoise(out, draw.noise)
  if (draw.intensityScale !== null) out = scaleIntensity(out, draw.intensityScale)
  if (draw.intensityShift !== null) out = shiftIntensity(out, draw.intensityShift)
  if (draw.gamma !== null) out = gamma(out, draw.gamma)
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
 * padding: larger for rotation and zoom out, square in H × W when rot90 may swap them.
 */
export function augmentationRegionShape(config: AugmentationConfig, patchShape: Shape3): Shape3 {
  if (config.rot90.probability === 0) return affineRegionShape(patchShape, config.rotate, config.zoom)
  // A turned region must still cover the patch: plan for the larger in-plane side on both axes.
  const side = Math.max(patchShape[1], patchShape[2])
  const region = affineRegionShape([patchShape[0], side, side], config.rotate, config.zoom)
  const square = Math.max(region[1], region[2])
  return [region[0], square, square]
}
