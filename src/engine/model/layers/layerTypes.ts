/**
 * Types for writing tfjs layers that tfjs does not export by name. Taken from the public
 * constructor and method signatures (no deep imports into tfjs-layers' dist folder, whose paths
 * are not part of its API).
 */
import type * as tf from '@tensorflow/tfjs'

/** The constructor arguments of every tfjs layer (`LayerArgs` in tfjs-layers, not exported). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>

/** A layer's input or output shape: a list of dims (null = unknown), or one list per input. */
export type LayerShape = Parameters<tf.layers.Layer['computeOutputShape']>[0]

/** One tensor's shape; throws if the layer was given several inputs (ours take exactly one). */
export function singleShape(shape: LayerShape, layer: string): (number | null)[] {
  if (shape.length > 0 && Array.isArray(shape[0])) throw new Error(`${layer} takes exactly one input`)
  return shape as (number | null)[]
}

/** The one input tensor of a single-input layer's `call`. */
export function singleTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs
  const [first] = inputs
  if (inputs.length !== 1 || !first) throw new Error(`${layer} takes exactly one input, got ${inputs.length}`)
  return first
}
