import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { contentSecurityPolicy } from '../../shared/csp'
import { serializeError, type SerializedError } from '../../shared/errors'
import { EVENTS_PROTOCOL, servedUrl } from '../../shared/serveAuth'
import { containsBinary, decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../shared/wire'
import type { EventHub } from '../app/EventHub'
import { invokeChannel, type Handlers } from '../app/handlers'
import { createAccessToken, isAllowedHost, isAllowedOrigin, isAuthorised, isSocketAuthorised } from './requestGuards'
import { loadStaticFile } from './staticFiles'

export const API_PREFIX = '/api/'
export const EVENTS_PATH = '/api/events'

/**
 * The largest JSON call is `projects:updateLabels`: a table of all 65535 label ids with names like
 * "label 12345" is 3.4 MB. Parsing is synchronous and costs far more than the bytes suggest (4 MiB
 * of `[{},{},…]` takes ~0.7 s here), so the limit stays near what the contract needs.
 */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024
/**
 * Binary arguments (`labels:edit`) travel in the wire format: 6 bytes a voxel (u32 index + u16
 * value), so 1 GiB carries a change to every voxel of a 512×512×680 volume. Its bytes are copied,
 * never parsed; its JSON part is held to the JSON limit.
 */
export const MAX_WIRE_BODY_BYTES = 1024 * 1024 * 1024
/** The event socket carries nothing from the page (its token rides in the handshake). */
const MAX_SOCKET_MESSAGE_BYTES = 1024

export interface ServeOptions {
  handlers: Handlers
  events: EventHub
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** 0 picks a free port. */
  port: number
  /** Fixed token for tests; normally a fresh random one per start. */
  token?: string
}

export interface RunningServer {
  /** The URL to open: the token is in its fragment, which the browser never sends anywhere. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const HOST = '127.0.0.1'

/**
 * `voxloop serve`: the built renderer and the same API as the desktop app, over HTTP + WebSocket,
 * bound to 127.0.0.1 only. The page's files are public build outputs and need no token; every API
 * call needs the per-start token as a bearer header and the event socket needs it as a subprotocol
 * (src/shared/serveAuth.ts), and every request needs a Host/Origin that names this server.
 */
export async function startServeServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? createAccessToken()
  let port = 0
  const server: Server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, serializeError(error))
      else response.destroy()
    })
  })

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setCommonHeaders(response)
    if (!isAllowedHost(request.headers.host, port)) {
      return sendError(response, 403, { code: 'FORBIDDEN', message: 'Host header not allowed' })
    }
    if (!isAllowedOrigin(request.headers.origin, port, false)) {
      return sendError(response, 403, { code: 'FORBIDDEN', message: 'Origin not allowed' })
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`)
    if (url.pathname.startsWith(API_PREFIX)) {
      if (!isAuthorised(request.headers, token)) {
        return sendError(response, 401, {
          code: 'UNAUTHORIZED',
          message: 'Missing or wrong access token: open the URL that `voxloop serve` printed (it ends in #token=…)'
        })
      }
      return handleApi(request, response, url.pathname.slice(API_PREFIX.length))
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(response, 405, { code: 'INVALID_ARGUMENT', message: `${request.method} not allowed here` })
    }
    const file = await loadStaticFile(options.rendererDir, url.pathname)
    if (!file) return sendError(response, 404, { code: 'NOT_FOUND', message: `${url.pathname} not found` })
    response.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.body.length })
    response.end(request.method === 'HEAD' ? undefined : file.body)
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, channel: string): Promise<void> {
    if (request.method !== 'POST') {
      return sendError(response, 405, { code: 'INVALID_ARGUMENT', message: 'API calls are POST requests' })
    }
    const wire = (request.headers['content-type'] ?? '').startsWith(WIRE_CONTENT_TYPE)
    const limit = wire ? MAX_WIRE_BODY_BYTES : MAX_JSON_BODY_BYTES
    const tooLarge = (size: string): void =>
      refuseBody(request, response, `${channel}: request body ${size}; the limit for ${wire ? 'wire' : 'JSON'} bodies is ${formatBytes(limit)}`)
    // Refused before a byte of the body is read: Content-Length says it all.
    const declared = Number(request.headers['content-length'] ?? 0)
    if (declared > limit) return tooLarge(`of ${formatBytes(declared)}`)
    const body = await readBody(request, limit)
    if (body === null) return tooLarge('passed the limit')
    let args: unknown
    try {
      if (wire) {
        const jsonBytes = body.length >= 8 ? body.readUInt32LE(4) : 0
        if (jsonBytes > MAX_JSON_BODY_BYTES) {
          return sendError(response, 413, {
            code: 'INVALID_ARGUMENT',
            message: `${channel}: the JSON part of the wire body is ${formatBytes(jsonBytes)}; the limit is ${formatBytes(MAX_JSON_BODY_BYTES)}`
          })
        }
        args = decodeWire(body)
      } else {
        args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'))
      }
    } catch (error) {
      return sendError(response, 400, { code: 'INVALID_ARGUMENT', message: `${channel}: unreadable request body: ${(error as Error).message}` })
    }
    let result: unknown
    try {
      result = await invokeChannel(options.handlers, channel, args)
    } catch (error) {
      const serialized = serializeError(error)
      return sendError(response, statusFor(serialized), serialized)
    }
    if (containsBinary(result)) {
      const bytes = encodeWire(result)
      response.writeHead(200, { 'Content-Type': WIRE_CONTENT_TYPE, 'Content-Length': bytes.byteLength })
      response.end(bytes)
      return
    }
    const json = Buffer.from(JSON.stringify(result ?? null))
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': json.length })
    response.end(json)
  }

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_SOCKET_MESSAGE_BYTES,
    // Answer with the events protocol only: echoing the token's would put it in a response header.
    handleProtocols: (offered) => (offered.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false)
  })
  server.on('upgrade', (request, socket, head) => {
    // Node stops watching a socket for errors once it is handed over for an upgrade; a client that
    // resets mid-handshake must cost this socket only, not the process.
    socket.on('error', () => socket.destroy())
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`)
    const allowed =
      url.pathname === EVENTS_PATH &&
      isAllowedHost(request.headers.host, port) &&
      // Browsers always send Origin on WebSocket handshakes, so a missing one is refused too.
      isAllowedOrigin(request.headers.origin, port, true) &&
      isSocketAuthorised(request.headers, token)
    if (!allowed) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy())
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })
  const unsubscribe = options.events.subscribe((name, payload) => {
    const message = JSON.stringify({ name, payload })
    for (const client of sockets.clients) if (client.readyState === 1) client.send(message)
  })
  sockets.on('connection', (ws: WebSocket) => {
    // A malformed frame (too long, unmasked, invalid UTF-8, reserved opcode or bits) makes ws emit
    // 'error' on that socket; unheard, it would be thrown and end the whole server. Drop that socket.
    ws.on('error', () => ws.terminate())
    ws.on('message', () => ws.close(1008, 'this socket only carries events from the server'))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, HOST, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: servedUrl(`http://${HOST}:${port}`, token),
    port,
    token,
    close: async () => {
      unsubscribe()
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }

  function setCommonHeaders(response: ServerResponse): void {
    response.setHeader('Content-Security-Policy', contentSecurityPolicy({ connectSources: port ? [`ws://${HOST}:${port}`, `ws://localhost:${port}`] : [] }))
    response.setHeader('X-Content-Type-Options', 'nosniff')
    response.setHeader('Referrer-Policy', 'no-referrer')
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
    response.setHeader('Cache-Control', 'no-store')
  }
}

function statusFor(error: SerializedError): number {
  switch (error.code) {
    case 'INVALID_ARGUMENT':
      return 400
    case 'UNAUTHORIZED':
      return 401
    case 'FORBIDDEN':
    case 'PATH_OUTSIDE_PROJECT':
      return 403
    case 'UNKNOWN_CHANNEL':
      return 404
    case 'READ_ONLY':
      return 409
    case 'DISK_FULL':
      // 507 Insufficient Storage: nothing was written; the client keeps what it sent and retries.
      return 507
    case 'INTERNAL':
      return 500
    default:
      // The request was fine; the app says no (not a project, bad NIfTI, ...). The body says why.
      return 422
  }
}

function sendError(response: ServerResponse, status: number, error: SerializedError): void {
  const body = Buffer.from(JSON.stringify(error))
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length })
  response.end(body)
}

/** How long a refused body may go on arriving (and be dropped) before its connection is closed. */
const REFUSED_BODY_LINGER_MS = 2000

/**
 * 413 at once; the rest of the body is never buffered: Node drops what still arrives once the
 * answer is out. The connection is closed after a short linger (nginx's lingering close), not at
 * once: closing with the client's bytes still unread resets the connection, and a reset can
 * discard the answer before the client reads it (3 of 80 oversized chunked bodies got no answer
 * in the reliability bench under load when the socket was closed right away).
 */
function refuseBody(request: IncomingMessage, response: ServerResponse, message: string): void {
  sendError(response, 413, { code: 'INVALID_ARGUMENT', message })
  const socket = request.socket
  const timer = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
}

/** The whole body, or null (having stopped reading) once it passes `limit` bytes. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        request.off('data', onData)
        request.off('end', onEnd)
        request.pause()
        chunks.length = 0
        resolve(null)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => resolve(Buffer.concat(chunks))
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', reject)
  })
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(bytes % 1024 ** 2 === 0 ? 0 : 1)} MiB`
  return `${bytes} bytes`
}
