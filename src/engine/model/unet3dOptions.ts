/**
 * Options of the residual 3D U-Net: documented units, defaults and ranges, and their validation.
 * Plain JSON-able data, so the resolved options can be stored in a model version's config.json.
 */
import { VoxloopError } from '../../shared/errors'

export type UNetActivation = 'relu' | 'leakyRelu'
export type UNetNormalization = 'instance'
/** One spatial input dim in voxels, or null for "any size divisible by 2^depth". */
export type SpatialDim = number | null

export interface UNet3dOptions {
  /** Image channels per voxel (e.g. 1 for CT, 4 for T1/T1c/T2/FLAIR). Integer 1–64. Required. */
  inputChannels: number
  /** Output classes K, background (label 0) included. Integer 2–256. Required. */
  numClasses: number
  /** Levels of downsampling; each halves D, H and W. Integer 1–6; default 3. */
  depth?: number
  /** Feature channels at full resolution, doubled per level. Integer 1–128; default 16. */
  baseFilters?: number
  /** Residual units per level, in the encoder (levels 1…depth) and the decoder. Integer 1–8; default 2. */
  residualUnits?: number
  /** Normalisation before each activation. Only 'instance' (InstanceNormalization); default 'instance'. */
  normalization?: UNetNormalization
  /** Added to each instance variance (intensity² after the previous layer). > 0 and ≤ 1; default 1e-5. */
  normEpsilon?: number
  /** Nonlinearity. 'relu' or 'leakyRelu'; default 'relu'. */
  activation?: UNetActivation
  /** Slope for negative inputs of 'leakyRelu'. 0 < alpha < 1; default 0.01 (nnU-Net's). */
  leakyReluAlpha?: number
  /** Kernel of the convolution after each ×2 upsampling: 1 or 3 (voxels per side); default 1. */
  upsamplingKernelSize?: 1 | 3
  /**
   * Spatial input size [D, H, W] in voxels (NDHWC order: D is the slowest axis, e.g. NIfTI k).
   * Each entry a positive multiple of 2^depth, or null for any such size; default [null, null, null].
   */
  inputShape?: [SpatialDim, SpatialDim, SpatialDim]
  /** Seed for the weight initialisers: the same seed builds the same weights. Default: random. */
  seed?: number
  /** Model name (tfjs identifier). Default 'unet3d'. */
  name?: string
}

export type ResolvedUNet3dOptions = Required<Omit<UNet3dOptions, 'seed'>> & { seed: number | null }

export const UNET3D_DEFAULTS = {
  depth: 3,
  baseFilters: 16,
  residualUnits: 2,
  normalization: 'instance',
  normEpsilon: 1e-5,
  activation: 'relu',
  leakyReluAlpha: 0.01,
  upsamplingKernelSize: 1,
  inputShape: [null, null, null],
  name: 'unet3d'
} as const satisfies Partial<UNet3dOptions>

export function invalid(message: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `U-Net options: ${message}`)
}

export function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  return value
}

function oneOf<T extends string | number>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw invalid(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`)
  return value
}

function checkInputShape(shape: readonly SpatialDim[], depth: number): [SpatialDim, SpatialDim, SpatialDim] {
  if (!Array.isArray(shape) || shape.length !== 3) throw invalid(`inputShape must be [D, H, W], got ${JSON.stringify(shape)}`)
  const divisor = 2 ** depth
  const axes = ['D', 'H', 'W']
  shape.forEach((dim, axis) => {
    if (dim === null) return
    if (!Number.isInteger(dim) || dim <= 0 || dim % divisor !== 0) {
      throw invalid(`inputShape ${axes[axis]} must be null or a positive multiple of 2^depth = ${divisor}, got ${dim}`)
    }
  })
  return [shape[0] ?? null, shape[1] ?? null, shape[2] ?? null]
}

/** The options both U-Nets (residual and plain) share, with the same units and ranges. */
export interface CommonUNetOptions {
  inputChannels: number
  numClasses: number
  depth?: number
  baseFilters?: number
  normEpsilon?: number
  leakyReluAlpha?: number
  inputShape?: [SpatialDim, SpatialDim, SpatialDim]
  seed?: number
  name?: string
}

export type ResolvedCommonUNetOptions = Required<Omit<CommonUNetOptions, 'seed'>> & { seed: number | null }

/** Fills in a network's defaults for the shared options and checks their ranges; INVALID_ARGUMENT naming the first bad one. */
export function resolveCommonUNetOptions(options: CommonUNetOptions, defaults: Required<Omit<CommonUNetOptions, 'inputChannels' | 'numClasses' | 'seed'>>): ResolvedCommonUNetOptions {
  const depth = integerIn('depth', options.depth ?? defaults.depth, 1, 6)
  const alpha = options.leakyReluAlpha ?? defaults.leakyReluAlpha
  if (!(alpha > 0 && alpha < 1)) throw invalid(`leakyReluAlpha must be between 0 and 1 (exclusive), got ${alpha}`)
  const epsilon = options.normEpsilon ?? defaults.normEpsilon
  if (!(epsilon > 0 && epsilon <= 1)) throw invalid(`normEpsilon must be > 0 and ≤ 1, got ${epsilon}`)
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw invalid(`seed must be an integer, got ${options.seed}`)
  const name = options.name ?? defaults.name
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw invalid(`name must be letters, digits and _ starting with a letter, got ${JSON.stringify(name)}`)
  return {
    inputChannels: integerIn('inputChannels', options.inputChannels, 1, 64),
    numClasses: integerIn('numClasses', options.numClasses, 2, 256),
    depth,
    baseFilters: integerIn('baseFilters', options.baseFilters ?? defaults.baseFilters, 1, 128),
    normEpsilon: epsilon,
    leakyReluAlpha: alpha,
    inputShape: checkInputShape(options.inputShape ?? defaults.inputShape, depth),
    seed: options.seed ?? null,
    name
  }
}

/** Fills in defaults and checks every range; throws INVALID_ARGUMENT naming the first bad option. */
export function resolveUNet3dOptions(options: UNet3dOptions): ResolvedUNet3dOptions {
  const common = resolveCommonUNetOptions(options, { ...UNET3D_DEFAULTS, inputShape: [...UNET3D_DEFAULTS.inputShape] })
  return {
    ...common,
    residualUnits: integerIn('residualUnits', options.residualUnits ?? UNET3D_DEFAULTS.residualUnits, 1, 8),
    normalization: oneOf('normalization', options.normalization ?? UNET3D_DEFAULTS.normalization, ['instance'] as const),
    activation: oneOf('activation', options.activation ?? UNET3D_DEFAULTS.activation, ['relu', 'leakyRelu'] as const),
    upsamplingKernelSize: oneOf('upsamplingKernelSize', options.upsamplingKernelSize ?? UNET3D_DEFAULTS.upsamplingKernelSize, [1, 3] as const)
  }
}

/** Spatial sizes the U-Net accepts are multiples of this (one halving per level). */
export function spatialDivisor(depth: number): number {
  return 2 ** depth
}
