import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type { BackendId, BackendPreference, BackendReport } from '../../shared/backends'
import { firstLineOf, VoxloopError } from '../../shared/errors'
import { registerConv3dBackpropInputGradient, registerConv3dKernels, registerReductionKernels } from '../kernels'
import { chooseBackend } from './chooseBackend'
import { probeBackends } from './probeBackends'
import { installThreadedWasm, wantedWasmThreads } from './threadedWasm'

const TF_NAME: Record<BackendId, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu'
}

/**
 * The threaded wasm build when more than one thread is wanted (threadedWasm.ts); if it cannot load,
 * the plain build runs on one thread and the report says why.
 */
async function prepareWasm(): Promise<{ threads: number; note: string }> {
  let wanted: number
  try {
    wanted = wantedWasmThreads()
  } catch (error) {
    return { threads: 1, note: `; one thread: ${firstLineOf(error)}` }
  }
  if (wanted === 1) return { threads: 1, note: '; one thread' }
  try {
    const { threads } = await installThreadedWasm(wanted)
    return { threads, note: `; ${threads} threads (threaded SIMD build)` }
  } catch (error) {
    return { threads: 1, note: `; one thread: the threaded build failed to load (${firstLineOf(error)})` }
  }
}

/** Probe, choose and switch TensorFlow.js to the chosen backend; the report says why. */
export async function activateBackend(preference: BackendPreference): Promise<BackendReport> {
  const probes = await probeBackends(preference)
  const choice = chooseBackend(probes, preference)
  // libtensorflow sizes its intra-op pool to the cores; cpu is plain JS on one thread.
  let threads = choice.chosen === 'tfjs-node' || choice.chosen === 'tfjs-node-gpu' ? Math.max(1, os.cpus().length) : 1
  let note = ''
  if (choice.chosen === 'wasm') ({ threads, note } = await prepareWasm())
  const ok = await tf.setBackend(TF_NAME[choice.chosen])
  await tf.ready()
  if (!ok) {
    throw new VoxloopError('BACKEND_UNAVAILABLE', `TensorFlow.js could not initialise the ${choice.chosen} backend`)
  }
  // Conv3D: direct and im2col kernels on wasm (the stock ones are slow and their gradients wrong);
  // elsewhere only the conv3dTranspose gradient tfjs lacks. See docs/KERNELS.md.
  if (choice.chosen === 'wasm') {
    registerConv3dKernels('wasm', { wasmThreads: threads })
    registerReductionKernels('wasm') // Sum, Mean, Slice, Concat, broadcasts: fast at rank 5
  } else registerConv3dBackpropInputGradient()
  return {
    chosen: choice.chosen,
    tfBackend: tf.getBackend(),
    reason: choice.reason + note,
    preference,
    probes,
    tfjsVersion: tf.version.tfjs,
    threads
  }
}
