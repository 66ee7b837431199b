/**
 * The webgpu backend for tests (issue #16): Dawn and the machine's adapter, registered as tfjs's
 * 'webgpu' backend (dawn.ts), or why there is none, for the skip note. On a machine without a GPU,
 * SwiftShader's Vulkan driver from Debian's chromium package stands in (CPU emulation: slow,
 * exact): its ICD is chosen here for this process when nothing else is configured, before Dawn
 * loads, so that `npm test` and CI run these tests with no environment of their own.
 */
import { existsSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { dawnGpu, loadDawn, registerWebGpuBackend, requestAdapter } from '../../src/engine/backends/webgpu/dawn'

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

export type WebGpuForTests = { reason: null; adapter: GPUAdapter } | { reason: string; adapter: null }

const NO_GPU_HINT = `no Vulkan/D3D12/Metal driver; on a machine without a GPU, install chromium for SwiftShader's ${SWIFTSHADER_ICD}`

/** Registers 'webgpu' on the machine's adapter (does not switch to it). */
export async function webGpuForTests(): Promise<WebGpuForTests> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
  // Vulkan loaders and Dawn warn (or fail on some drivers) without a runtime directory.
  process.env.XDG_RUNTIME_DIR ??= '/tmp'
  const loaded = loadDawn()
  if (!loaded.ok) return { reason: `no webgpu backend: ${loaded.reason}`, adapter: null }
  let adapter: GPUAdapter | null
  try {
    adapter = await requestAdapter(dawnGpu(loaded.module))
  } catch (error) {
    return { reason: `no WebGPU adapter (${error instanceof Error ? error.message : String(error)}); ${NO_GPU_HINT}`, adapter: null }
  }
  if (!adapter) return { reason: `no WebGPU adapter; ${NO_GPU_HINT}`, adapter: null }
  registerWebGpuBackend(adapter)
  return { reason: null, adapter }
}

/** The device of tfjs's current backend, which must be 'webgpu'. */
export function webGpuDevice(): GPUDevice {
  if (tf.getBackend() !== 'webgpu') throw new Error(`the backend is ${tf.getBackend()}, not webgpu`)
  return (tf.backend() as tf.KernelBackend & { device: GPUDevice }).device
}

/**
 * Makes a real validation error on the device, as a broken shader or a bad allocation would: a
 * buffer that is both mappable for reading and storage, which WebGPU forbids. Dawn reports it as
 * an uncaptured error (no exception), as it does the GPU errors of tfjs's kernels.
 */
export function makeGpuValidationError(device: GPUDevice): void {
  device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE })
}
