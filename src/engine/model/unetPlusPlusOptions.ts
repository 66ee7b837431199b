/**
 * Options of U-Net++ (buildUNetPlusPlus.ts), 3D and 2D: those of the plain U-Nets (the same
 * blocks, widths and ranges: plainUNet3dOptions.ts, plainUNet2dOptions.ts) under U-Net++'s own
 * model name, with U-Net++'s deep supervision and a smaller 2D default depth. Plain JSON-able data,
 * stored in a model version's plan.
 */
import { plainUNet2dDepthFor, resolvePlainUNet2dOptions, type PlainUNet2dOptions, type ResolvedPlainUNet2dOptions } from './plainUNet2dOptions'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions, type ResolvedPlainUNet3dOptions } from './plainUNet3dOptions'

/** U-Net++'s deep supervision, in place of the plain U-Net's (the other options are the plain U-Net's). */
interface UNetPlusPlusSupervision {
  /**
   * Deep supervision as U-Net++ has it: a 1×1 head on each nested decoder's full-resolution node
   * X^{0,j}, j = 1 … depth−1, as extra outputs after the main one (X^{0,depth}, finest nesting
   * first: j = depth−1 … 1); all at full resolution, so the loss weighs them equally
   * (deepSupervision.ts); prediction uses the main one. Default false.
   */
  deepSupervision?: boolean
}

export type UNetPlusPlus3dOptions = Omit<PlainUNet3dOptions, 'deepSupervision'> & UNetPlusPlusSupervision
export type UNetPlusPlus2dOptions = Omit<PlainUNet2dOptions, 'deepSupervision'> & UNetPlusPlusSupervision
export type ResolvedUNetPlusPlusOptions = ResolvedPlainUNet3dOptions

export const UNETPP_NAMES = { volumetric: 'unetpp3d', planar: 'unetpp2d' } as const

/**
 * The largest default depth in 2D: U-Net++'s own (Zhou et al. 2018: X^{0…4}, four poolings). Its
 * nodes grow as (depth+1)(depth+2)/2 against the plain U-Net's 2·depth+1 stages, and in 2D every
 * level costs about the same (¼ the pixels, 4× the channel pairs): at 6 levels a step would cost
 * ~2× the plain 6-level one for a 4–8 px bottom map that the 16 px of 4 levels barely changes.
 */
export const UNETPP_2D_MAX_DEFAULT_DEPTH = 4

/** Fills in defaults and checks every range; throws INVALID_ARGUMENT naming the first bad option. */
export function resolveUNetPlusPlus3dOptions(options: UNetPlusPlus3dOptions): ResolvedUNetPlusPlusOptions {
  return resolvePlainUNet3dOptions({ ...options, name: options.name ?? UNETPP_NAMES.volumetric })
}

/** The 2D form: input [1, H, W], only H and W pooled (plainUNet2dOptions.ts). */
export function resolveUNetPlusPlus2dOptions(options: UNetPlusPlus2dOptions): ResolvedPlainUNet2dOptions {
  return resolvePlainUNet2dOptions({ ...options, name: options.name ?? UNETPP_NAMES.planar })
}

/** The default 2D depth for a slice whose smaller edge is `edge` px: the plain 2D U-Net's, at most UNETPP_2D_MAX_DEFAULT_DEPTH. */
export function unetPlusPlus2dDepthFor(edge: number): number {
  return Math.min(UNETPP_2D_MAX_DEFAULT_DEPTH, plainUNet2dDepthFor(edge))
}
