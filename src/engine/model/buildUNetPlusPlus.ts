/**
 * U-Net++ (Zhou et al. 2018, "UNet++: A Nested U-Net Architecture for Medical Image Segmentation"),
 * from the plain U-Net's blocks (buildPlainUNet3d.ts: conv → instance norm → LeakyReLU(0.01), two
 * per node, strided convs down, transposed convs up), in 3D or, with [1, n, n] kernels and strides,
 * in the plane of one slice (as buildPlainUNet2d.ts, for the same reasons).
 *
 *   X^{i,0}  the encoder: level i (1/2^i of the input, plainFiltersAt(i) channels); the first conv
 *            of levels i ≥ 1 has stride 2;
 *   X^{i,j}  j ≥ 1, i + j ≤ depth: the nested decoders' nodes,
 *            conv-block(concat[X^{i,0}, …, X^{i,j−1}, up(X^{i+1,j−1})]), where up is a stride-2
 *            transposed conv to level i's channels (the dense skip connections);
 *   head     1×1 conv ('logits') → softmax on X^{0,depth}: the main output, the full U-Net++;
 *   deep supervision (option): the same head on X^{0,depth−1} … X^{0,1}, extra outputs after the
 *            main one, all at full resolution (U-Net++'s form; the loss weighs them equally,
 *            deepSupervision.ts), predictionModel() predicts with the main one only.
 *
 * Layout NDHWC as every Voxloop network: [B, D, H, W, C] → [B, D, H, W, K] (D = 1 in 2D).
 */
import * as tf from '@tensorflow/tfjs'
import { IN_PLANE } from './buildPlainUNet2d'
import { head, plainFiltersAt, stage, upConv, VOLUMETRIC, type PlainContext, type PlainGeometry } from './buildPlainUNet3d'
import { heNormalSequence } from './initializers'
import { ConcatChannels } from './layers'
import { apply } from './residualUnit'
import { resolveUNetPlusPlus2dOptions, resolveUNetPlusPlus3dOptions, type ResolvedUNetPlusPlusOptions, type UNetPlusPlus2dOptions, type UNetPlusPlus3dOptions } from './unetPlusPlusOptions'

type Symbolic = tf.SymbolicTensor

/** The U-Net++ of resolved options with the kernels and strides `geometry` gives (pure: same options and seed, same model). */
export function buildUNetPlusPlus(resolved: ResolvedUNetPlusPlusOptions, geometry: PlainGeometry): tf.LayersModel {
  const context: PlainContext = { options: { ...resolved, activation: 'leakyRelu' }, kernelInitializer: heNormalSequence(resolved.seed), geometry }
  const { depth } = resolved
  const input = tf.input({ name: 'image', shape: [...resolved.inputShape, resolved.inputChannels], dtype: 'float32' })
  // nodes[i][j] is X^{i,j}.
  const nodes: Symbolic[][] = []
  for (let i = 0; i <= depth; i++) {
    const below = i === 0 ? input : nodes[i - 1][0]
    nodes.push([stage(context, resolved, below, `x${i}_0`, plainFiltersAt(resolved, i), i === 0 ? 1 : 2)])
  }
  // Column by column: X^{i,j} needs X^{i+1,j−1}, computed in the column before.
  for (let j = 1; j <= depth; j++) {
    for (let i = 0; i + j <= depth; i++) {
      const row = nodes[i]
      const filters = plainFiltersAt(resolved, i)
      const up = upConv(context, nodes[i + 1][j - 1], `x${i}_${j}_transpose`, filters)
      const joined = apply(new ConcatChannels({ name: `x${i}_${j}_concat` }), [...row.slice(0, j), up])
      row.push(stage(context, resolved, joined, `x${i}_${j}`, filters, 1))
    }
  }
  const top = nodes[0]
  const auxiliary: Symbolic[] = []
  if (resolved.deepSupervision) for (let j = depth - 1; j >= 1; j--) auxiliary.push(head(context, resolved, top[j], `ds${j}_`))
  return tf.model({ name: resolved.name, inputs: input, outputs: [head(context, resolved, top[depth], ''), ...auxiliary] })
}

/** Builds an uncompiled 3D U-Net++; spatial sizes must be multiples of 2^depth. INVALID_ARGUMENT for options out of range. */
export function buildUNetPlusPlus3d(options: UNetPlusPlus3dOptions): tf.LayersModel {
  return buildUNetPlusPlus(resolveUNetPlusPlus3dOptions(options), VOLUMETRIC)
}

/** Builds an uncompiled 2D U-Net++ (input [B, 1, H, W, C]); H and W multiples of 2^depth. INVALID_ARGUMENT for options out of range. */
export function buildUNetPlusPlus2d(options: UNetPlusPlus2dOptions): tf.LayersModel {
  return buildUNetPlusPlus(resolveUNetPlusPlus2dOptions(options), IN_PLANE)
}
