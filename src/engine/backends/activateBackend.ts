import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type { BackendId, BackendPreference, BackendReport } from '../../shared/backends'
import { VoxloopError } from '../../shared/errors'
import { registerConv3dBackpropInputGradient, registerConv3dKernels, registerReductionKernels } from '../kernels'
import { chooseBackend } from './chooseBackend'
import { probeBackends } from './probeBackends'

const TF_NAME: Record<BackendId, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu'
}

function threadsOf(id: BackendId): number {
  // libtensorflow sizes its intra-op pool to the cores; wasm has no threads under Node; cpu is JS.
  if (id === 'tfjs-node' || id === 'tfjs-node-gpu') return Math.max(1, os.cpus().length)
  return 1
}

/** Probe, choose and switch TensorFlow.js to the chosen backend; the report says why. */
export async function activateBackend(preference: BackendPreference): Promise<BackendReport> {
  const probes = await probeBackends(preference)
  const choice = chooseBackend(probes, preference)
  const ok = await tf.setBackend(TF_NAME[choice.chosen])
  await tf.ready()
  if (!ok) {
    throw new VoxloopError('BACKEND_UNAVAILABLE', `TensorFlow.js could not initialise the ${choice.chosen} backend`)
  }
  // Conv3D: im2col kernels on wasm (the stock ones are slow and their gradients wrong); elsewhere
  // only the conv3dTranspose gradient tfjs lacks. See docs/KERNELS.md.
  if (choice.chosen === 'wasm') {
    registerConv3dKernels('wasm')
    registerReductionKernels('wasm') // Sum, Mean, Slice, Concat, broadcasts: fast at rank 5
  } else registerConv3dBackpropInputGradient()
  return {
    chosen: choice.chosen,
    tfBackend: tf.getBackend(),
    reason: choice.reason,
    preference,
    probes,
    tfjsVersion: tf.version.tfjs,
    threads: threadsOf(choice.chosen)
  }
}
