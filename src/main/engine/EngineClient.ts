import type { BackendReport } from '../../shared/backends'
import type { EngineEventMessage, EngineMethod, EngineMethods, EngineToMain } from '../../shared/engineProtocol'
import { deserializeError, VoxloopError } from '../../shared/errors'
import type { EngineStatus } from '../../shared/system'
import type { EngineChannel, EngineLaunchSpec, EngineLauncher } from './engineChannel'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

export interface EngineClientOptions {
  launcher: EngineLauncher
  spec: EngineLaunchSpec
  /** How long start-up (loading TensorFlow.js and probing backends) may take. */
  startTimeoutMs?: number
}

/** Starts the engine process, tracks its status, and turns messages into promise-returning calls. */
export class EngineClient {
  private channel: EngineChannel | null = null
  private status: EngineStatus = { state: 'starting' }
  private readonly pending = new Map<number, Pending>()
  private readonly statusListeners = new Set<(status: EngineStatus) => void>()
  private readonly eventListeners = new Set<(event: EngineEventMessage) => void>()
  private nextId = 1
  private readyPromise: Promise<BackendReport> | null = null
  /** The process exited after it was ready (a crash, a kill): the next restartIfExited() starts a new one. */
  private exited = false
  /** Pending start-up deadline; cleared on ready, failure and dispose (it would keep a CLI process alive). */
  private startTimer: NodeJS.Timeout | null = null

  constructor(private readonly options: EngineClientOptions) {}

  getStatus(): EngineStatus {
    return this.status
  }

  onStatus(listener: (status: EngineStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /** Events the engine pushes while it works (training progress, logs). */
  onEvent(listener: (event: EngineEventMessage) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  /** Starts the process once; later calls share the same start. */
  start(): Promise<BackendReport> {
    this.readyPromise ??= this.launch()
    return this.readyPromise
  }

  /**
   * Like start(), but first replaces an engine process that died after starting (killed, out of
   * memory), so that one crash does not leave the app without compute until it restarts.
   */
  restartIfExited(): Promise<BackendReport> {
    if (this.exited) {
      this.exited = false
      this.readyPromise = null
      this.setStatus({ state: 'starting' })
    }
    return this.start()
  }

  async call<M extends EngineMethod>(method: M, ...args: EngineMethods[M]['args']): Promise<EngineMethods[M]['result']> {
    await this.start()
    const channel = this.channel
    if (!channel || this.status.state !== 'ready') {
      throw new VoxloopError('ENGINE_FAILED', 'The compute engine is not running')
    }
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      channel.send({ kind: 'call', id, method, args })
    })
  }

  /**
   * Stops the process and starts a new one with other arguments (a different backend). Calls in
   * flight fail with ENGINE_FAILED; the caller decides when that is acceptable.
   */
  restart(argv: string[]): Promise<BackendReport> {
    const old = this.channel
    this.channel = null
    old?.kill()
    this.failPending(new VoxloopError('ENGINE_FAILED', 'The compute engine was restarted'))
    this.options.spec.argv = argv
    this.setStatus({ state: 'starting' })
    this.readyPromise = this.launch()
    return this.readyPromise
  }

  dispose(): void {
    if (this.startTimer) clearTimeout(this.startTimer)
    this.startTimer = null
    this.channel?.kill()
    this.channel = null
    this.failPending(new VoxloopError('ENGINE_FAILED', 'The compute engine was stopped'))
  }

  private launch(): Promise<BackendReport> {
    return new Promise<BackendReport>((resolve, reject) => {
      const channel = this.options.launcher(this.options.spec)
      this.channel = channel
      const timer = setTimeout(() => {
        fail(new VoxloopError('ENGINE_FAILED', `The compute engine did not start within ${this.options.startTimeoutMs ?? 60000} ms`))
        channel.kill()
      }, this.options.startTimeoutMs ?? 60_000)
      this.startTimer = timer
      let settled = false
      let wasReady = false
      const fail = (error: VoxloopError): void => {
        this.setStatus({ state: 'failed', message: error.message })
        this.failPending(error)
        if (!settled) {
          settled = true
          clearTimeout(timer)
          reject(error)
        }
      }
      channel.onMessage((message: EngineToMain) => {
        if (message.kind === 'ready') {
          settled = true
          wasReady = true
          clearTimeout(timer)
          this.setStatus({ state: 'ready', backend: message.backend })
          resolve(message.backend)
        } else if (message.kind === 'startFailed') {
          fail(deserializeError(message.error))
        } else if (message.kind === 'result') {
          const pending = this.pending.get(message.id)
          if (!pending) return
          this.pending.delete(message.id)
          if (message.ok) pending.resolve(message.value)
          else pending.reject(deserializeError(message.error))
        } else if (message.kind === 'event') {
          for (const listener of this.eventListeners) listener(message as EngineEventMessage)
        }
      })
      channel.onExit((code) => {
        if (this.channel !== channel) return
        this.channel = null
        this.exited = wasReady
        fail(new VoxloopError('ENGINE_FAILED', `The compute engine exited (code ${code ?? 'signal'})`))
      })
    })
  }

  private setStatus(status: EngineStatus): void {
    this.status = status
    for (const listener of this.statusListeners) listener(status)
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}
