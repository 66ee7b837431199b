/**
 * The residual 3D U-Net used for training: DLTK's `residual_unet_3d` (Pawlowski et al. 2017) with
 * instance norm and nearest upsampling, in tfjs layers.
 *
 * Layout NDHWC: input [batch, D, H, W, inputChannels] float32, output [batch, D, H, W, numClasses]
 * softmax probabilities over the classes (the layer before, 'logits', holds the scores).
 *
 * Level l (0 = full resolution) has baseFilters·2^l channels at 1/2^l of the input size.
 *   encoder   level 0: one 3×3×3 conv (DLTK's initial conv; no residual units at full resolution,
 *             where they would cost the most); level l ≥ 1: `residualUnits` units, the first with
 *             stride 2 (the downsampling; no pooling layers).
 *   decoder   level l = depth−1 … 0: 1×1×1 or 3×3×3 conv to level l's channels + UpSampling3D ×2,
 *             concat [upsampled, encoder level l], `residualUnits` units (the first projects the
 *             doubled channels back).
 *   head      norm → act (pre-activation units leave their sum unnormalised) → 1×1×1 conv to
 *             numClasses ('logits', with bias) → softmax over the last axis.
 *
 * In 2D ('residual-unet-2d', buildResidualUNet2d) the same network in the plane of one slice, as
 * buildPlainUNet2d.ts does it: every kernel and stride [1, n, n] (the strided 4×4 kernels included),
 * upsampling ×2 in H and W only, tensors [B, 1, H, W, ·].
 */
import * as tf from '@tensorflow/tfjs'
import { IN_PLANE } from './buildPlainUNet2d'
import { VOLUMETRIC } from './buildPlainUNet3d'
import { heNormalSequence } from './initializers'
import { ConcatChannels, UpSampling3D } from './layers'
import { resolveResidualUNet2dOptions, type ResidualUNet2dOptions } from './residualUNet2dOptions'
import { apply, conv, normActivation, residualUnit, type BlockContext, type Geometry } from './residualUnit'
import { resolveUNet3dOptions, type ResolvedUNet3dOptions, type UNet3dOptions } from './unet3dOptions'

/** The residual U-Net's context: its geometry is always set (n, or [1, n, n] in 2D). */
interface ResidualContext extends BlockContext {
  geometry: Geometry
}

type Symbolic = tf.SymbolicTensor

function filtersAt(options: ResolvedUNet3dOptions, level: number): number {
  return options.baseFilters * 2 ** level
}

function encoderLevel(context: ResidualContext, options: ResolvedUNet3dOptions, input: Symbolic, level: number): Symbolic {
  let x = input
  for (let unit = 0; unit < options.residualUnits; unit++) {
    x = residualUnit(context, x, { name: `enc${level}_unit${unit}`, filters: filtersAt(options, level), strides: unit === 0 ? 2 : 1 })
  }
  return x
}

/**
 * Conv + nearest ×2. A 1×1×1 conv commutes with nearest upsampling (each output voxel is a copy),
 * so it runs before the upsampling, on 8× (2D: 4×) fewer voxels; a 3×3×3 conv runs after it, where
 * it smooths the 2×2×2 blocks.
 */
function upsample(context: ResidualContext, options: ResolvedUNet3dOptions, input: Symbolic, level: number): Symbolic {
  const spec = { name: `dec${level}_upconv`, filters: filtersAt(options, level), kernelSize: context.geometry(options.upsamplingKernelSize) }
  const size = context.geometry(2)
  const up = (x: Symbolic): Symbolic => apply(new UpSampling3D({ name: `dec${level}_upsample`, size: typeof size === 'number' ? size : [...size] }), x)
  return options.upsamplingKernelSize === 1 ? up(conv(context, input, spec)) : conv(context, up(input), spec)
}

function decoderLevel(context: ResidualContext, options: ResolvedUNet3dOptions, input: Symbolic, skip: Symbolic, level: number): Symbolic {
  const upsampled = upsample(context, options, input, level)
  let x = apply(new ConcatChannels({ name: `dec${level}_concat` }), [upsampled, skip])
  for (let unit = 0; unit < options.residualUnits; unit++) {
    x = residualUnit(context, x, { name: `dec${level}_unit${unit}`, filters: filtersAt(options, level), strides: 1 })
  }
  return x
}

/** The residual U-Net of resolved options with the kernels, strides and upsampling `geometry` gives (pure). */
function buildResidualUNet(resolved: ResolvedUNet3dOptions, geometry: Geometry): tf.LayersModel {
  const context: ResidualContext = { options: resolved, kernelInitializer: heNormalSequence(resolved.seed), geometry }

  const input = tf.input({ name: 'image', shape: [...resolved.inputShape, resolved.inputChannels], dtype: 'float32' })
  const skips: Symbolic[] = [conv(context, input, { name: 'enc0_conv', filters: filtersAt(resolved, 0), kernelSize: geometry(3) })]
  for (let level = 1; level <= resolved.depth; level++) {
    skips.push(encoderLevel(context, resolved, skips[level - 1], level))
  }
  let x = skips[resolved.depth]
  for (let level = resolved.depth - 1; level >= 0; level--) {
    x = decoderLevel(context, resolved, x, skips[level], level)
  }
  const features = normActivation(context, x, 'head')
  const logits = conv(context, features, { name: 'logits', filters: resolved.numClasses, kernelSize: 1, useBias: true })
  const probabilities = apply(tf.layers.softmax({ name: 'softmax', axis: -1 }), logits)
  return tf.model({ name: resolved.name, inputs: input, outputs: probabilities })
}

/**
 * Builds an uncompiled residual 3D U-Net (pure: same options and seed, same model). Spatial input
 * sizes must be multiples of 2^depth. Throws INVALID_ARGUMENT for options out of range.
 */
export function buildUNet3d(options: UNet3dOptions): tf.LayersModel {
  return buildResidualUNet(resolveUNet3dOptions(options), VOLUMETRIC)
}

/**
 * Builds an uncompiled residual 2D U-Net (input [B, 1, H, W, C]; H and W multiples of 2^depth).
 * Throws INVALID_ARGUMENT for options out of range.
 */
export function buildResidualUNet2d(options: ResidualUNet2dOptions): tf.LayersModel {
  return buildResidualUNet(resolveResidualUNet2dOptions(options), IN_PLANE)
}
