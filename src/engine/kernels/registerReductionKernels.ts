import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { REDUCTION_KERNELS, reductionWasmKernelConfigs } from './reductionWasmKernels'

export type ReductionKernelBackend = 'wasm'

interface Registration {
  ours: KernelConfig[]
  /** The stock configs we replaced: the fallbacks, and what `unregisterReductionKernels` puts back. */
  stock: KernelConfig[]
}

const registrations = new Map<ReductionKernelBackend, Registration>()
/** Our kernel functions → the stock config each one replaced, so a re-registration never wraps ours. */
const replaced = new WeakMap<KernelConfig['kernelFunc'], KernelConfig>()

function stillOurs(registration: Registration): boolean {
  return registration.ours.every((config) => tf.getKernel(config.kernelName, config.backendName)?.kernelFunc === config.kernelFunc)
}

function stockConfigs(backendName: ReductionKernelBackend): KernelConfig[] {
  return REDUCTION_KERNELS.map((kernelName) => {
    const registered = tf.getKernel(kernelName, backendName) as KernelConfig | undefined
    const config = registered ? (replaced.get(registered.kernelFunc) ?? registered) : undefined
    if (!config) {
      throw new VoxloopError(
        'BACKEND_UNAVAILABLE',
        `No stock ${kernelName} kernel for ${backendName}: load @tensorflow/tfjs-backend-${backendName} before registering the reduction kernels`
      )
    }
    return config
  })
}

/**
 * Makes Sum, Mean, Transpose, Slice, SplitV, Concat and the broadcasting Add/Sub/Multiply/RealDiv/
 * SquaredDifference on wasm use this project's kernels (reductionWasmKernels.ts): the same results,
 * without the stock kernels' per-element rank-5 paths. On the default U-Net's 32³ training step they
 * took ~1 s of ~1.9 s (Sum alone 0.93 s); docs/KERNELS.md has the numbers. Idempotent. Each kernel
 * keeps the stock one as its fallback (other dtypes, shapes its fast path does not cover) and its
 * setupFunc, so registering before the backend initialises works too.
 */
export function registerReductionKernels(backendName: ReductionKernelBackend): void {
  const current = registrations.get(backendName)
  if (current && stillOurs(current)) return
  const stock = stockConfigs(backendName)
  const ours = reductionWasmKernelConfigs(new Map(stock.map((config) => [config.kernelName, config])))
  for (const config of ours) {
    const original = stock.find((candidate) => candidate.kernelName === config.kernelName)
    if (original) replaced.set(config.kernelFunc, original)
    tf.unregisterKernel(config.kernelName, config.backendName)
    tf.registerKernel(config)
  }
  registrations.set(backendName, { ours, stock })
}

/** Puts the stock kernels back (benchmarks and tests compare both on one backend). */
export function unregisterReductionKernels(backendName: ReductionKernelBackend): void {
  const current = registrations.get(backendName)
  if (!current) return
  registrations.delete(backendName)
  if (!stillOurs(current)) return
  for (const config of current.stock) {
    tf.unregisterKernel(config.kernelName, config.backendName)
    tf.registerKernel(config)
  }
}

/** Whether this project's kernels currently serve Sum (and the rest) on `backendName`. */
export function reductionKernelsRegistered(backendName: ReductionKernelBackend): boolean {
  const current = registrations.get(backendName)
  return current !== undefined && stillOurs(current)
}
