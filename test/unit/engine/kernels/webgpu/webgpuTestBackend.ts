/**
 * The 'webgpu' backend for the WGSL kernel tests, through the engine's own Dawn setup
 * (src/engine/backends/webgpu/dawn.ts). On a machine without a GPU, SwiftShader's Vulkan driver
 * from Debian's chromium package stands in (CPU emulation: slow, exact): its ICD is chosen here for
 * this process when nothing else is configured, before Dawn loads, so that `npm test` and CI run
 * these tests with no environment of their own.
 */
import { existsSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { dawnGpu, loadDawn, registerWebGpuBackend, requestAdapter } from '../../../../../src/engine/backends/webgpu/dawn'
import { registerWebGpuKernels } from '../../../../../src/engine/kernels/webgpu'

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

/** null when the webgpu backend is active with our kernels, else why the tests cannot run. */
export async function setUpWebGpu(): Promise<string | null> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
  // Vulkan loaders and Dawn warn (or fail on some drivers) without a runtime directory.
  process.env.XDG_RUNTIME_DIR ??= '/tmp'
  const dawn = loadDawn()
  if (!dawn.ok) return `webgpu: ${dawn.reason}`
  let adapter: GPUAdapter | null
  try {
    adapter = await requestAdapter(dawnGpu(dawn.module))
  } catch (error) {
    return `webgpu: no adapter (${error instanceof Error ? error.message : String(error)})`
  }
  if (!adapter) return `webgpu: no adapter (no Vulkan/D3D12/Metal driver; install chromium for SwiftShader's ${SWIFTSHADER_ICD})`
  registerWebGpuBackend(adapter)
  if (!(await tf.setBackend('webgpu'))) return 'webgpu: the backend failed to initialise'
  await tf.ready()
  registerWebGpuKernels()
  return null
}

/** Runs `body` on `backend`, then switches back to webgpu. */
export async function onBackend<T>(backend: string, body: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend)
  try {
    return await body()
  } finally {
    await tf.setBackend('webgpu')
  }
}
