/**
 * The engine's side of gpuHostProtocol.ts: requests to a GPU host (the desktop app's hidden window)
 * over a message port, each answered once, in order. Replies are parsed like any input; a host that
 * fails a request, answers nonsense, or goes away (its window crashed or closed) fails the waiting
 * call with a VoxloopError that says which, and a GPU error becomes GPU_ERROR worded as on Dawn
 * (gpuFailure.ts), so the run resumes from its checkpoint on another backend as it would there.
 */
import type * as tf from '@tensorflow/tfjs'
import type { GpuAdapterSummary } from '../../shared/backends'
import { firstLineOf, VoxloopError } from '../../shared/errors'
import type { LossPlan } from '../../shared/training'
import { gpuFailure, type GpuWork } from '../backends/webgpu/gpuFailure'
import { GpuHostReplySchema, type GpuHostReply, type GpuHostRequest } from './gpuHostProtocol'

export interface ClientEndpoint {
  post(request: GpuHostRequest): void
  onMessage(listener: (data: unknown) => void): void
  /** The port closed: the host is gone. */
  onClose(listener: () => void): void
  close(): void
}

type Shape5 = [number, number, number, number, number]
/** A request without its id (the client numbers them); distributed over the union's members. */
type RequestBody = GpuHostRequest extends infer R ? (R extends GpuHostRequest ? Omit<R, 'id'> : never) : never
type StepBody = Omit<Extract<GpuHostRequest, { kind: 'step' }>, 'id' | 'kind'>

interface Pending {
  expect: GpuHostReply['kind']
  work: GpuWork | null
  resolve(reply: GpuHostReply): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout> | null
}

export class GpuHostClient {
  private nextId = 1
  private nextKey = 1
  private readonly pending = new Map<number, Pending>()
  private gone: string | null = null

  constructor(private readonly endpoint: ClientEndpoint) {
    endpoint.onMessage((data) => this.receive(data))
    endpoint.onClose(() => this.lose('the GPU window closed'))
  }

  /** Whether the host can still be asked (its port is open). */
  get open(): boolean {
    return this.gone === null
  }

  /** The host's adapter, or null and why not; a host that does not answer in time counts as none. */
  async probe(timeoutMs: number): Promise<{ adapter: GpuAdapterSummary | null; reason: string }> {
    const reply = await this.request({ kind: 'probe' }, 'probed', null, timeoutMs)
    return reply.kind === 'probed' ? { adapter: reply.adapter, reason: reply.reason } : { adapter: null, reason: 'no answer' }
  }

  /**
   * Loads `model` (its topology, and its weights when `withWeights`) into the host, replacing the one
   * it held; resolves to the key that later requests name.
   */
  async load(model: tf.LayersModel, numClasses: number, loss: LossPlan, withWeights: boolean, work: GpuWork): Promise<number> {
    const key = this.nextKey++
    // Copies: data() of the cpu backend is the tensor's own storage, and posting copies anyway.
    const weights = withWeights ? await Promise.all(model.weights.map(async (w) => (await w.read().data()) as Float32Array)) : null
    await this.request({ kind: 'load', key, modelTopology: JSON.stringify(model.toJSON(null, false)), numClasses, loss, weights }, 'loaded', work)
    return key
  }

  async step(body: StepBody, work: GpuWork): Promise<{ loss: number; gradients: Float32Array[] }> {
    const reply = await this.request({ kind: 'step', ...body }, 'stepped', work)
    if (reply.kind !== 'stepped') throw new VoxloopError('INTERNAL', `expected 'stepped', got '${reply.kind}'`)
    return { loss: reply.loss, gradients: reply.gradients }
  }

  async predict(key: number, input: Float32Array, shape: Shape5, mirrorAxes: number[][], work: GpuWork): Promise<Float32Array> {
    const reply = await this.request({ kind: 'predict', key, input, shape, mirrorAxes }, 'predicted', work)
    if (reply.kind !== 'predicted') throw new VoxloopError('INTERNAL', `expected 'predicted', got '${reply.kind}'`)
    return reply.probabilities
  }

  close(): void {
    this.endpoint.close()
    this.lose('the engine closed the GPU window')
  }

  private request(body: RequestBody, expect: GpuHostReply['kind'], work: GpuWork | null, timeoutMs?: number): Promise<GpuHostReply> {
    if (this.gone !== null) return Promise.reject(this.goneError(this.gone, work))
    const id = this.nextId++
    return new Promise<GpuHostReply>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? null
          : setTimeout(() => {
              this.pending.delete(id)
              reject(new VoxloopError('BACKEND_UNAVAILABLE', `the GPU window did not answer within ${timeoutMs / 1000} s`))
            }, timeoutMs)
      this.pending.set(id, { expect, work, resolve, reject, timer })
      try {
        this.endpoint.post({ ...body, id } as GpuHostRequest)
      } catch (error) {
        this.settle(id)
        reject(new VoxloopError('GPU_ERROR', `could not send to the GPU window: ${firstLineOf(error)}`))
      }
    })
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id)
    if (!pending) return undefined
    this.pending.delete(id)
    if (pending.timer) clearTimeout(pending.timer)
    return pending
  }

  private receive(data: unknown): void {
    const parsed = GpuHostReplySchema.safeParse(data)
    if (!parsed.success) {
      // Unreadable: nothing tells which request it answers, and the order is no longer certain.
      this.lose(`the GPU window sent a malformed reply (${parsed.error.issues[0]?.message ?? 'unreadable'})`)
      return
    }
    const reply = parsed.data
    const pending = this.settle(reply.id)
    if (!pending) {
      // A reply for a request that timed out, or a failure without an id: the request it concerns is
      // already settled or unknown. Fail everything waiting if the host says it could not read one of them.
      if (reply.kind === 'failed' && reply.id === 0) this.lose(`the GPU window could not read a request: ${reply.message}`)
      return
    }
    if (reply.kind === 'failed') {
      pending.reject(this.failureOf(reply, pending.work))
      return
    }
    if (reply.kind !== pending.expect) {
      pending.reject(new VoxloopError('INTERNAL', `the GPU window answered '${reply.kind}' to a request for '${pending.expect}'`))
      return
    }
    pending.resolve(reply)
  }

  private failureOf(reply: Extract<GpuHostReply, { kind: 'failed' }>, work: GpuWork | null): VoxloopError {
    if (reply.code === 'GPU_ERROR') {
      const errors = reply.details?.length ? reply.details : [reply.message]
      return gpuFailure(work ?? { at: 'in the GPU window', then: 'try another backend (--backend wasm)' }, errors) as VoxloopError
    }
    const where = work ? ` ${work.at}` : ''
    return new VoxloopError(reply.code, `the GPU window failed${where}: ${reply.message}`)
  }

  private goneError(reason: string, work: GpuWork | null): VoxloopError {
    return new VoxloopError('GPU_ERROR', `${reason}${work ? ` ${work.at}` : ''}; ${work?.then ?? 'restart Voxloop to use the GPU again'}`)
  }

  private lose(reason: string): void {
    this.gone ??= reason
    for (const id of [...this.pending.keys()]) {
      const pending = this.settle(id)
      pending?.reject(this.goneError(reason, pending.work))
    }
  }
}
