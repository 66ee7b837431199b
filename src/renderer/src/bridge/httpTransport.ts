import type { ChannelName, EventName, Transport } from '../../../shared/contract'
import { isEventName } from '../../../shared/contract'
import { deserializeError, VoxloopError } from '../../../shared/errors'
import { eventSocketProtocols, isWellFormedToken, tokenFromFragment } from '../../../shared/serveAuth'
import { containsBinary, decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../../shared/wire'

/** This tab's copy of the token, so that a reload (whose address no longer has it) still works. */
export const TOKEN_STORAGE_KEY = 'voxloop.accessToken'

type TokenStorage = Pick<Storage, 'getItem' | 'setItem'>

/**
 * The access token of the URL `voxloop serve` printed (`…/#token=…`). A fragment is never sent to
 * any server; once read it is dropped from the address bar (history, screenshots, bookmarks) and
 * kept in this tab's sessionStorage, which no other origin (another port included) can read.
 * Null when neither has one: every API call then gets the server's 401, which says what to open.
 */
export function takeAccessToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  storage: TokenStorage | null,
  history: Pick<History, 'replaceState' | 'state'>
): string | null {
  const fromFragment = tokenFromFragment(location.hash)
  if (fromFragment !== null) {
    storage?.setItem(TOKEN_STORAGE_KEY, fromFragment)
    history.replaceState(history.state, '', `${location.pathname}${location.search}`)
    return fromFragment
  }
  const stored = storage?.getItem(TOKEN_STORAGE_KEY) ?? null
  return stored !== null && isWellFormedToken(stored) ? stored : null
}

/** sessionStorage, or null where the browser refuses it (then only a reload loses the token). */
function tabStorage(): TokenStorage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

/**
 * Serve mode's transport: POST /api/<channel> for calls, one WebSocket for events. Both carry the
 * token only in what this page's script attaches itself (a bearer header, a socket subprotocol):
 * never a cookie, which the browser would also hand to other servers on 127.0.0.1.
 */
export class HttpTransport implements Transport {
  private socket: WebSocket | null = null
  private readonly listeners = new Set<(name: EventName, payload: unknown) => void>()
  private retryMs = 500

  constructor(
    private readonly origin: string = window.location.origin,
    private readonly token: string | null = takeAccessToken(window.location, tabStorage(), window.history)
  ) {}

  async invoke(channel: ChannelName, args: unknown[]): Promise<unknown> {
    const binary = containsBinary(args)
    const body = binary ? encodeWire(args) : JSON.stringify(args)
    let response: Response
    try {
      response = await fetch(`${this.origin}/api/${channel}`, {
        method: 'POST',
        headers: {
          'Content-Type': binary ? WIRE_CONTENT_TYPE : 'application/json',
          ...(this.token === null ? {} : { Authorization: `Bearer ${this.token}` })
        },
        body: body as BodyInit,
        credentials: 'omit'
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
    const socket = new WebSocket(url, eventSocketProtocols(this.token))
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
