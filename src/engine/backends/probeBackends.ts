import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { BackendId, BackendPreference, BackendProbe } from '../../shared/backends'
import { firstLineOf } from '../../shared/errors'
import { findNvidiaGpus } from '../../node/nvidiaSmi'

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
 * Probes every backend as far as is safe in one process. When a backend is forced, the tensorflow
 * bindings that were not asked for are not loaded at all.
 */
export async function probeBackends(preference: BackendPreference): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = []
  let loaded: BackendId | null = null
  for (const id of ['tfjs-node-gpu', 'tfjs-node'] as const) {
    if (preference !== 'auto' && preference !== id) {
      probes.push({ id, available: false, reason: isInstalled(PACKAGE_OF[id]) ? `installed; not loaded because ${preference} was forced` : 'not installed' })
      continue
    }
    const probe = await probeTensorflow(id, loaded)
    if (probe.available) loaded = id
    probes.push(probe)
  }
  probes.push(await probeWasm())
  probes.push({ id: 'cpu', available: true, reason: 'plain JavaScript (slowest)' })
  return probes
}
