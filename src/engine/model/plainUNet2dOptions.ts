/**
 * Options of nnU-Net's plain 2D U-Net (buildPlainUNet2d): those of the 3D one, except that the
 * input is one slice ([1, H, W]) and only H and W are halved per stage. Plain JSON-able data,
 * stored in a model version's plan.
 */
import { invalid, type SpatialDim } from './unet3dOptions'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions, type ResolvedPlainUNet3dOptions } from './plainUNet3dOptions'

export interface PlainUNet2dOptions extends Omit<PlainUNet3dOptions, 'inputShape' | 'depth' | 'maxFilters'> {
  /** Downsampling stages; each halves H and W (D stays 1). Integer 1–6; default 3. */
  depth?: number
  /** Cap on the channels of any stage (nnU-Net: 512 in 2D). Integer 1–512; default 512. */
  maxFilters?: number
  /**
   * Spatial input [D, H, W]: D is 1 (one slice; null accepted as "1 at run time"), H and W positive
   * multiples of 2^depth or null; default [1, null, null]. D is fixed at 1 because the instance
   * norm pools over every spatial axis: on a stack of slices it would mix their statistics.
   */
  inputShape?: PlanarInputShape
}

/** [D, H, W] of a 2D network's input: D is one slice (null: 1 at run time). */
export type PlanarInputShape = [1 | null, SpatialDim, SpatialDim]

export type ResolvedPlainUNet2dOptions = ResolvedPlainUNet3dOptions

export const PLAIN_UNET2D_DEFAULTS = {
  maxFilters: 512,
  inputShape: [1, null, null],
  name: 'plain_unet2d'
} as const satisfies Partial<PlainUNet2dOptions>

/**
 * A 2D network's options resolved by its 3D resolver: `resolve` gets the input shape with D left
 * out of the checks (only H and W are pooled); D comes back as 1. INVALID_ARGUMENT for D ≠ 1.
 */
export function resolveInPlane<R extends { inputShape: [SpatialDim, SpatialDim, SpatialDim] }>(inputShape: PlanarInputShape | undefined, resolve: (volumetric: [null, SpatialDim, SpatialDim]) => R): R {
  const [d, h, w] = inputShape ?? PLAIN_UNET2D_DEFAULTS.inputShape
  if (d !== 1 && d !== null) throw invalid(`inputShape D of a 2D network must be 1 (one slice), got ${JSON.stringify(d)}`)
  const resolved = resolve([null, h, w])
  return { ...resolved, inputShape: [1, resolved.inputShape[1], resolved.inputShape[2]] }
}

/** Fills in defaults and checks every range; throws INVALID_ARGUMENT naming the first bad option. */
export function resolvePlainUNet2dOptions(options: PlainUNet2dOptions): ResolvedPlainUNet2dOptions {
  return resolveInPlane(options.inputShape, (inputShape) =>
    resolvePlainUNet3dOptions({
      ...options,
      maxFilters: options.maxFilters ?? PLAIN_UNET2D_DEFAULTS.maxFilters,
      inputShape,
      name: options.name ?? PLAIN_UNET2D_DEFAULTS.name
    })
  )
}

/**
 * Stages for a 2D patch whose smaller in-plane edge is `edge` pixels: halve until the coarsest
 * feature map would drop below 4 px (nnU-Net's planner stops at 4–8), at least 1 and at most 6
 * (the builder's range): 512² → 6 (8 px at the bottom), 256² → 6 (4 px), 64² → 4, 32² → 3.
 */
export function plainUNet2dDepthFor(edge: number): number {
  if (!(edge >= 1)) throw invalid(`a patch edge must be ≥ 1 px, got ${edge}`)
  return Math.min(6, Math.max(1, Math.floor(Math.log2(edge / 4))))
}
