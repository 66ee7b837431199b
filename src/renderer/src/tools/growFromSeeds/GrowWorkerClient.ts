/**
 * The page's side of the grow-from-seeds workers: one job at a time, on one worker or, for a big box
 * on a machine with two cores or more, on two (protocol.ts splits it and swaps the shared plane). The
 * workers are kept between jobs. A new job supersedes the one in flight (the user painted more
 * seeds): its workers are terminated rather than left computing an answer nobody will look at, and
 * its promise rejects with CANCELLED.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { GrowRequest } from './kernel'
import { runGrowOnWorkers, type GrowMessage, type GrowOutcome, type GrowPort, type GrowReply } from './protocol'

export type { GrowOutcome } from './protocol'

/** Runs a request somewhere (the workers in the app; the kernel directly in unit tests). */
export type GrowRunner = (request: GrowRequest) => Promise<GrowOutcome>

export interface GrowWorkerClientOptions {
  /** Cores to plan for (default `navigator.hardwareConcurrency`): under 2, one worker. */
  cores?: number
  /** Smallest box split over two workers (default `PARALLEL_MIN_VOXELS`). */
  minParallelVoxels?: number
}

const WORKER_COUNT = 2

interface Waiting {
  id: number
  resolve(reply: GrowReply): void
  reject(error: Error): void
}

export class GrowWorkerClient {
  private readonly workers: Array<Worker | null> = Array.from({ length: WORKER_COUNT }, () => null)
  /** Per worker, the message awaiting its reply. */
  private readonly waiting: Array<Waiting | null> = Array.from({ length: WORKER_COUNT }, () => null)
  private readonly ports: readonly [GrowPort, GrowPort] = [(message, transfer) => this.send(0, message, transfer), (message, transfer) => this.send(1, message, transfer)]
  private nextId = 1
  /** The job in flight. */
  private job: number | null = null

  /** The runner function the session takes. */
  readonly run: GrowRunner = (request) => this.submit(request)

  constructor(private readonly options: GrowWorkerClientOptions = {}) {}

  private async submit(request: GrowRequest): Promise<GrowOutcome> {
    if (this.job !== null) this.cancel()
    const id = this.nextId++
    this.job = id
    try {
      const cores = this.options.cores ?? globalThis.navigator?.hardwareConcurrency ?? 1
      return await runGrowOnWorkers(request, this.ports, id, { cores, minParallelVoxels: this.options.minParallelVoxels })
    } finally {
      if (this.job === id) {
        this.job = null
        // A job that failed on one worker may leave the other computing for nobody: stop it.
        for (let w = 0; w < WORKER_COUNT; w++) if (this.waiting[w]?.id === id) this.stopWorker(w)
      }
    }
  }

  /** Stops the job in flight, if any (its promise rejects with CANCELLED). */
  cancel(): void {
    if (this.job === null) return
    this.job = null
    this.stopAll(new VoxloopError('CANCELLED', 'grow from seeds was superseded or cancelled'))
  }

  dispose(): void {
    this.cancel()
    this.stopAll(new VoxloopError('CANCELLED', 'grow from seeds was closed'))
  }

  /** Terminates every worker (their state is the job's) and fails whatever awaits them. */
  private stopAll(error: Error): void {
    for (let w = 0; w < WORKER_COUNT; w++) this.stopWorker(w, error)
  }

  private stopWorker(w: number, error: Error = new VoxloopError('CANCELLED', 'grow from seeds was stopped')): void {
    this.workers[w]?.terminate()
    this.workers[w] = null
    const waiting = this.waiting[w]
    this.waiting[w] = null
    waiting?.reject(error)
  }

  private send(w: number, message: GrowMessage, transfer: ArrayBuffer[]): Promise<GrowReply> {
    if (this.job !== message.id) return Promise.reject(new VoxloopError('CANCELLED', 'grow from seeds was superseded or cancelled'))
    const worker = this.ensureWorker(w)
    return new Promise<GrowReply>((resolve, reject) => {
      this.waiting[w] = { id: message.id, resolve, reject }
      worker.postMessage(message, transfer)
    })
  }

  private ensureWorker(w: number): Worker {
    const existing = this.workers[w]
    if (existing) return existing
    const worker = new Worker(new URL('./grow.worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (event: MessageEvent<GrowReply>) => {
      const waiting = this.waiting[w]
      if (!waiting || waiting.id !== event.data.id) return
      this.waiting[w] = null
      waiting.resolve(event.data)
    }
    worker.onerror = (event: ErrorEvent) => {
      // The worker's state is gone with it, and the other's is half of the same job: start afresh.
      this.job = null
      this.stopAll(new VoxloopError('INTERNAL', `grow-from-seeds worker ${w + 1} of ${WORKER_COUNT} failed: ${event.message || 'no message'}`))
    }
    this.workers[w] = worker
    return worker
  }
}
