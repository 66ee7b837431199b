/**
 * TensorFlow.js's WebGPU backend on Dawn for Node (the npm package `webgpu`, an optional dependency):
 * the GPU route that needs no CUDA, on any vendor's Vulkan, D3D12 or Metal driver (issue #16).
 *
 * What it takes (measured on ../shared/tools/webgpu-prototype/, tfjs-backend-webgpu 4.22.0):
 * - Dawn's WebGPU constants (GPUBufferUsage, GPUMapMode, …) as globals: the backend names them bare;
 * - `navigator.gpu`: the backend registers itself at import only if it exists, and its constructor
 *   checks it again. Node 20 has no `navigator`; Node ≥ 21 has a read-only one we add `gpu` to;
 * - synchronous reads (dataSync, arraySync) go through OffscreenCanvas in the browser build and fail
 *   in Node with "OffscreenCanvas is not defined": they are replaced by an error that says what to
 *   use instead, so a missed one is found by the tests rather than returning garbage;
 * - GPU errors (invalid WGSL, out of memory, a lost device) are not exceptions: Dawn reports them as
 *   'uncapturederror' events while the op returns zeros or NaN. They are kept (`takeGpuErrors`) so
 *   that a step can fail with the message (see gpuErrors.ts beside it).
 *
 * Everything is loaded at run time by name, so a missing package or Vulkan loader is a probe result
 * ("not available: …"), not a start-up failure.
 */
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import type { GpuAdapterSummary } from '../../../shared/backends'
import { firstLineOf } from '../../../shared/errors'
import { summarizeAdapterInfo, type AdapterInfo } from './adapterSummary'

const requireAtRuntime = createRequire(import.meta.url)

/** What the chosen adapter is: the shared schema's type, since the report crosses IPC and HTTP. */
export type { GpuAdapterSummary }

interface DawnModule {
  create(options: string[]): GPU
  globals: Record<string, unknown>
}

interface WebGpuBackendModule {
  WebGPUBackend: new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => tf.KernelBackend & { device: GPUDevice; readSync(dataId: object): unknown }
}

const infoOf = (adapter: GPUAdapter): AdapterInfo => (adapter as GPUAdapter & { info: AdapterInfo }).info

/** globalThis as Node and Electron have it: `navigator` absent (Node 20) or without `gpu`. */
const globalScope = globalThis as unknown as Record<string, unknown> & { navigator?: object }

let dawn: { gpu: GPU } | null = null

/** The Dawn module, or why it cannot load (not installed, no prebuilt binary for this platform, an old glibc). */
export function loadDawn(): { ok: true; module: DawnModule } | { ok: false; reason: string } {
  try {
    requireAtRuntime.resolve('webgpu/package.json')
  } catch {
    return { ok: false, reason: "not installed (the optional package 'webgpu' is missing)" }
  }
  try {
    return { ok: true, module: requireAtRuntime('webgpu') as DawnModule }
  } catch (error) {
    return { ok: false, reason: `the 'webgpu' package failed to load: ${firstLineOf(error)}` }
  }
}

/** Dawn's GPU object, created once per process, with the globals the tfjs backend expects. */
export function dawnGpu(module: DawnModule): GPU {
  if (dawn) return dawn.gpu
  for (const [key, value] of Object.entries(module.globals)) if (!(key in globalScope)) globalScope[key] = value
  const gpu = module.create([])
  if (globalScope.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true })
  Object.defineProperty(globalScope.navigator, 'gpu', { value: gpu, configurable: true, writable: true })
  dawn = { gpu }
  return gpu
}

export function summarizeAdapter(adapter: GPUAdapter): GpuAdapterSummary {
  return summarizeAdapterInfo(infoOf(adapter), adapter.limits.maxBufferSize)
}

/** The high-performance adapter, or null when the platform has none (no driver, no Vulkan loader). */
export async function requestAdapter(gpu: GPU, timeoutMs = 15_000): Promise<GPUAdapter | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the GPU driver in ${timeoutMs / 1000} s`)), timeoutMs)
  })
  try {
    return await Promise.race([gpu.requestAdapter({ powerPreference: 'high-performance' }), timeout])
  } finally {
    clearTimeout(timer)
  }
}

const gpuErrors: string[] = []

/** The GPU errors reported since the last call (and forgets them). */
export function takeGpuErrors(): string[] {
  return gpuErrors.splice(0, gpuErrors.length)
}

/**
 * Registers tfjs's 'webgpu' backend on this adapter (as tfjs-backend-webgpu's own base.ts would in a
 * browser) with the device limits the adapter allows, and the Node fixes above. Does not switch to it.
 */
export function registerWebGpuBackend(adapter: GPUAdapter): void {
  // By name at run time, as the wasm backend (probeBackends.ts): the same tfjs-core instance as ours.
  const { WebGPUBackend } = requireAtRuntime('@tensorflow/tfjs-backend-webgpu') as WebGpuBackendModule
  // The import registers a factory of its own when navigator.gpu exists, and an earlier call left
  // ours: either is replaced, so the adapter is the one probed and the limits are the adapter's,
  // not WebGPU's small defaults.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu')
  WebGPUBackend.prototype.readSync = function readSync(): never {
    throw new Error('the webgpu backend cannot read a tensor synchronously in Node (dataSync, arraySync): read it with await tensor.data()')
  }
  const limits = adapter.limits
  tf.registerBackend(
    'webgpu',
    async () => {
      const device = await adapter.requestDevice({
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup
        }
      })
      device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
        gpuErrors.push(event.error.message)
      }
      void device.lost.then((info) => {
        if (info.reason !== 'destroyed') gpuErrors.push(`the GPU device was lost: ${info.message || info.reason}`)
      })
      return new WebGPUBackend(device, infoOf(adapter) as unknown as GPUAdapterInfo)
    },
    // Below cpu's priority, so tfjs never picks it on its own: activateBackend chooses.
    0
  )
}

/**
 * Frees the device and Dawn's instance: Node does not exit while navigator.gpu holds it
 * (crbug.com/387965810). For tests and the CLI's end.
 */
export function shutdownWebGpu(): void {
  const backend = tf.findBackend('webgpu') as (tf.KernelBackend & { device?: GPUDevice }) | undefined
  try {
    backend?.device?.destroy()
  } catch {
    // already destroyed
  }
  if (globalScope.navigator !== undefined) Reflect.deleteProperty(globalScope.navigator, 'gpu')
  dawn = null
}
