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
import type { Shape3 } from '../data/layout'
import { buildPlainUNet2d } from './buildPlainUNet2d'
import { buildPlainUNet3d } from './buildPlainUNet3d'
import { buildResidualUNet2d, buildUNet3d } from './buildUNet3d'
import { buildUNetPlusPlus2d, buildUNetPlusPlus3d } from './buildUNetPlusPlus'
import { resolveResidualUNet2dOptions, residualUNet2dDepthFor, type ResidualUNet2dOptions } from './residualUNet2dOptions'
import {
  resolveUNetPlusPlus2dOptions,
  resolveUNetPlusPlus3dOptions,
  unetPlusPlus2dDepthFor,
  type UNetPlusPlus2dOptions,
  type UNetPlusPlus3dOptions
} from './unetPlusPlusOptions'
import { plainUNet2dDepthFor, resolvePlainUNet2dOptions, type PlainUNet2dOptions } from './plainUNet2dOptions'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions } from './plainUNet3dOptions'
import { resolveUNet3dOptions, spatialDivisor, type UNet3dOptions } from './unet3dOptions'

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
  /**
   * The smaller in-plane edge (H or W, voxels) of the patch the planner would cut within its budget:
   * a 2D network sizes its default depth from it (nnU-Net pools until the map is ~4–8 px).
   */
  planeEdge?: number | undefined
}

export interface Architecture {
  name: ArchitectureName
  /**
   * True for networks that see one slice at a time (input and outputs [B, 1, H, W, ·]): the planner
   * gives them patches [1, H, W], and prediction runs slice by slice. The same as src/shared's
   * PLANAR_ARCHITECTURES, from which the training form offers one-slice projects their networks.
   */
  planar: boolean
  /** Training defaults on the CPU budget, with the request's overrides; throws INVALID_ARGUMENT out of range. */
  resolve(request: ArchitectureRequest): JsonRecord
  /** Downsampling levels of resolved options (spatial sizes are multiples of 2^depth). */
  depthOf(options: JsonRecord): number
  /** What each patch edge [D, H, W] must be a multiple of: 2^depth on every pooled axis, 1 on the others. */
  divisorOf(options: JsonRecord): Shape3
  /** The uncompiled model of resolved options (re-checked). */
  build(options: JsonRecord): tf.LayersModel
}

/** Resolved options back as factory options: seed null means "draw one". */
function withSeed<T extends { seed: number | null }>(stored: T): Omit<T, 'seed'> & { seed?: number } {
  const { seed, ...rest } = stored
  return seed === null ? rest : { ...rest, seed }
}

const json = <T>(value: T): JsonRecord => JSON.parse(JSON.stringify(value)) as JsonRecord

/** 2^depth on all three axes: the 3D networks pool D, H and W alike. */
function volumetricDivisor(depth: number): Shape3 {
  const divisor = spatialDivisor(depth)
  return [divisor, divisor, divisor]
}

/** 2^depth on H and W, 1 on D: the 2D networks see one slice. */
function planarDivisor(depth: number): Shape3 {
  const divisor = spatialDivisor(depth)
  return [1, divisor, divisor]
}

const noResidualUnits = (request: ArchitectureRequest, name: ArchitectureName, what: string): void => {
  if (request.residualUnits !== undefined) throw new VoxloopError('INVALID_ARGUMENT', `residual units belong to the residual U-Nets; '${name}' has ${what}`)
}

const noDeepSupervision = (request: ArchitectureRequest, name: ArchitectureName): void => {
  if (request.deepSupervision) throw new VoxloopError('INVALID_ARGUMENT', `deep supervision is built into the plain U-Nets and U-Net++; '${name}' has one output`)
}

/**
 * A registry entry from a network's option resolver and builder: `defaults` turns the planner's
 * request into factory options (the CPU defaults filled in, options the network lacks refused);
 * resolving, depth, divisor and building all go through `resolveOptions`, so options stored in a
 * plan are re-checked the same way as new ones.
 */
function entry<Factory, Resolved extends { depth: number; seed: number | null }>(spec: {
  name: ArchitectureName
  planar: boolean
  defaults: (request: ArchitectureRequest) => Factory
  resolveOptions: (options: Factory) => Resolved
  build: (options: Factory) => tf.LayersModel
}): Architecture {
  const factory = (stored: JsonRecord): Factory => withSeed(stored as unknown as Resolved) as unknown as Factory
  const depthOf = (stored: JsonRecord): number => spec.resolveOptions(factory(stored)).depth
  return {
    name: spec.name,
    planar: spec.planar,
    resolve: (request) => json(spec.resolveOptions(spec.defaults(request))),
    depthOf,
    divisorOf: (stored) => (spec.planar ? planarDivisor : volumetricDivisor)(depthOf(stored)),
    build: (stored) => spec.build(factory(stored))
  }
}

const residual = entry({
  name: 'residual-unet',
  planar: false,
  resolveOptions: resolveUNet3dOptions,
  build: buildUNet3d,
  defaults: (request): UNet3dOptions => {
    noDeepSupervision(request, 'residual-unet')
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      // ~0.4 M parameters: the largest whose steps take well under a second on 2 cores (docs/TRAINING.md).
      depth: request.depth ?? 3,
      baseFilters: request.baseFilters ?? 8,
      residualUnits: request.residualUnits ?? 1,
      seed: request.seed
    }
  }
})

