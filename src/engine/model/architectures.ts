/**
 * The architecture registry: each network Voxloop trains, by name, with its options resolver (the
 * planner's defaults for a CPU budget filled in, every range checked) and its builder. The plan
 * records the name and the resolved options; building from a plan goes through here, so a model
 * version is rebuilt exactly as it was trained. Names and the user-facing options are in
 * src/shared/training.ts (ARCHITECTURES, ModelShapeOptionsSchema).
 */
import type * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { LEGACY_ARCHITECTURE, type ArchitectureName } from '../../shared/training'
import { buildPlainUNet3d } from './buildPlainUNet3d'
import { buildUNet3d } from './buildUNet3d'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions, type ResolvedPlainUNet3dOptions } from './plainUNet3dOptions'
import { resolveUNet3dOptions, type ResolvedUNet3dOptions, type UNet3dOptions } from './unet3dOptions'

type JsonRecord = Record<string, unknown>

/** What the planner asks of an architecture: the data's channels and classes, the user's shape options. */
export interface ArchitectureRequest {
  inputChannels: number
  numClasses: number
  seed: number
  depth?: number | undefined
  baseFilters?: number | undefined
  residualUnits?: number | undefined
  deepSupervision?: boolean | undefined
}

export interface Architecture {
  name: ArchitectureName
  /** Training defaults on the CPU budget, with the request's overrides; throws INVALID_ARGUMENT out of range. */
  resolve(request: ArchitectureRequest): JsonRecord
  /** Downsampling levels of resolved options (spatial sizes are multiples of 2^depth). */
  depthOf(options: JsonRecord): number
  /** The uncompiled model of resolved options (re-checked). */
  build(options: JsonRecord): tf.LayersModel
}

/** Resolved options back as factory options: seed null means "draw one". */
function withSeed<T extends { seed: number | null }>(stored: T): Omit<T, 'seed'> & { seed?: number } {
  const { seed, ...rest } = stored
  return seed === null ? rest : { ...rest, seed }
}

const json = <T>(value: T): JsonRecord => JSON.parse(JSON.stringify(value)) as JsonRecord

const residual: Architecture = {
  name: 'residual-unet',
  resolve: (request) => {
    if (request.deepSupervision) throw new VoxloopError('INVALID_ARGUMENT', "deep supervision is built into 'plain-unet' only; the residual U-Net has one output")
    return json(
      resolveUNet3dOptions({
        inputChannels: request.inputChannels,
        numClasses: request.numClasses,
        // ~0.4 M parameters: the largest whose steps take well under a second on 2 cores (docs/TRAINING.md).
        depth: request.depth ?? 3,
        baseFilters: request.baseFilters ?? 8,
        residualUnits: request.residualUnits ?? 1,
        seed: request.seed
      })
    )
  },
  depthOf: (options) => resolveUNet3dOptions(withSeed(options as unknown as ResolvedUNet3dOptions) as UNet3dOptions).depth,
  build: (options) => buildUNet3d(withSeed(options as unknown as ResolvedUNet3dOptions) as UNet3dOptions)
}

const plain: Architecture = {
  name: 'plain-unet',
  resolve: (request) => {
    if (request.residualUnits !== undefined) throw new VoxloopError('INVALID_ARGUMENT', "residual units belong to 'residual-unet'; 'plain-unet' has two convolutions per stage")
    return json(
      resolvePlainUNet3dOptions({
        inputChannels: request.inputChannels,
        numClasses: request.numClasses,
        depth: request.depth ?? 3,
        // 8, not nnU-Net's 32: a step at 32 costs ~10× one at 8 on 2 cores (docs/TRAINING.md).
        baseFilters: request.baseFilters ?? 8,
        // nnU-Net's default; without it the plain U-Net learned far slower (docs/TRAINING.md).
        deepSupervision: request.deepSupervision ?? true,
        seed: request.seed
      })
    )
  },
  depthOf: (options) => resolvePlainUNet3dOptions(withSeed(options as unknown as ResolvedPlainUNet3dOptions) as PlainUNet3dOptions).depth,
  build: (options) => buildPlainUNet3d(withSeed(options as unknown as ResolvedPlainUNet3dOptions) as PlainUNet3dOptions)
}

export const ARCHITECTURE_REGISTRY: Readonly<Record<ArchitectureName, Architecture>> = Object.freeze({ 'plain-unet': plain, 'residual-unet': residual })

/** The plan's architecture (older plans: the residual U-Net they were trained with). */
export function architectureOf(plan: { architecture?: ArchitectureName | undefined }): Architecture {
  return ARCHITECTURE_REGISTRY[plan.architecture ?? LEGACY_ARCHITECTURE]
}

/** Builds the network a plan describes, as it was trained. */
export function buildFromPlan(plan: { architecture?: ArchitectureName | undefined; model: JsonRecord }): tf.LayersModel {
  return architectureOf(plan).build(plan.model)
}
