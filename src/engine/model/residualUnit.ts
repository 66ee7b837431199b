/**
 * The building blocks of the residual U-Net, after DLTK's `vanilla_residual_unit_3d`
 * (pre-activation ResNet units, He et al. 2016 "Identity Mappings in Deep Residual Networks").
 */
import * as tf from '@tensorflow/tfjs'
import type { InitializerFactory } from './initializers'
import { InstanceNormalization } from './layers'
import type { ResolvedUNet3dOptions } from './unet3dOptions'

type Symbolic = tf.SymbolicTensor

/** One size for every spatial axis, or [D, H, W] (the 2D U-Net's in-plane kernels are [1, n, n]). */
export type SpatialExtent = number | [number, number, number]

/**
 * Kernel and stride sizes of a network's layers from their edge n: n on every axis (3D), or
 * [1, n, n] for the 2D networks, whose convolutions never mix slices.
 */
export type Geometry = (n: number) => SpatialExtent

/** What every block needs from the model's options, plus the initialiser sequence. */
export interface BlockContext {
  options: Pick<ResolvedUNet3dOptions, 'activation' | 'leakyReluAlpha' | 'normEpsilon'>
  kernelInitializer: InitializerFactory
  /** Kernel and stride sizes from their edge (residualUnit); default n on every axis (3D). */
  geometry?: Geometry
}

export interface ConvSpec {
  name: string
  filters: number
  kernelSize: SpatialExtent
  strides?: SpatialExtent
  /** Off where a normalisation follows: its offset makes a bias redundant. */
  useBias?: boolean
}

export function apply(layer: tf.layers.Layer, input: Symbolic | Symbolic[]): Symbolic {
  return layer.apply(input) as Symbolic
}

export function conv(context: BlockContext, input: Symbolic, spec: ConvSpec): Symbolic {
  const layer = tf.layers.conv3d({
    name: spec.name,
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    strides: spec.strides ?? 1,
    padding: 'same',
    useBias: spec.useBias ?? false,
    kernelInitializer: context.kernelInitializer()
  })
  return apply(layer, input)
}

function activation(context: BlockContext, input: Symbolic, name: string): Symbolic {
  const { activation: kind, leakyReluAlpha } = context.options
  const layer = kind === 'leakyRelu' ? tf.layers.leakyReLU({ name, alpha: leakyReluAlpha }) : tf.layers.reLU({ name })
  return apply(layer, input)
}

/** Instance norm → activation. */
export function normActivation(context: BlockContext, input: Symbolic, name: string): Symbolic {
  const normed = apply(new InstanceNormalization({ name: `${name}_norm`, epsilon: context.options.normEpsilon }), input)
  return activation(context, normed, `${name}_act`)
}

function channelsOf(x: Symbolic): number {
  const channels = x.shape[x.shape.length - 1]
  if (channels == null) throw new Error(`${x.name} has unknown channels`)
  return channels
}

/**
 * norm → act → conv(stride) → norm → act → conv, plus the input, as in DLTK's residual unit.
 *
 * - Downsampling (stride 2) uses a 4×4×4 kernel, as DLTK does ("adjust the strided conv kernel size
 *   to prevent losing information": with 3×3×3 at stride 2 every other input voxel is seen by
 *   fewer taps).
 * - When the channels or the stride change, the shortcut is a 1×1×1 convolution with the unit's
 *   stride (a projection shortcut, ResNet's option B). DLTK instead zero-pads channels or uses a
 *   3×3×3 conv and max-pools; the projection is cheaper and lets each unit choose its mix.
 */
export function residualUnit(context: BlockContext, input: Symbolic, unit: { name: string; filters: number; strides: 1 | 2 }): Symbolic {
  const { name, filters, strides } = unit
  const extent = context.geometry ?? ((n: number): SpatialExtent => n)
  const first = normActivation(context, input, `${name}_a`)
  const convA = conv(context, first, { name: `${name}_a_conv`, filters, kernelSize: extent(strides > 1 ? 2 * strides : 3), strides: extent(strides) })
  const second = normActivation(context, convA, `${name}_b`)
  const convB = conv(context, second, { name: `${name}_b_conv`, filters, kernelSize: extent(3) })
  const needsProjection = strides !== 1 || channelsOf(input) !== filters
  const shortcut = needsProjection ? conv(context, input, { name: `${name}_shortcut`, filters, kernelSize: extent(1), strides: extent(strides) }) : input
  return apply(tf.layers.add({ name: `${name}_add` }), [convB, shortcut])
}
