import os from 'node:os'
import { VoxloopError } from '../../../shared/errors'
import { MAX_WASM_THREADS } from '../../backends/threadedWasm'

export interface TrainingWorkers {
  /** Worker threads that split each batch; 1 = the step runs on the engine thread. */
  workers: number
  /** wasm threads of each worker. */
  threadsPerWorker: number
  /** Why, in a few words (for logs and the bench report). */
  reason: string
}

/**
 * How to use the cores for training steps. wasm only: tfjs-node's libtensorflow already uses all
 * cores, and cpu is the slow reference. Splitting the batch over workers beats splitting each
 * matmul over threads (docs/KERNELS.md: 1.6× on two cores against 1.04–1.33×), so there are as
 * many workers as batch items and cores allow, and leftover cores go to each worker's threads.
 * VOXLOOP_TRAIN_WORKERS overrides the count (1 turns data parallelism off).
 */
export function chooseTrainingWorkers(backend: string, batchSize: number, cores = os.cpus().length, env: NodeJS.ProcessEnv = process.env): TrainingWorkers {
  const raw = env.VOXLOOP_TRAIN_WORKERS
  let asked: number | null = null
  if (raw !== undefined && raw !== '') {
    asked = Number(raw)
    if (!Number.isInteger(asked) || asked < 1) throw new VoxloopError('INVALID_ARGUMENT', `VOXLOOP_TRAIN_WORKERS must be a whole number ≥ 1, got "${raw}"`)
  }
  if (backend !== 'wasm') return { workers: 1, threadsPerWorker: 1, reason: `the ${backend} backend runs each step on its own` }
  const workers = Math.max(1, Math.min(asked ?? cores, batchSize, MAX_WASM_THREADS))
  if (workers === 1) {
    const why = asked === 1 ? 'VOXLOOP_TRAIN_WORKERS=1' : batchSize === 1 ? 'batch size 1' : 'one core'
    return { workers: 1, threadsPerWorker: 1, reason: `${why}: steps on the engine thread` }
  }
  const threadsPerWorker = threadsPerWorkerOf(workers, cores)
  return { workers, threadsPerWorker, reason: `${workers} workers split each batch of ${batchSize}, ${threadsPerWorker} wasm thread(s) each` }
}

/** wasm threads each of `workers` gets: the cores shared out, at least 1, at most the build's pool. */
export function threadsPerWorkerOf(workers: number, cores = os.cpus().length): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores / workers)))
}

/** Contiguous shard sizes of a batch, as even as possible (larger first). */
export function shardSizes(batchSize: number, workers: number): number[] {
  const shards = Math.min(batchSize, workers)
  const base = Math.floor(batchSize / shards)
  return Array.from({ length: shards }, (_, i) => base + (i < batchSize % shards ? 1 : 0))
}
