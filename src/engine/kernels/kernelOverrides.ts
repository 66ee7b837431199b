import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'

/**
 * The bookkeeping shared by the project's kernel sets (Conv3D, reductions): swap a set of stock
 * tfjs kernels for ours on one backend, remember the stock ones to put back, and notice when
 * someone else (a re-imported backend package) has registered over ours since.
 */
export interface KernelOverrides<B extends string> {
  /**
   * Registers `build(stock)` in place of the stock kernels. Idempotent for the same `key` (the
   * options ours were built with) while ours are still registered; another key swaps ours anew.
   */
  register(backendName: B, key: string, build: (stock: KernelConfig[]) => KernelConfig[]): void
  /** Puts the stock kernels back (benchmarks and tests compare both on one backend). */
  unregister(backendName: B): void
  /** Whether ours currently serve these kernels on `backendName`. */
  registered(backendName: B): boolean
}

interface Registration {
  key: string
  ours: KernelConfig[]
  /** The stock configs we replaced: what `unregister` puts back. */
  stock: KernelConfig[]
}

/** `what` names the set in the error for a backend whose stock kernels are missing. */
export function createKernelOverrides<B extends string>(kernelNames: readonly string[], what: string): KernelOverrides<B> {
  const registrations = new Map<B, Registration>()
  // Our kernel functions → the stock config each replaced, so that a stock lookup made while ours
  // are registered (a re-registration with other options) never takes ours for the stock one.
  const replaced = new WeakMap<KernelConfig['kernelFunc'], KernelConfig>()

  const stillOurs = (registration: Registration): boolean =>
    registration.ours.every((config) => tf.getKernel(config.kernelName, config.backendName)?.kernelFunc === config.kernelFunc)

  const stockConfigs = (backendName: B): KernelConfig[] =>
    kernelNames.map((kernelName) => {
      const registered = tf.getKernel(kernelName, backendName) as KernelConfig | undefined
      const config = registered ? (replaced.get(registered.kernelFunc) ?? registered) : undefined
      if (!config) {
        throw new VoxloopError(
          'BACKEND_UNAVAILABLE',
          `No stock ${kernelName} kernel for ${backendName}: load @tensorflow/tfjs-backend-${backendName} before registering ${what}`
        )
      }
      return config
    })

  return {
    register(backendName, key, build) {
      const current = registrations.get(backendName)
      if (current && current.key === key && stillOurs(current)) return
      const stock = current && stillOurs(current) ? current.stock : stockConfigs(backendName)
      const ours = build(stock)
      for (const config of ours) {
        const original = stock.find((candidate) => candidate.kernelName === config.kernelName)
        if (original) replaced.set(config.kernelFunc, original)
        tf.unregisterKernel(config.kernelName, config.backendName)
        tf.registerKernel(config)
      }
      registrations.set(backendName, { key, ours, stock })
    },
    unregister(backendName) {
      const current = registrations.get(backendName)
      if (!current) return
      registrations.delete(backendName)
      if (!stillOurs(current)) return
      for (const config of current.stock) {
        tf.unregisterKernel(config.kernelName, config.backendName)
        tf.registerKernel(config)
      }
    },
    registered(backendName) {
      const current = registrations.get(backendName)
      return current !== undefined && stillOurs(current)
    }
  }
}
