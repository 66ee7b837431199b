/**
 * The webgpu backend for tests (issue #16): Dawn and the machine's adapter, registered as tfjs's
 * 'webgpu' backend (dawn.ts), or why there is none, for the skip note. On a machine without a GPU,
 * SwiftShader's Vulkan driver is one (slow, exact): VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import * as tf from '@tensorflow/tfjs'
import { dawnGpu, loadDawn, registerWebGpuBackend, requestAdapter } from '../../src/engine/backends/webgpu/dawn'

export type WebGpuForTests = { reason: null; adapter: GPUAdapter } | { reason: string; adapter: null }

const NO_GPU_HINT = 'on a machine without a GPU, run with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json'

/** Registers 'webgpu' on the machine's adapter (does not switch to it). */
export async function webGpuForTests(): Promise<WebGpuForTests> {
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
