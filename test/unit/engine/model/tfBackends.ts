/**
 * Backends for the model tests, set up directly (as the engine's probeBackends does): cpu, and wasm
 * from the installed package with the project's Conv3D kernels (the stock wasm Conv3D gradients
 * are wrong, docs/KERNELS.md).
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerConv3dKernels } from '../../../../src/engine/kernels'

const requireHere = createRequire(import.meta.url)
setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)

export const BACKENDS = ['cpu', 'wasm'] as const
export type TestBackend = (typeof BACKENDS)[number]

export async function useBackend(name: TestBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`)
  await tf.ready()
  registerConv3dKernels(name)
}

export { relativeError, seededTensor, seededValues } from '../../../helpers/seededTensors'
