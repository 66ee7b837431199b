/**
 * Deterministic test values and a scale-aware error measure, shared by the kernel and model tests
 * so that failures reproduce.
 */
import * as tf from '@tensorflow/tfjs'

/** Deterministic values in [-1, 1). */
export function seededValues(count: number, seed: number): Float32Array {
  const values = new Float32Array(count)
  let state = seed >>> 0 || 1
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    values[i] = ((state >>> 0) / 2 ** 32) * 2 - 1
  }
  return values
}

export function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape)
}

/** max |a − b| / max |b|: relative to the reference's scale, so near-zero entries don't dominate. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY
  let maxDiff = 0
  let scale = 0
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]))
    scale = Math.max(scale, Math.abs(expected[i]))
  }
  return maxDiff / Math.max(scale, 1e-30)
}
