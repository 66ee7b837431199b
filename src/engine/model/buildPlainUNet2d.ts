/**
 * nnU-Net's plain 2D U-Net (its "2d" configuration): the structure of buildPlainUNet3d.ts in the
 * plane of one slice: 3×3 conv → instance norm → LeakyReLU(0.01), two per stage, strided 3×3 convs
 * down, 2×2 transposed convs with stride 2 up, concatenated skips, 1×1 head and softmax, deep
 * supervision heads at the decoder stages 1 … depth−2.
 *
 * Layout: the pipeline's NDHWC with D = 1 in and out, [B, 1, H, W, C] → [B, 1, H, W, K] (deep
 * supervision outputs [B, 1, H/2^s, W/2^s, K]), so that the batch sampler, the losses, deep
 * supervision, the gradient workers, checkpoints and sliding-window prediction (patch depth 1: slice
 * by slice) take it as they take a 3D network.
 *
 * Why Conv3D layers with [1, 3, 3] kernels and [1, 2, 2] strides, not Conv2D on a squeezed tensor:
 * the same arithmetic (a kernel of depth 1 never mixes slices), but the wasm backend has no
 * Conv2DBackpropFilter kernel (tfjs 4.22: training a conv2d throws "not registered for backend
 * 'wasm'"), and the project's Conv3D kernels (src/engine/kernels) beat the stock wasm Conv2D ones at
 * these shapes: on a [2, 256, 256, 16] → 16 channel 3×3 conv, 13 ms vs 18 ms forward (XNNPACK) and
 * 34 ms vs 259 ms for the input gradient (scratch benchmark, 2026-12-06 09:13 UTC, load 2.3). No new
 * layer class either: saving, loading and the gradient workers' modelFromJSON work unchanged.
 */
import type * as tf from '@tensorflow/tfjs'
import { buildPlainUNet, type PlainGeometry } from './buildPlainUNet3d'
import { resolvePlainUNet2dOptions, type PlainUNet2dOptions } from './plainUNet2dOptions'

/** n along H and W, 1 along D: the 2D networks' kernels and strides. */
export const IN_PLANE: PlainGeometry = (n) => [1, n, n]

/**
 * Builds an uncompiled plain 2D U-Net (pure: same options and seed, same model). H and W must be
 * multiples of 2^depth, D is 1. Throws INVALID_ARGUMENT for options out of range.
 */
export function buildPlainUNet2d(options: PlainUNet2dOptions): tf.LayersModel {
  return buildPlainUNet(resolvePlainUNet2dOptions(options), IN_PLANE)
}
