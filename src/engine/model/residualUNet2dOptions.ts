/**
 * Options of the residual U-Net in 2D (buildUNet3d.ts's buildResidualUNet2d): those of the 3D one
 * (unet3dOptions.ts), except that the input is one slice ([1, H, W]) and only H and W are halved
 * per level. Plain JSON-able data, stored in a model version's plan.
 */
import { plainUNet2dDepthFor, resolveInPlane, type PlanarInputShape } from './plainUNet2dOptions'
import { resolveUNet3dOptions, type ResolvedUNet3dOptions, type UNet3dOptions } from './unet3dOptions'

export interface ResidualUNet2dOptions extends Omit<UNet3dOptions, 'inputShape' | 'depth'> {
  /** Downsampling levels; each halves H and W (D stays 1). Integer 1–6; default 3. */
  depth?: number
  /** Spatial input [D, H, W]: D is 1 (one slice), H and W positive multiples of 2^depth or null; default [1, null, null]. */
  inputShape?: PlanarInputShape
}

export type ResolvedResidualUNet2dOptions = ResolvedUNet3dOptions

export const RESIDUAL_UNET2D_NAME = 'residual_unet2d'

/**
 * The largest default depth in 2D. The residual U-Net has no cap on its channels (baseFilters·2^level):
 * each level beyond 4 doubles the widest layers and quadruples their weights (8 filters: 128 channels
 * at level 4, 512 at level 6 with ~10 M parameters), where the plain 2D U-Net caps at 16× its base.
 */
export const RESIDUAL_UNET2D_MAX_DEFAULT_DEPTH = 4

/** Fills in defaults and checks every range; throws INVALID_ARGUMENT naming the first bad option. */
export function resolveResidualUNet2dOptions(options: ResidualUNet2dOptions): ResolvedResidualUNet2dOptions {
  return resolveInPlane(options.inputShape, (inputShape) => resolveUNet3dOptions({ ...options, inputShape, name: options.name ?? RESIDUAL_UNET2D_NAME }))
}

/** The default depth for a slice whose smaller edge is `edge` px: the plain 2D U-Net's, at most RESIDUAL_UNET2D_MAX_DEFAULT_DEPTH. */
export function residualUNet2dDepthFor(edge: number): number {
  return Math.min(RESIDUAL_UNET2D_MAX_DEFAULT_DEPTH, plainUNet2dDepthFor(edge))
}
