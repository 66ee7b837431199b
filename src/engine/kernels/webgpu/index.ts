/**
 * Our kernels for tfjs's 'webgpu' backend (issue #16): tiled WGSL Conv3D, its input gradient as a
 * forward conv of the flipped filter, a split-K filter gradient, and the rank-5 fixes the project's
 * models need on tfjs-backend-webgpu 4.22. See docs/KERNELS.md ("WGSL kernels").
 */
import * as tf from '@tensorflow/tfjs'
import { registerConv3dBackpropInputGradient } from '../conv3dBackpropInputGradient'
import { createKernelOverrides } from '../kernelOverrides'
import { conv3dWebGpuKernelConfigs } from './conv3dWebGpuKernels'
import { RANK5_FIXED_KERNELS, rank5KernelConfigs } from './rank5Kernels'

const CONV3D_KERNELS = [tf.Conv3D, tf.Conv3DBackpropFilterV2, tf.Conv3DBackpropInputV2] as const

const overrides = createKernelOverrides<'webgpu'>([...CONV3D_KERNELS, ...RANK5_FIXED_KERNELS], 'WGSL kernels')

/**
 * Makes the 'webgpu' backend use our Conv3D kernels and rank-5 fixes, and registers the gradient
 * tfjs lacks for Conv3DBackpropInputV2 (conv3dTranspose). Idempotent. Register the webgpu backend
 * (src/engine/backends/webgpu/dawn.ts, registerWebGpuBackend) and import tfjs-backend-webgpu first:
 * it brings the stock kernels that ours wrap or fall back to.
 */
export function registerWebGpuKernels(): void {
  registerConv3dBackpropInputGradient()
  overrides.register('webgpu', 'v1', (stock) => {
    const conv = stock.filter((config) => (CONV3D_KERNELS as readonly string[]).includes(config.kernelName))
    const rank5 = stock.filter((config) => !(CONV3D_KERNELS as readonly string[]).includes(config.kernelName))
    return [...conv3dWebGpuKernelConfigs(conv), ...rank5KernelConfigs(rank5)]
  })
}

/** Puts the stock webgpu kernels back (tests and benchmarks compare both). */
export function unregisterWebGpuKernels(): void {
  overrides.unregister('webgpu')
}

/** Whether our kernels currently serve 'webgpu'. */
export function webGpuKernelsRegistered(): boolean {
  return overrides.registered('webgpu')
}

export { conv3dForwardWebGpu, conv3dBackpropInputWebGpu, conv3dBackpropFilterWebGpu } from './conv3dWebGpuKernels'
