/**
 * nnU-Net's plain 3D U-Net ("PlainConvUNet", Isensee et al. 2021), in tfjs layers:
 *
 *   stage s (0 = full resolution) has min(baseFilters·2^s, maxFilters) channels at 1/2^s of the input;
 *   encoder  stage s: `convsPerStage` × [3×3×3 conv → instance norm → LeakyReLU(0.01)], the first conv
 *            of stages s ≥ 1 with stride 2 (strided-conv downsampling, no pooling);
 *   decoder  stage s = depth−1 … 0: 2×2×2 transposed conv with stride 2 to stage s's channels,
 *            concat [upsampled, encoder stage s], `convsPerStage` × [conv → norm → LeakyReLU];
 *   head     1×1×1 conv to numClasses ('logits', with bias) → softmax over the last axis;
 *   deep supervision (option): the same head on decoder stages 1 … depth−2, as extra outputs
 *            after the main one (finest first); predictionModel() predicts with the main one only.
 *
 * Layout NDHWC, as the residual U-Net (buildUNet3d): input [batch, D, H, W, inputChannels],
 * output the class probabilities, the layer before it ('logits') the scores. Convolutions followed by
 * a norm have no bias (the norm's offset replaces it), as in nnU-Net.
 */
import * as tf from '@tensorflow/tfjs'
import { heNormalSequence } from './initializers'
import { ConcatChannels, InstanceNormalization } from './layers'
import { apply, conv, type BlockContext, type Geometry } from './residualUnit'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions, type ResolvedPlainUNet3dOptions } from './plainUNet3dOptions'

type Symbolic = tf.SymbolicTensor

/** Kernel and stride sizes from their edge: n (3D) or [1, n, n] (buildPlainUNet2d.ts). */
export type PlainGeometry = Geometry

/** n on every axis: the 3D networks. */
export const VOLUMETRIC: PlainGeometry = (n) => n

export function plainFiltersAt(options: Pick<ResolvedPlainUNet3dOptions, 'baseFilters' | 'maxFilters'>, stage: number): number {
  return Math.min(options.maxFilters, options.baseFilters * 2 ** stage)
}

export interface PlainContext extends BlockContext {
  geometry: Geometry
}

export function convNormAct(context: PlainContext, options: ResolvedPlainUNet3dOptions, input: Symbolic, name: string, filters: number, strides: 1 | 2): Symbolic {
  const x = conv(context, input, { name: `${name}_conv`, filters, kernelSize: context.geometry(3), strides: context.geometry(strides) })
  const normed = apply(new InstanceNormalization({ name: `${name}_norm`, epsilon: options.normEpsilon }), x)
  return apply(tf.layers.leakyReLU({ name: `${name}_act`, alpha: options.leakyReluAlpha }), normed)
}

/** `convsPerStage` × [conv → norm → LeakyReLU] to `filters` channels, the first conv with stride `firstStride`. */
export function stage(context: PlainContext, options: ResolvedPlainUNet3dOptions, input: Symbolic, prefix: string, filters: number, firstStride: 1 | 2): Symbolic {
  let x = input
  for (let i = 0; i < options.convsPerStage; i++) x = convNormAct(context, options, x, `${prefix}_${i}`, filters, i === 0 ? firstStride : 1)
  return x
}

/** 1×1×1 conv to the classes ('<prefix>logits', with bias) → softmax ('<prefix>softmax'). */
export function head(context: PlainContext, options: ResolvedPlainUNet3dOptions, features: Symbolic, prefix: string): Symbolic {
  const logits = conv(context, features, { name: `${prefix}logits`, filters: options.numClasses, kernelSize: 1, useBias: true })
  return apply(tf.layers.softmax({ name: `${prefix}softmax`, axis: -1 }), logits)
}

/** 2×2×2 (2D: 1×2×2) transposed conv with stride 2 to `filters` channels: the learned ×2 upsampling. */
export function upConv(context: PlainContext, input: Symbolic, name: string, filters: number): Symbolic {
  const layer = tf.layers.conv3dTranspose({
    name,
    filters,
    kernelSize: context.geometry(2),
    strides: context.geometry(2),
    padding: 'same',
    useBias: false,
    kernelInitializer: context.kernelInitializer()
  })
  return apply(layer, input)
}

/**
 * The plain U-Net of resolved options with the kernels and strides `geometry` gives (pure: same
 * options and seed, same model). Shared by the 3D and the 2D builder.
 */
export function buildPlainUNet(resolved: ResolvedPlainUNet3dOptions, geometry: PlainGeometry): tf.LayersModel {
  const context: PlainContext = { options: { ...resolved, activation: 'leakyRelu' }, kernelInitializer: heNormalSequence(resolved.seed), geometry }

  const input = tf.input({ name: 'image', shape: [...resolved.inputShape, resolved.inputChannels], dtype: 'float32' })
  const skips: Symbolic[] = []
  // Deep supervision heads, finest first (after the main output).
  const auxiliary: Symbolic[] = []
  let x: Symbolic = input
  for (let s = 0; s <= resolved.depth; s++) {
    x = stage(context, resolved, x, `enc${s}`, plainFiltersAt(resolved, s), s === 0 ? 1 : 2)
    skips.push(x)
  }
  for (let s = resolved.depth - 1; s >= 0; s--) {
    const filters = plainFiltersAt(resolved, s)
    const up = upConv(context, x, `dec${s}_transpose`, filters)
    x = apply(new ConcatChannels({ name: `dec${s}_concat` }), [up, skips[s] as Symbolic])
    x = stage(context, resolved, x, `dec${s}`, filters, 1)
    if (resolved.deepSupervision && s >= 1 && s <= resolved.depth - 2) auxiliary.unshift(head(context, resolved, x, `ds${s}_`))
  }
  return tf.model({ name: resolved.name, inputs: input, outputs: [head(context, resolved, x, ''), ...auxiliary] })
}

/**
 * Builds an uncompiled plain 3D U-Net (pure: same options and seed, same model). Spatial input sizes
 * must be multiples of 2^depth. Throws INVALID_ARGUMENT for options out of range.
 */
export function buildPlainUNet3d(options: PlainUNet3dOptions): tf.LayersModel {
  return buildPlainUNet(resolvePlainUNet3dOptions(options), VOLUMETRIC)
}
