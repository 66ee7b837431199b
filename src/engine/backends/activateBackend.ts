import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type { BackendId, BackendPreference, BackendProbe, BackendReport, GpuAdapterSummary } from '../../shared/backends'
import { firstLineOf, VoxloopError } from '../../shared/errors'
import { registerConv3dBackpropInputGradient, registerConv3dKernels, registerReductionKernels, registerWebGpuKernels } from '../kernels'
import { setActiveGpuHost } from '../gpuHost/activeGpuHost'
import { gpuWindowHost } from '../gpuHost/gpuWindowPort'
import { chooseBackend } from './chooseBackend'
import { probeBackends } from './probeBackends'
import { installThreadedWasm, wantedWasmThreads } from './threadedWasm'
import { dawnGpu, loadDawn, registerWebGpuBackend, requestAdapter, shutdownWebGpu, summarizeAdapter } from './webgpu/dawn'

const TF_NAME: Record<BackendId, string> = {
  'tfjs-node-gpu': 'tensorflow',
  webgpu: 'webgpu',
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

/**
 * Dawn in this process, on the adapter the probe found in its child (probeWebGpu.ts): the adapter is
 * asked for again here, since a GPUAdapter cannot cross processes. Registers tfjs's 'webgpu'
 * backend on it; the caller switches to it.
 */
async function prepareWebGpu(): Promise<GpuAdapterSummary> {
  const dawn = loadDawn()
  if (!dawn.ok) throw new VoxloopError('BACKEND_UNAVAILABLE', `The webgpu backend cannot start: ${dawn.reason}`)
  const adapter = await requestAdapter(dawnGpu(dawn.module))
  if (!adapter) {
    shutdownWebGpu()
    throw new VoxloopError('BACKEND_UNAVAILABLE', 'The webgpu backend cannot start: the GPU adapter its probe found is gone (Dawn now finds none)')
  }
  registerWebGpuBackend(adapter)
  return summarizeAdapter(adapter)
}

/**
 * The engine's own kernels for the chosen backend: the one place where each backend gets them.
 * Conv3D: direct and im2col kernels on wasm (the stock ones are slow and their gradients wrong);
 * elsewhere the conv3dTranspose gradient tfjs lacks. See docs/KERNELS.md.
 */
function registerKernelsFor(chosen: BackendId, threads: number): void {
  if (chosen === 'wasm') {
    registerConv3dKernels('wasm', { wasmThreads: threads })
    registerReductionKernels('wasm') // Sum, Mean, Slice, Concat, broadcasts: fast at rank 5
    return
  }
  registerConv3dBackpropInputGradient()
  // The WGSL Conv3D kernels (forward, input and filter gradients; the stock ones leave a GPU idle)
  // and the rank-5 fixes without which InstanceNorm and the loss give NaN (docs/KERNELS.md).
  if (chosen === 'webgpu') registerWebGpuKernels()
}

/**
 * webgpu in the desktop app: the GPU window computes (training steps' gradients, prediction tiles)
 * and the engine keeps the rest (optimiser, checkpoints, sampling) on wasm, or cpu if wasm cannot
 * load. The window's client is the one its probe asked (gpuWindowPort.ts).
 */
async function activateGpuWindow(preference: BackendPreference, probes: BackendProbe[], reason: string): Promise<BackendReport> {
  const host = await gpuWindowHost(0)
  const adapter = probes.find((p) => p.id === 'webgpu')?.adapter
  if (!host?.open || !adapter) throw new VoxloopError('BACKEND_UNAVAILABLE', "The webgpu backend cannot start: the desktop app's GPU window closed after its probe")
  const own: BackendId = probes.some((p) => p.id === 'wasm' && p.available) ? 'wasm' : 'cpu'
  let threads = 1
  let note = ''
  if (own === 'wasm') ({ threads, note } = await prepareWasm())
  if (!(await tf.setBackend(TF_NAME[own]))) throw new VoxloopError('BACKEND_UNAVAILABLE', `TensorFlow.js could not initialise ${own}, which the engine keeps beside the GPU window`)
  await tf.ready()
  registerKernelsFor(own, threads)
  setActiveGpuHost(host)
  return {
    chosen: 'webgpu',
    tfBackend: tf.getBackend(),
    reason: `${reason}; the GPU window computes the steps and predictions, the engine keeps the optimiser on ${own}${note}`,
    preference,
    probes,
    tfjsVersion: tf.version.tfjs,
    threads,
    adapter
  }
}

/** Probe, choose and switch TensorFlow.js to the chosen backend; the report says why. */
export async function activateBackend(preference: BackendPreference): Promise<BackendReport> {
  const probes = await probeBackends(preference)
  const choice = chooseBackend(probes, preference)
  if (choice.chosen === 'webgpu' && process.versions.electron !== undefined) return activateGpuWindow(preference, probes, choice.reason)
  // libtensorflow sizes its intra-op pool to the cores; cpu is plain JS on one thread; webgpu's
  // work runs on the GPU, queued from this one thread.
  let threads = choice.chosen === 'tfjs-node' || choice.chosen === 'tfjs-node-gpu' ? Math.max(1, os.cpus().length) : 1
  let note = ''
  if (choice.chosen === 'wasm') ({ threads, note } = await prepareWasm())
  const adapter = choice.chosen === 'webgpu' ? await prepareWebGpu() : undefined
  const ok = await tf.setBackend(TF_NAME[choice.chosen])
  await tf.ready()
  if (!ok) {
    if (choice.chosen === 'webgpu') shutdownWebGpu()
    // tfjs prints the factory's error to stderr (console.warn) and returns false: for webgpu that is
    // the device request (out of memory, limits the adapter refuses).
    const detail = choice.chosen === 'webgpu' ? ': the GPU device could not be created (the engine printed why on its stderr)' : ''
    throw new VoxloopError('BACKEND_UNAVAILABLE', `TensorFlow.js could not initialise the ${choice.chosen} backend${detail}`)
  }
  registerKernelsFor(choice.chosen, threads)
  return {
    chosen: choice.chosen,
    tfBackend: tf.getBackend(),
    reason: choice.reason + note,
    preference,
    probes,
    tfjsVersion: tf.version.tfjs,
    threads,
    ...(adapter ? { adapter } : {})
  }
}
