/**
 * Backends for the kernel tests, set up directly (not through the engine process): cpu always,
 * wasm from the installed package, 'tensorflow' only if a tfjs-node binding happens to load.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'

const requireHere = createRequire(import.meta.url)

setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)

function tryLoadTfjsNode(): boolean {
  for (const name of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    try {
      requireHere(name)
      return Boolean(tf.findBackendFactory('tensorflow'))
    } catch {
      // not installed or failed to load: the tests run on the other backends
    }
  }
  return false
}

export const TEST_BACKENDS: string[] = ['cpu', 'wasm', ...(tryLoadTfjsNode() ? ['tensorflow'] : [])]

export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`)
  await tf.ready()
}

/** Deterministic values in [-1, 1) so failures reproduce. */
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

/** <a, b> in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

export function numDataIds(): number {
  return tf.engine().backend.numDataIds()
}
