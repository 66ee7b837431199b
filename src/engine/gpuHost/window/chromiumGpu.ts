/**
 * The GPU window's device for serveGpuHost: Chromium's own WebGPU (navigator.gpu) under
 * TensorFlow.js's webgpu backend, with the engine's WGSL kernels and rank-5 fixes registered as the
 * engine registers them on Dawn (activateBackend.ts). In a browser, unlike Node, tfjs-backend-webgpu
 * requests the adapter and device itself; GPU errors are events here too, kept for takeErrors.
 */
import * as tf from '@tensorflow/tfjs'
// Registers tfjs's 'webgpu' backend factory (navigator.gpu exists in this window).
import '@tensorflow/tfjs-backend-webgpu'
import { summarizeAdapterInfo, type AdapterInfo } from '../../backends/webgpu/adapterSummary'
import type { GpuHostDevice } from '../../gpuHost/serveGpuHost'
// By path, not the kernels' index: that also brings the wasm kernels, which this page never runs.
import { registerConv3dBackpropInputGradient } from '../../kernels/conv3dBackpropInputGradient'
import { registerWebGpuKernels } from '../../kernels/webgpu'

const errors: string[] = []

function gpuOf(): GPU | undefined {
  return (navigator as Navigator & { gpu?: GPU }).gpu
}

export const chromiumGpu: GpuHostDevice = {
  async probe() {
    const gpu = gpuOf()
    if (!gpu) return { adapter: null, reason: "Chromium's WebGPU is off in this window (navigator.gpu is missing; on Linux it needs --enable-unsafe-webgpu and a Vulkan driver)" }
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
    if (!adapter) return { adapter: null, reason: 'Chromium found no GPU adapter it can use (no driver it accepts, or the GPU is on its blocklist)' }
    const info = (adapter as GPUAdapter & { info?: Partial<AdapterInfo> }).info ?? {}
    const summary = summarizeAdapterInfo(
      {
        vendor: info.vendor ?? '',
        architecture: info.architecture ?? '',
        device: info.device ?? '',
        description: info.description ?? '',
        isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter
      },
      adapter.limits.maxBufferSize
    )
    return { adapter: summary, reason: `found ${summary.name}` }
  },

  async activate() {
    if (!(await tf.setBackend('webgpu'))) throw new Error("TensorFlow.js could not start its webgpu backend on Chromium's adapter")
    await tf.ready()
    const device = (tf.backend() as tf.KernelBackend & { device: GPUDevice }).device
    device.addEventListener('uncapturederror', (event) => errors.push((event as GPUUncapturedErrorEvent).error.message))
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') errors.push(`the GPU device was lost: ${info.message || info.reason}`)
    })
    registerConv3dBackpropInputGradient()
    registerWebGpuKernels()
  },

  takeErrors: () => errors.splice(0, errors.length)
}
