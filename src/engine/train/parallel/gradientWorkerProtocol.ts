/**
 * Messages between the engine thread and its gradient workers (data-parallel training), and the
 * shared memory through which the workers exchange their loss statistics mid-step.
 *
 * The exchange is a barrier on a SharedArrayBuffer, not messages: it happens inside the worker's
 * gradient function (tf.variableGrads is synchronous), between the forward pass and the backward
 * pass, so the worker blocks with Atomics.wait until every shard has written its statistics.
 */
import { VoxloopError } from '../../../shared/errors'
import type { LossPlan } from '../../../shared/training'
import { statisticsLength } from '../shardedLoss'

export const GRADIENT_WORKER_ROLE = 'voxloop-gradient-worker'

export interface GradientWorkerData {
  role: typeof GRADIENT_WORKER_ROLE
  index: number
  /** Threads of this worker's wasm backend (1: the plain build). */
  threads: number
  /** tf.LayersModel.toJSON() of the model being trained (custom layers are the engine's own). */
  modelTopology: string
  numClasses: number
  /** The run's loss (plan.loss): every worker computes its statistics and surrogate for it. */
  loss: LossPlan
  /** Workers started (the statistics buffer's records per output). */
  workers: number
  /** The model's outputs: 1, or more with deep supervision (deepSupervision.ts). */
  outputs: number
  /** The barrier's counters: Int32Array [arrived, failed]. */
  control: SharedArrayBuffer
  /** Statistics records (statisticsLength(numClasses) float64), output-major: record (output · workers + worker). */
  statistics: SharedArrayBuffer
}

export interface StepRequest {
  kind: 'step'
  /** Trainable weights in model.trainableWeights order; the worker's replica takes them before the step. */
  weights: Float32Array[]
  /** This worker's shard: [b, D, H, W, C] image and [b, D, H, W] labels. */
  image: Float32Array
  labels: Uint8Array
  shape: [number, number, number, number, number]
  /** Shards in this step (the barrier's count). */
  shards: number
}

/**
 * Prediction tiles for validation, which otherwise runs on the engine thread while the workers
 * idle (a fifth of a run at the hippocampus patch, docs/TRAINING.md "Speed on this machine").
 */
export interface PredictRequest {
  kind: 'predict'
  /** Trainable weights as in StepRequest, or null when the replica has them (no step since its last request). */
  weights: Float32Array[] | null
  /** [b, D, H, W, C] tiles. */
  image: Float32Array
  shape: [number, number, number, number, number]
}

export type GradientWorkerRequest = StepRequest | PredictRequest

export type GradientWorkerMessage =
  | { kind: 'ready' }
  | { kind: 'step'; loss: number; gradients: Float32Array[] }
  | { kind: 'predict'; probabilities: Float32Array }
  | { kind: 'failed'; message: string }

/** What a worker woken at the barrier by another's failure reports (the other's error is the cause). */
export const PARTNER_FAILED = 'another training worker failed during this step'

const ARRIVED = 0
const FAILED = 1

export interface SharedBuffers {
  control: SharedArrayBuffer
  statistics: SharedArrayBuffer
}

export function createSharedBuffers(workers: number, numClasses: number, outputs = 1): SharedBuffers {
  return {
    control: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
    statistics: new SharedArrayBuffer(outputs * workers * statisticsLength(numClasses) * Float64Array.BYTES_PER_ELEMENT)
  }
}

/** The engine thread, before posting a step: nobody has arrived, nobody failed. */
export function resetBarrier(control: SharedArrayBuffer): void {
  const counters = new Int32Array(control)
  Atomics.store(counters, ARRIVED, 0)
  Atomics.store(counters, FAILED, 0)
}

/** Wakes workers waiting at the barrier and makes them throw (a shard failed or died). */
export function failBarrier(control: SharedArrayBuffer): void {
  const counters = new Int32Array(control)
  Atomics.store(counters, FAILED, 1)
  // Changing ARRIVED too: a worker about to wait on the value it read then returns at once.
  Atomics.add(counters, ARRIVED, 1 << 20)
  Atomics.notify(counters, ARRIVED)
}

/** A worker: marks its arrival, then blocks until `shards` have arrived; throws if one failed. */
export function arriveAndWait(control: SharedArrayBuffer, shards: number): void {
  const counters = new Int32Array(control)
  Atomics.add(counters, ARRIVED, 1)
  Atomics.notify(counters, ARRIVED)
  for (;;) {
    if (Atomics.load(counters, FAILED) !== 0) throw new VoxloopError('ENGINE_FAILED', PARTNER_FAILED)
    const arrived = Atomics.load(counters, ARRIVED)
    if (arrived >= shards) return
    Atomics.wait(counters, ARRIVED, arrived)
  }
}
