import { VoxloopError } from '../../shared/errors'

/** Hard ceiling on one scratch buffer (an im2col tile, a padded slab): the wasm heap tops out at 4 GiB for everything. */
export const MAX_SCRATCH_BYTES = 64 * 2 ** 20

/**
 * Default scratch budget. Smaller than the ceiling on purpose: an im2col tile that fits in the
 * last-level cache is written by the im2col loop and read by the matmul while still hot. With the
 * native im2col, 8 MiB beat 4 MiB and smaller budgets on the reference U-Net step; 32–64 MiB lost
 * (docs/KERNELS.md). The direct kernels' padded slab of a 32³ U-Net layer fits well within it.
 */
export const DEFAULT_SCRATCH_BYTES = 8 * 2 ** 20

/**
 * The wasm thread count up to which 'auto' runs stride-1 convolutions directly: the direct kernels
 * use one thread, and on one thread they beat im2col + XNNPACK on two threads on every 32³ and 16³
 * layer of the reference U-Net (docs/KERNELS.md). With more threads the parallel matmul is
 * expected to win; that was not measurable on the two-core machines here.
 */
export const DIRECT_MAX_THREADS = 2

export interface Conv3dKernelOptions {
  /**
   * Bytes allowed for one scratch buffer (float32): an im2col tile (runs of consecutive output
   * positions in NDHW order, so tiny budgets, as in tests, cut mid-row; at least one row per tile)
   * or a padded input slab of the direct kernels (at least one output plane per slab). Default
   * DEFAULT_SCRATCH_BYTES, at most MAX_SCRATCH_BYTES.
   */
  maxScratchBytes?: number
  /**
   * Who fills the column matrix on wasm: 'native' (native/im2col.c on the wasm heap; the default
   * wherever the backend exposes its memory) or 'js' (im2col.ts; the reference, and the fallback,
   * which also turns the native direct kernels off).
   */
  im2col?: 'native' | 'js'
  /**
   * How a stride-1, non-pointwise convolution with a multiple of 4 output channels runs on wasm:
   * 'direct' (native/conv3d_direct.c, no column matrix), 'im2col' (im2col + XNNPACK matmul), or
   * 'auto' (the default): direct while `wasmThreads` ≤ DIRECT_MAX_THREADS. Other convolutions
   * always take im2col.
   */
  conv?: 'auto' | 'direct' | 'im2col'
  /** Threads of the wasm backend the kernels run on (activateBackend's count); default 1. */
  wasmThreads?: number
}

/** The scratch budget in bytes; throws for a budget out of (0, MAX_SCRATCH_BYTES]. */
export function scratchBudget(options: Conv3dKernelOptions): number {
  const budget = options.maxScratchBytes ?? DEFAULT_SCRATCH_BYTES
  if (!Number.isFinite(budget) || budget <= 0 || budget > MAX_SCRATCH_BYTES) {
    throw new VoxloopError('INVALID_ARGUMENT', `maxScratchBytes must be in (0, ${MAX_SCRATCH_BYTES}], got ${budget}`)
  }
  return budget
}
