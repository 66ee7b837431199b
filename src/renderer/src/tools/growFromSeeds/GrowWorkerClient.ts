/**
 * The page's side of the grow-from-seeds worker: one job at a time. A new job supersedes the one in
 * flight (the user painted more seeds): the old worker is terminated rather than left computing an
 * answer nobody will look at, and its promise rejects with CANCELLED.
 */
import { deserializeError, VoxloopError } from '../../../../shared/errors'
import type { GrowRequest, GrowResult } from './kernel'
import type { GrowJob, GrowReply } from './protocol'

export interface GrowOutcome {
  result: GrowResult
  /** Time the kernel took inside the worker. */
  milliseconds: number
}

/** Runs a request somewhere (the worker in the app; the kernel directly in unit tests). */
export type GrowRunner = (request: GrowRequest) => Promise<GrowOutcome>

export class GrowWorkerClient {
  private worker: Worker | null = null
  private nextId = 1
  private pending: { id: number; resolve(outcome: GrowOutcome): void; reject(error: Error): void } | null = null

  /** The runner function the session takes. */
  readonly run: GrowRunner = (request) => this.submit(request)

  private submit(request: GrowRequest): Promise<GrowOutcome> {
    if (this.pending) this.cancel()
    const worker = this.ensureWorker()
    const id = this.nextId++
    return new Promise<GrowOutcome>((resolve, reject) => {
      this.pending = { id, resolve, reject }
      const job: GrowJob = { id, request }
      // The cropped image goes over without a copy; the page built it for this job only.
      worker.postMessage(job, [request.image.buffer as ArrayBuffer])
    })
  }

  /** Stops the job in flight, if any (its promise rejects with CANCELLED). */
  cancel(): void {
    const pending = this.pending
    if (!pending) return
    this.pending = null
    this.worker?.terminate()
    this.worker = null
    pending.reject(new VoxloopError('CANCELLED', 'grow from seeds was superseded or cancelled'))
  }

  dispose(): void {
    this.cancel()
    this.worker?.terminate()
    this.worker = null
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(new URL('./grow.worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (event: MessageEvent<GrowReply>) => {
      const reply = event.data
      const pending = this.pending
      if (!pending || pending.id !== reply.id) return
      this.pending = null
      if (reply.ok) pending.resolve({ result: reply.result, milliseconds: reply.milliseconds })
      else pending.reject(deserializeError(reply.error))
    }
    worker.onerror = (event: ErrorEvent) => {
      const pending = this.pending
      this.pending = null
      this.worker?.terminate()
      this.worker = null
      pending?.reject(new VoxloopError('INTERNAL', `the grow-from-seeds worker failed: ${event.message || 'no message'}`))
    }
    this.worker = worker
    return worker
  }
}
