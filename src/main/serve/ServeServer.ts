import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { contentSecurityPolicy } from '../../shared/csp'
import { serializeError, VoxloopError, type SerializedError } from '../../shared/errors'
import { containsBinary, decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../shared/wire'
import type { EventHub } from '../app/EventHub'
import { invokeChannel, type Handlers } from '../app/handlers'
import {
  createAccessToken,
  isAllowedHost,
  isAllowedOrigin,
  isAuthorised,
  sessionCookieName,
  tokensEqual
} from './requestGuards'
import { loadStaticFile } from './staticFiles'

export const API_PREFIX = '/api/'
export const EVENTS_PATH = '/api/events'
const MAX_BODY_BYTES = 1024 * 1024 * 1024

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
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const HOST = '127.0.0.1'

/**
 * `voxloop serve`: the built renderer and the same API as the desktop app, over HTTP + WebSocket,
 * bound to 127.0.0.1 only. Every request needs the per-start token (as a bearer header or the
 * session cookie set when the printed URL is opened) and a Host/Origin that names this server.
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

    // Opening the printed URL trades the token in the query for an HttpOnly cookie, then drops it
    // from the address bar so it does not end up in history or screenshots.
    const queryToken = url.searchParams.get('token')
    if (request.method === 'GET' && queryToken !== null && !url.pathname.startsWith(API_PREFIX)) {
      if (!tokensEqual(queryToken, token)) return sendError(response, 401, { code: 'UNAUTHORIZED', message: 'Wrong access token' })
      response.setHeader('Set-Cookie', `${sessionCookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
      response.writeHead(303, { Location: url.pathname })
      response.end()
      return
    }
    if (!isAuthorised(request, token, port)) {
      return sendError(response, 401, {
        code: 'UNAUTHORIZED',
        message: 'Missing or wrong access token: open the URL that `voxloop serve` printed'
      })
    }
    if (url.pathname.startsWith(API_PREFIX)) return handleApi(request, response, url.pathname.slice(API_PREFIX.length))
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
    let args: unknown
    try {
      const body = await readBody(request)
      const type = request.headers['content-type'] ?? ''
      args = type.startsWith(WIRE_CONTENT_TYPE) ? decodeWire(body) : body.length === 0 ? [] : JSON.parse(body.toString('utf8'))
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

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`)
    const allowed =
      url.pathname === EVENTS_PATH &&
      isAllowedHost(request.headers.host, port) &&
      // Browsers always send Origin on WebSocket handshakes, so a missing one is refused too.
      isAllowedOrigin(request.headers.origin, port, true) &&
      isAuthorised(request, token, port)
    if (!allowed) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })
  const unsubscribe = options.events.subscribe((name, payload) => {
    const message = JSON.stringify({ name, payload })
    for (const client of sockets.clients) if (client.readyState === 1) client.send(message)
  })
  sockets.on('connection', (ws: WebSocket) => {
    ws.on('message', () => ws.close(1008, 'this socket only carries events from the server'))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, HOST, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
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

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new VoxloopError('INVALID_ARGUMENT', 'request body too large'))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}
