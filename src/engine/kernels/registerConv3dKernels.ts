import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { registerConv3dBackpropInputGradient } from './conv3dBackpropInputGradient'
import { conv3dWasmKernelConfigs } from './conv3dWasmKernels'
import type { TileOptions } from './tilePlan'

export type Conv3dKernelBackend = 'wasm' | 'cpu'

const CONV3D_KERNELS = [tf.Conv3D, tf.Conv3DBackpropFilterV2, tf.Conv3DBackpropInputV2] as const

interface Registration {
  optionsKey: string
  ours: KernelConfig[]
  /** The stock configs we replaced, to put back in `unregisterConv3dKernels`. */
  stock: KernelConfig[]
}

const registrations = new Map<Conv3dKernelBackend, Registration>()

function optionsKey(options: TileOptions): string {
  return JSON.stringify({ maxIm2colBytes: options.maxIm2colBytes ?? null, im2col: options.im2col ?? 'native' })
}

function stillOurs(registration: Registration): boolean {
  return registration.ours.every((config) => tf.getKernel(config.kernelName, config.backendName)?.kernelFunc === config.kernelFunc)
}

/**
 * Makes Conv3D and its two gradients on `backendName` use this project's kernels, and registers the
 * missing gradient of Conv3DBackpropInputV2 (so conv3dTranspose trains). Idempotent: a repeated call
 * with the same options changes nothing; one with other options swaps in kernels built with them.
 *
 * - 'wasm': im2col + XNNPACK BatchMatMul kernels: on the reference U-Net, 5–45× the stock forward
 *   and ~10× a training step's convolutions, and correct where the stock gradients are not (input
 *   gradient at any stride, filter gradient at stride > 1). Load @tensorflow/tfjs-backend-wasm
 *   first: importing it later would re-register its stock kernels over ours.
 * - 'cpu': only the gradient. The stock cpu kernels are correct, and im2col cannot beat them there
 *   because the cpu backend's matmul is no faster than its Conv3D (docs/KERNELS.md has the numbers).
 */
export function registerConv3dKernels(backendName: Conv3dKernelBackend, options: TileOptions = {}): void {
  registerConv3dBackpropInputGradient()
  if (backendName === 'cpu') return

  const key = optionsKey(options)
  const current = registrations.get(backendName)
  if (current && current.optionsKey === key && stillOurs(current)) return

  const stock = current && stillOurs(current) ? current.stock : stockConfigs(backendName)
  const ours = conv3dWasmKernelConfigs(options)
  for (const config of ours) {
    tf.unregisterKernel(config.kernelName, config.backendName)
    tf.registerKernel(config)
  }
  registrations.set(backendName, { optionsKey: key, ours, stock })
}

function stockConfigs(backendName: Conv3dKernelBackend): KernelConfig[] {
  return CONV3D_KERNELS.map((kernelName) => {
    const config = tf.getKernel(kernelName, backendName) as KernelConfig | undefined
    if (!config) {
      throw new VoxloopError(
        'BACKEND_UNAVAILABLE',
        `No stock ${kernelName} kernel for ${backendName}: load @tensorflow/tfjs-backend-${backendName} before registering Conv3D kernels`
      )
    }
    return config
  })
}

/** Puts the stock kernels back (benchmarks and tests compare both on one backend). */
export function unregisterConv3dKernels(backendName: Conv3dKernelBackend): void {
  const current = registrations.get(backendName)
  if (!current) return
  registrations.delete(backendName)
  if (!stillOurs(current)) return
  for (const config of current.stock) {
    tf.unregisterKernel(config.kernelName, config.backendName)
    tf.registerKernel(config)
  }
}

/** Whether this project's kernels currently serve Conv3D on `backendName`. */
export function conv3dKernelsRegistered(backendName: Conv3dKernelBackend): boolean {
  const current = registrations.get(backendName)
  return current !== undefined && stillOurs(current)
}
