import type { ChannelName, EventName, Transport } from '../../../shared/contract'
import { isEventName } from '../../../shared/contract'
import { deserializeError, VoxloopError } from '../../../shared/errors'
import { containsBinary, decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../../shared/wire'

/**
 * Serve mode's transport: POST /api/<channel> for calls, one WebSocket for events. The session
 * cookie set when the printed URL was opened authorises both, so no token lives in page script.
 */
export class HttpTransport implements Transport {
  private socket: WebSocket | null = null
  private readonly listeners = new Set<(name: EventName, payload: unknown) => void>()
  private retryMs = 500

  constructor(private readonly origin: string = window.location.origin) {}

  async invoke(channel: ChannelName, args: unknown[]): Promise<unknown> {
    const binary = containsBinary(args)
    const body = binary ? encodeWire(args) : JSON.stringify(args)
    let response: Response
    try {
      response = await fetch(`${this.origin}/api/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': binary ? WIRE_CONTENT_TYPE : 'application/json' },
        body: body as BodyInit,
        credentials: 'same-origin'
      })
    } catch (error) {
      throw new VoxloopError('INTERNAL', `Voxloop server unreachable (${(error as Error).message}); is \`voxloop serve\` still running?`)
    }
    const type = response.headers.get('Content-Type') ?? ''
    if (!response.ok) {
      const payload: unknown = type.includes('json') ? await response.json() : { code: 'INTERNAL', message: await response.text() }
      throw deserializeError(payload)
    }
    if (type.startsWith(WIRE_CONTENT_TYPE)) return decodeWire(new Uint8Array(await response.arrayBuffer()))
    return response.json()
  }

  subscribe(listener: (name: EventName, payload: unknown) => void): () => void {
    this.listeners.add(listener)
    this.connect()
    return () => this.listeners.delete(listener)
  }

  private connect(): void {
    if (this.socket) return
    const url = `${this.origin.replace(/^http/, 'ws')}/api/events`
    const socket = new WebSocket(url)
    this.socket = socket
    socket.addEventListener('open', () => {
      this.retryMs = 500
    })
    socket.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data !== 'string') return
      const message = JSON.parse(event.data) as { name?: unknown; payload?: unknown }
      if (!isEventName(message.name)) return
      for (const listener of this.listeners) listener(message.name, message.payload)
    })
    socket.addEventListener('close', () => {
      this.socket = null
      // The server may restart during development; reconnect with a capped back-off.
      if (this.listeners.size > 0) {
        setTimeout(() => this.connect(), this.retryMs)
        this.retryMs = Math.min(this.retryMs * 2, 10_000)
      }
    })
  }
}
