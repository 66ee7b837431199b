/**
 * Weight initialisers that are reproducible when a seed is given. Each layer needs its own seed:
 * with one seed for all, layers of the same shape would start with identical weights.
 */
import * as tf from '@tensorflow/tfjs'

// tfjs exports the initialiser functions but not their class type.
export type InitializerFactory = () => ReturnType<typeof tf.initializers.heNormal>

/** He-normal (for ReLU networks), seeded `seed`, `seed + 1`, … in call order; unseeded for null. */
export function heNormalSequence(seed: number | null): InitializerFactory {
  let next = seed
  return () => {
    if (next === null) return tf.initializers.heNormal({})
    return tf.initializers.heNormal({ seed: next++ })
  }
}
