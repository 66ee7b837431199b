/**
 * A WebGPU adapter in a few fields for the backend report: from Dawn in Node (dawn.ts, probeWebGpu.ts)
 * or from Chromium's navigator.gpu in the desktop app's GPU window (gpuHost/window/). Free of Node.
 */
import type { GpuAdapterSummary } from '../../../shared/backends'

/**
 * GPUAdapter.info and isFallbackAdapter, which Dawn has and the @webgpu/types that tfjs-backend-webgpu
 * 4.22 brings (0.1.38) predate.
 */
export interface AdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  isFallbackAdapter?: boolean
}

/** The summary from the adapter's info and limit alone: also for an adapter seen in another process (probeWebGpu.ts). */
export function summarizeAdapterInfo(info: AdapterInfo, maxBufferSize: number): GpuAdapterSummary {
  const fallback = info.isFallbackAdapter === true
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter'
  // Dawn marks SwiftShader as the fallback adapter; WARP and llvmpipe-like drivers by name.
  const software = fallback || /swiftshader|llvmpipe|lavapipe|warp|software/i.test(`${name} ${info.architecture} ${info.device}`)
  return { name, vendor: info.vendor, architecture: info.architecture, software, maxBufferBytes: maxBufferSize }
}

