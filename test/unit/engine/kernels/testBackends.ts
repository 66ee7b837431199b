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

export { relativeError, seededTensor, seededValues } from '../../../helpers/seededTensors'

/** <a, b> in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

export function numDataIds(): number {
  return tf.engine().backend.numDataIds()
}
