import * as tf from '@tensorflow/tfjs'
import { registerConv3dBackpropInputGradient } from './conv3dBackpropInputGradient'
import { conv3dWasmKernelConfigs } from './conv3dWasmKernels'
import { createKernelOverrides } from './kernelOverrides'
import type { Conv3dKernelOptions } from './conv3dKernelOptions'

export type Conv3dKernelBackend = 'wasm' | 'cpu'

const overrides = createKernelOverrides<'wasm'>([tf.Conv3D, tf.Conv3DBackpropFilterV2, tf.Conv3DBackpropInputV2], 'Conv3D kernels')

function optionsKey(options: Conv3dKernelOptions): string {
  return JSON.stringify({
    maxScratchBytes: options.maxScratchBytes ?? null,
    im2col: options.im2col ?? 'native',
    conv: options.conv ?? 'auto',
    wasmThreads: options.wasmThreads ?? 1
  })
}

/**
 * Makes Conv3D and its two gradients on `backendName` use this project's kernels, and registers the
 * missing gradient of Conv3DBackpropInputV2 (so conv3dTranspose trains). Idempotent: a repeated call
 * with the same options changes nothing; one with other options swaps in kernels built with them.
 *
 * - 'wasm': direct kernels for stride 1 (native/conv3d_direct.c) and im2col + XNNPACK BatchMatMul
 *   kernels for the rest: on the reference U-Net, 5–45× the stock forward and ~10× a training step's
 *   convolutions with im2col alone, and correct where the stock gradients are not (input gradient at
 *   any stride, filter gradient at stride > 1). Pass the backend's thread count as `wasmThreads`. Load @tensorflow/tfjs-backend-wasm
 *   first: importing it later would re-register its stock kernels over ours.
 * - 'cpu': only the gradient. The stock cpu kernels are correct, and im2col cannot beat them there
 *   because the cpu backend's matmul is no faster than its Conv3D (docs/KERNELS.md has the numbers).
 */
export function registerConv3dKernels(backendName: Conv3dKernelBackend, options: Conv3dKernelOptions = {}): void {
  registerConv3dBackpropInputGradient()
  if (backendName === 'cpu') return
  overrides.register(backendName, optionsKey(options), () => conv3dWasmKernelConfigs(options))
}

/** Puts the stock kernels back (benchmarks and tests compare both on one backend). */
export function unregisterConv3dKernels(backendName: Conv3dKernelBackend): void {
  if (backendName === 'wasm') overrides.unregister(backendName)
}

/** Whether this project's kernels currently serve Conv3D on `backendName`. */
export function conv3dKernelsRegistered(backendName: Conv3dKernelBackend): boolean {
  return backendName === 'wasm' && overrides.registered(backendName)
}
