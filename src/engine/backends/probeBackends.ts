import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { BACKEND_IDS, type BackendId, type BackendPreference, type BackendProbe } from '../../shared/backends'
import { firstLineOf } from '../../shared/errors'
import { findNvidiaGpus } from '../../node/nvidiaSmi'
import { probeWebGpu } from './webgpu/probeWebGpu'

// Optional packages are loaded by name at run time so that a missing one is a probe result, not a
// bundling or start-up failure.
const requireAtRuntime = createRequire(import.meta.url)

const PACKAGE_OF: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node'
}

function isInstalled(packageName: string): boolean {
  try {
    requireAtRuntime.resolve(`${packageName}/package.json`)
    return true
  } catch {
    return false
  }
}

/**
 * Loading a libtensorflow binding registers the 'tensorflow' backend for the whole process, and
 * the GPU and CPU bindings cannot both load. So probe in preference order and load at most one.
 */
async function probeTensorflow(id: 'tfjs-node-gpu' | 'tfjs-node', alreadyLoaded: BackendId | null): Promise<BackendProbe> {
  const packageName = PACKAGE_OF[id]
  if (!isInstalled(packageName)) return { id, available: false, reason: 'not installed' }
  if (alreadyLoaded) {
    return { id, available: false, reason: `installed; not loaded because ${alreadyLoaded} already provides the tensorflow backend` }
  }
  if (id === 'tfjs-node-gpu') {
    const gpus = await findNvidiaGpus()
    if (gpus.length === 0) return { id, available: false, reason: 'installed, but nvidia-smi finds no NVIDIA GPU' }
  }
  try {
    requireAtRuntime(packageName)
  } catch (error) {
    return { id, available: false, reason: `installed, but failed to load: ${firstLineOf(error)}` }
  }
  if (!tf.findBackendFactory('tensorflow')) {
    return { id, available: false, reason: 'loaded, but registered no tensorflow backend' }
  }
  return { id, available: true, reason: id === 'tfjs-node-gpu' ? 'libtensorflow with CUDA' : 'libtensorflow (CPU)' }
}

async function probeWasm(): Promise<BackendProbe> {
  try {
    const wasm = requireAtRuntime('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void }
    const distDir = path.dirname(requireAtRuntime.resolve('@tensorflow/tfjs-backend-wasm'))
    wasm.setWasmPaths(distDir + path.sep)
    if (!tf.findBackendFactory('wasm')) return { id: 'wasm', available: false, reason: 'package loaded but registered no backend' }
    return { id: 'wasm', available: true, reason: 'WebAssembly SIMD (XNNPACK)' }
  } catch (error) {
    return { id: 'wasm', available: false, reason: `failed to load: ${firstLineOf(error)}` }
  }
}

/**
 * webgpu's probe, unless another backend is forced: then nothing of Dawn or the GPU driver is
 * touched (a user forcing wasm may be avoiding a bad driver; the gradient workers force wasm).
 */
function startWebGpuProbe(preference: BackendPreference): Promise<BackendProbe> {
  if (preference === 'auto' || preference === 'webgpu') return probeWebGpu()
  return Promise.resolve({ id: 'webgpu', available: false, reason: `not probed because ${preference} was forced` })
}

/**
 * Probes every backend as far as is safe in one process, in preference order. When a backend is
 * forced, the tensorflow bindings that were not asked for are not loaded at all. webgpu's probe
 * runs in a child process (probeWebGpu.ts) while the bindings load here.
 */
export async function probeBackends(preference: BackendPreference): Promise<BackendProbe[]> {
  const webgpu = startWebGpuProbe(preference)
  const found = new Map<BackendId, BackendProbe>()
  let loaded: BackendId | null = null
  for (const id of ['tfjs-node-gpu', 'tfjs-node'] as const) {
    if (preference !== 'auto' && preference !== id) {
      found.set(id, { id, available: false, reason: isInstalled(PACKAGE_OF[id]) ? `installed; not loaded because ${preference} was forced` : 'not installed' })
      continue
    }
    const probe = await probeTensorflow(id, loaded)
    if (probe.available) loaded = id
    found.set(id, probe)
  }
  found.set('wasm', await probeWasm())
  found.set('cpu', { id: 'cpu', available: true, reason: 'plain JavaScript (slowest)' })
  found.set('webgpu', await webgpu)
  return BACKEND_IDS.flatMap((id) => found.get(id) ?? [])
}
