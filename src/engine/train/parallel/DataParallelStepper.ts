/**
 * Data-parallel training steps: the batch is split over gradient workers (worker threads, each
 * with its own wasm backend and a replica of the model), their gradients are added here in worker
 * order, and the engine thread's optimiser applies the sum, so weights, optimiser slots and
 * checkpoints live where they did with one thread. The loss is the whole batch's (batch Dice
 * included: shardedLoss.ts). Two cores: 1.6× the one-thread step (docs/KERNELS.md).
 *
 * Meanwhile the engine thread only waits, so it answers messages during a step.
 */
import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../../shared/errors'
import { DEFAULT_LOSS, type LossPlan } from '../../../shared/training'
import { checkLossClasses } from '../losses'
import { checkedOnGpu, RESUME_ON_ANOTHER_BACKEND } from '../../backends/webgpu/gpuErrors'
import type { Batch } from '../../data/BatchSampler'
import { finiteLoss, type StepModel, type TrainingStepper } from '../trainStep'
import { gradientWorkerEntry } from './gradientWorkerEntry'
import {
  createSharedBuffers,
  failBarrier,
  GRADIENT_WORKER_ROLE,
  PARTNER_FAILED,
  resetBarrier,
  type GradientWorkerData,
  type GradientWorkerMessage,
  type GradientWorkerRequest,
  type SharedBuffers,
  type StepRequest
} from './gradientWorkerProtocol'
import { shardSizes } from './trainingWorkers'

export interface DataParallelOptions {
  workers: number
  threadsPerWorker: number
  /** The run's loss (plan.loss); default DEFAULT_LOSS. Sent to every worker. */
  loss?: LossPlan
}

type StepReply = Extract<GradientWorkerMessage, { kind: 'step' }>
type Reply = Extract<GradientWorkerMessage, { kind: 'step' | 'predict' }>

interface Pending {
  resolve(reply: Reply): void
  reject(error: Error): void
}

class GradientWorker {
  private pending: Pending | null = null
  private failure: Error | null = null
  private exited = false
  readonly ready: Promise<void>

  constructor(
    private readonly worker: Worker,
    readonly index: number,
    onFailure: () => void
  ) {
    let started = false
    this.ready = new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        this.failure ??= error
        onFailure()
        if (!started) reject(error)
        const pending = this.pending
        this.pending = null
        pending?.reject(error)
      }
      worker.on('message', (message: GradientWorkerMessage) => {
        if (message.kind === 'ready') {
          started = true
          resolve()
        } else if (message.kind === 'failed') {
          fail(new VoxloopError('ENGINE_FAILED', `training worker ${index + 1}: ${message.message}`))
        } else {
          const pending = this.pending
          this.pending = null
          pending?.resolve(message)
        }
      })
      worker.on('error', (error) => fail(new VoxloopError('ENGINE_FAILED', `training worker ${index + 1} crashed: ${error.message}`, { cause: error })))
      worker.on('exit', (code) => {
        this.exited = true
        fail(new VoxloopError('ENGINE_FAILED', `training worker ${index + 1} stopped (exit code ${code})`))
      })
    })
    // A start failure is reported through `ready`; this keeps a later failure from being unhandled.
    this.ready.catch(() => undefined)
  }

  step(request: StepRequest): Promise<StepReply> {
    return this.request(request, [request.image.buffer as ArrayBuffer, request.labels.buffer as ArrayBuffer]).then((reply) => expectReply(reply, 'step', this.index))
  }

  predict(request: Extract<GradientWorkerRequest, { kind: 'predict' }>): Promise<Float32Array> {
    return this.request(request, [request.image.buffer as ArrayBuffer]).then((reply) => expectReply(reply, 'predict', this.index).probabilities)
  }

  private request(request: GradientWorkerRequest, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(request, transfer)
    })
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate()
  }
}

function expectReply<K extends Reply['kind']>(reply: Reply, kind: K, index: number): Extract<Reply, { kind: K }> {
  if (reply.kind !== kind) throw new VoxloopError('ENGINE_FAILED', `training worker ${index + 1} answered '${reply.kind}' to a '${kind}' request`)
  return reply as Extract<Reply, { kind: K }>
}

export class DataParallelStepper implements TrainingStepper {
  /** Per worker: whether its replica holds the weights the engine thread has (a prediction's request sets it, a step's update clears it). */
  private readonly replicaCurrent: boolean[]

  private constructor(
    private readonly target: StepModel,
    private readonly optimizer: tf.Optimizer,
    private readonly workers: GradientWorker[],
    private readonly shared: SharedBuffers
  ) {
    this.replicaCurrent = workers.map(() => false)
  }

