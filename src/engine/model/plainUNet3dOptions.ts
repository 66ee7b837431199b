/**
 * Options of nnU-Net's plain 3D U-Net (buildPlainUNet3d): units, defaults and ranges, and their
 * validation. Plain JSON-able data, stored in a model version's plan.
 */
import { integerIn, invalid, resolveCommonUNetOptions, type SpatialDim } from './unet3dOptions'

export interface PlainUNet3dOptions {
  /** Image channels per voxel. Integer 1–64. Required. */
  inputChannels: number
  /** Output classes K, background included. Integer 2–256. Required. */
  numClasses: number
  /** Downsampling stages; each halves D, H and W. Integer 1–6; default 3. */
  depth?: number
  /** Channels at full resolution, doubled per stage up to maxFilters. Integer 1–128; default 16. */
  baseFilters?: number
  /** Cap on the channels of any stage (nnU-Net: 320 in 3D). Integer 1–512; default 320. */
  maxFilters?: number
  /** conv → norm → LeakyReLU blocks per stage, in encoder and decoder. Integer 1–4; default 2 (nnU-Net's). */
  convsPerStage?: number
  /**
   * Deep supervision: extra softmax outputs at the decoder stages 1/2 … 1/2^(depth−2) of the input
   * (nnU-Net leaves out the lowest), after the main output; the loss weights them (deepSupervision.ts),
   * prediction uses the main one only. Default false.
   */
  deepSupervision?: boolean
  /** Added to each instance variance. > 0 and ≤ 1; default 1e-5. */
  normEpsilon?: number
  /** LeakyReLU slope for negative inputs. 0 < alpha < 1; default 0.01 (nnU-Net's). */
  leakyReluAlpha?: number
  /** Spatial input [D, H, W]: positive multiples of 2^depth, or null for any such size; default all null. */
  inputShape?: [SpatialDim, SpatialDim, SpatialDim]
  /** Seed for the weight initialisers. Default: random. */
  seed?: number
  /** Model name (tfjs identifier). Default 'plain_unet3d'. */
  name?: string
}

export type ResolvedPlainUNet3dOptions = Required<Omit<PlainUNet3dOptions, 'seed'>> & { seed: number | null }

export const PLAIN_UNET3D_DEFAULTS = {
  depth: 3,
  baseFilters: 16,
  maxFilters: 320,
  convsPerStage: 2,
  deepSupervision: false,
  normEpsilon: 1e-5,
  leakyReluAlpha: 0.01,
  inputShape: [null, null, null],
  name: 'plain_unet3d'
} as const satisfies Partial<PlainUNet3dOptions>

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false, got ${JSON.stringify(value)}`)
  return value
}

/** Fills in defaults and checks every range; throws INVALID_ARGUMENT naming the first bad option. */
export function resolvePlainUNet3dOptions(options: PlainUNet3dOptions): ResolvedPlainUNet3dOptions {
  const common = resolveCommonUNetOptions(options, { ...PLAIN_UNET3D_DEFAULTS, inputShape: [...PLAIN_UNET3D_DEFAULTS.inputShape] })
  return {
    ...common,
    maxFilters: integerIn('maxFilters', options.maxFilters ?? PLAIN_UNET3D_DEFAULTS.maxFilters, 1, 512),
    convsPerStage: integerIn('convsPerStage', options.convsPerStage ?? PLAIN_UNET3D_DEFAULTS.convsPerStage, 1, 4),
    deepSupervision: checkBoolean('deepSupervision', options.deepSupervision ?? PLAIN_UNET3D_DEFAULTS.deepSupervision)
  }
}