const plain = entry({
  name: 'plain-unet',
  planar: false,
  resolveOptions: resolvePlainUNet3dOptions,
  build: buildPlainUNet3d,
  defaults: (request): PlainUNet3dOptions => {
    noResidualUnits(request, 'plain-unet', 'two convolutions per stage')
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      depth: request.depth ?? 3,
      // 8, not nnU-Net's 32: a step at 32 costs ~10× one at 8 on 2 cores (docs/TRAINING.md).
      baseFilters: request.baseFilters ?? 8,
      // nnU-Net's default; without it the plain U-Net learned far slower (docs/TRAINING.md).
      deepSupervision: request.deepSupervision ?? true,
      seed: request.seed
    }
  }
})

const plain2d = entry({
  name: 'plain-unet-2d',
  planar: true,
  resolveOptions: resolvePlainUNet2dOptions,
  build: buildPlainUNet2d,
  defaults: (request): PlainUNet2dOptions => {
    noResidualUnits(request, 'plain-unet-2d', 'two convolutions per stage')
    // 8, not nnU-Net's 32, as in 3D: a step's cost grows with the square of the width. At 8 a 512²
    // slice (the per-step voxel budget of a 3D patch) already costs 1.1–1.7× a 3D patch of as many
    // voxels: in 2D every stage costs about the same (¼ the pixels, 4× the channel pairs), in 3D
    // each costs half the one above (docs/TRAINING.md, "plain-unet-2d").
    const baseFilters = request.baseFilters ?? 8
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      // Pool to a ~4–8 px map as nnU-Net does (6 stages on a 512² patch); 64 px if the planner gave no patch.
      depth: request.depth ?? plainUNet2dDepthFor(request.planeEdge ?? 64),
      baseFilters,
      // nnU-Net's 2D cap relative to its base (512 = 16 × 32): 128 at 8 filters. The absolute 512
      // gives a 6-stage net 7.8 M parameters instead of 2.1 M (Adam and the workers' gradient sums
      // grow with them) and measured 16–37 % slower steps on a 512² slice (docs/TRAINING.md).
      maxFilters: Math.min(512, 16 * baseFilters),
      deepSupervision: request.deepSupervision ?? true,
      seed: request.seed
    }
  }
})

const residual2d = entry({
  name: 'residual-unet-2d',
  planar: true,
  resolveOptions: resolveResidualUNet2dOptions,
  build: buildResidualUNet2d,
  defaults: (request): ResidualUNet2dOptions => {
    noDeepSupervision(request, 'residual-unet-2d')
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      // The plain 2D U-Net's depth for the slice, at most 4: the residual U-Net's channels are not
      // capped, so each further level quadruples its widest weights (residualUNet2dOptions.ts).
      depth: request.depth ?? residualUNet2dDepthFor(request.planeEdge ?? 64),
      baseFilters: request.baseFilters ?? 8,
      residualUnits: request.residualUnits ?? 1,
      seed: request.seed
    }
  }
})

const unetpp = entry({
  name: 'unetpp',
  planar: false,
  resolveOptions: resolveUNetPlusPlus3dOptions,
  build: buildUNetPlusPlus3d,
  defaults: (request): UNetPlusPlus3dOptions => {
    noResidualUnits(request, 'unetpp', 'two convolutions per node')
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      // As the plain U-Net's: 3 levels, 8 filters (a step costs ~2× the plain one, docs/TRAINING.md).
      depth: request.depth ?? 3,
      baseFilters: request.baseFilters ?? 8,
      deepSupervision: request.deepSupervision ?? true,
      seed: request.seed
    }
  }
})

const unetpp2d = entry({
  name: 'unetpp-2d',
  planar: true,
  resolveOptions: resolveUNetPlusPlus2dOptions,
  build: buildUNetPlusPlus2d,
  defaults: (request): UNetPlusPlus2dOptions => {
    noResidualUnits(request, 'unetpp-2d', 'two convolutions per node')
    const baseFilters = request.baseFilters ?? 8
    return {
      inputChannels: request.inputChannels,
      numClasses: request.numClasses,
      // The plain 2D U-Net's depth for the slice, at most U-Net++'s own 4: its nodes grow with the
      // square of the depth, and in 2D each level costs about the same (unetPlusPlusOptions.ts).
      depth: request.depth ?? unetPlusPlus2dDepthFor(request.planeEdge ?? 64),
      baseFilters,
      // The plain 2D U-Net's cap, 16× the base.
      maxFilters: Math.min(512, 16 * baseFilters),
      deepSupervision: request.deepSupervision ?? true,
      seed: request.seed
    }
  }
})

export const ARCHITECTURE_REGISTRY: Readonly<Record<ArchitectureName, Architecture>> = Object.freeze({
  'plain-unet': plain,
  'plain-unet-2d': plain2d,
  'residual-unet': residual,
  'residual-unet-2d': residual2d,
  unetpp,
  'unetpp-2d': unetpp2d
})

/** The plan's architecture (older plans: the residual U-Net they were trained with). */
export function architectureOf(plan: { architecture?: ArchitectureName | undefined }): Architecture {
  return ARCHITECTURE_REGISTRY[plan.architecture ?? LEGACY_ARCHITECTURE]
}

/** Builds the network a plan describes, as it was trained. */
export function buildFromPlan(plan: { architecture?: ArchitectureName | undefined; model: JsonRecord }): tf.LayersModel {
  return architectureOf(plan).build(plan.model)
}