  /** Starts the workers and waits until each has its backend and replica; throws if one cannot start. */
  static async start(target: StepModel, optimizer: tf.Optimizer, options: DataParallelOptions): Promise<DataParallelStepper> {
    if (options.workers < 2) throw new VoxloopError('INVALID_ARGUMENT', `data-parallel training needs ≥ 2 workers, got ${options.workers}`)
    if (target.model.nonTrainableWeights.length > 0) {
      // Replicas get the trainable weights each step; frozen or running-statistics weights would drift.
      throw new VoxloopError('INVALID_ARGUMENT', `model ${target.model.name} has non-trainable weights, which data-parallel training does not synchronise`)
    }
    const loss = options.loss ?? DEFAULT_LOSS
    checkLossClasses(loss, target.numClasses)
    const outputs = target.model.outputs.length
    const shared = createSharedBuffers(options.workers, target.numClasses, outputs)
    const entry = gradientWorkerEntry()
    const modelTopology = JSON.stringify(target.model.toJSON(null, false))
    const workers: GradientWorker[] = []
    for (let index = 0; index < options.workers; index++) {
      const workerData: GradientWorkerData = { role: GRADIENT_WORKER_ROLE, index, threads: options.threadsPerWorker, modelTopology, numClasses: target.numClasses, loss, workers: options.workers, outputs, ...shared }
      const worker = new Worker(entry.kind === 'file' ? entry.file : entry.code, {
        eval: entry.kind === 'eval',
        workerData,
        env: { ...process.env, VOXLOOP_WASM_THREADS: String(options.threadsPerWorker) }
      })
      workers.push(new GradientWorker(worker, index, () => failBarrier(shared.control)))
    }
    const stepper = new DataParallelStepper(target, optimizer, workers, shared)
    try {
      await Promise.all(workers.map((w) => w.ready))
    } catch (error) {
      await stepper.dispose()
      throw error
    }
    return stepper
  }

  /**
   * The workers run wasm, but the engine thread's optimiser runs on the run's backend: a run planned
   * with workers and resumed on webgpu keeps them, so its GPU errors fail the step too (gpuErrors.ts).
   */
  step(batch: Batch): Promise<number> {
    return checkedOnGpu({ at: `at step ${batch.step + 1}`, then: RESUME_ON_ANOTHER_BACKEND }, () => this.splitStep(batch))
  }

  private async splitStep(batch: Batch): Promise<number> {
    const [b, d, h, w, c] = batch.shape
    const imageItem = d * h * w * c
    const labelItem = d * h * w
    const weights = await this.readWeights()
    const sizes = shardSizes(b, this.workers.length)
    resetBarrier(this.shared.control)
    let start = 0
    const settled = await Promise.allSettled(
      sizes.map((size, i) => {
        const request: StepRequest = {
          kind: 'step',
          weights,
          // slice, not subarray: a posted view would carry (copy) its whole buffer.
          image: batch.image.slice(start * imageItem, (start + size) * imageItem),
          labels: batch.label.slice(start * labelItem, (start + size) * labelItem),
          shape: [size, d, h, w, c],
          shards: sizes.length
        }
        start += size
        return (this.workers[i] as GradientWorker).step(request)
      })
    )
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []))
    // Report the failure that caused the others (workers woken at the barrier only echo it).
    if (failures.length) throw failures.find((f) => !f.message.includes(PARTNER_FAILED)) ?? (failures[0] as Error)
    const replies = settled.map((r) => (r as PromiseFulfilledResult<StepReply>).value)
    const [first, ...rest] = replies as [StepReply, ...StepReply[]]
    const sums = first.gradients
    for (const reply of rest) {
      reply.gradients.forEach((gradient, v) => {
        const sum = sums[v] as Float32Array
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (gradient[i] as number)
      })
    }
    const loss = finiteLoss(first.loss, batch)
    tf.tidy(() => this.optimizer.applyGradients(this.target.variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(sums[i] as Float32Array, v.shape) }))))
    this.replicaCurrent.fill(false)
    return loss
  }

  /** The target's weights were set outside a step: every replica takes them with its next tiles. */
  weightsChanged(): void {
    this.replicaCurrent.fill(false)
  }

  /**
   * Prediction tiles [B, D, H, W, C] → probabilities [B, D, H, W, K] of the model's full-resolution
   * output, the batch split over the workers as a step's is: validation's sliding window on all
   * cores instead of the engine thread alone. The replicas take the current weights first.
   */
  readonly predictTiles = async (input: Float32Array, shape: [number, number, number, number, number]): Promise<Float32Array> => {
    const [b, d, h, w, c] = shape
    const tile = d * h * w
    const sizes = shardSizes(b, this.workers.length)
    const stale = sizes.some((_, i) => !this.replicaCurrent[i])
    const weights = stale ? await this.readWeights() : null
    let start = 0
    const parts = await Promise.all(
      sizes.map((size, i) => {
        const request = {
          kind: 'predict' as const,
          weights: this.replicaCurrent[i] ? null : weights,
          image: input.slice(start * tile * c, (start + size) * tile * c),
          shape: [size, d, h, w, c] as [number, number, number, number, number]
        }
        start += size
        return (this.workers[i] as GradientWorker).predict(request).then((part) => {
          this.replicaCurrent[i] = true
          return part
        })
      })
    )
    const expected = b * tile * this.target.numClasses
    const returned = parts.reduce((sum, part) => sum + part.length, 0)
    if (returned !== expected) throw new VoxloopError('ENGINE_FAILED', `the training workers returned ${returned} probabilities for ${b} tile(s), expected ${expected}`)
    // One shard (a single tile): its buffer is the answer, no copy.
    if (parts.length === 1) return parts[0] as Float32Array
    const probabilities = new Float32Array(expected)
    let offset = 0
    for (const part of parts) {
      probabilities.set(part, offset)
      offset += part.length
    }
    return probabilities
  }

  /** The trainable weights as the workers take them. Read with await: a backend that holds them on a GPU cannot read them synchronously. */
  private readWeights(): Promise<Float32Array[]> {
    return Promise.all(this.target.variables.map(async (v) => (await v.data()) as Float32Array))
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
