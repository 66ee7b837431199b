import { createKernelOverrides } from './kernelOverrides'
import { REDUCTION_KERNELS, reductionWasmKernelConfigs } from './reductionWasmKernels'

export type ReductionKernelBackend = 'wasm'

const overrides = createKernelOverrides<ReductionKernelBackend>(REDUCTION_KERNELS, 'the reduction kernels')

/**
 * Makes Sum, Mean, Transpose, Slice, SplitV, Concat and the broadcasting Add/Sub/Multiply/RealDiv/
 * SquaredDifference on wasm use this project's kernels (reductionWasmKernels.ts): the same results,
 * without the stock kernels' per-element rank-5 paths. On the default U-Net's 32³ training step they
 * took ~1 s of ~1.9 s (Sum alone 0.93 s); docs/KERNELS.md has the numbers. Idempotent. Each kernel
 * keeps the stock one as its fallback (other dtypes, shapes its fast path does not cover) and its
 * setupFunc, so registering before the backend initialises works too.
 */
export function registerReductionKernels(backendName: ReductionKernelBackend): void {
  overrides.register(backendName, '', (stock) => reductionWasmKernelConfigs(new Map(stock.map((config) => [config.kernelName, config]))))
}

/** Puts the stock kernels back (benchmarks and tests compare both on one backend). */
export function unregisterReductionKernels(backendName: ReductionKernelBackend): void {
  overrides.unregister(backendName)
}

/** Whether this project's kernels currently serve Sum (and the rest) on `backendName`. */
export function reductionKernelsRegistered(backendName: ReductionKernelBackend): boolean {
  return overrides.registered(backendName)
}
