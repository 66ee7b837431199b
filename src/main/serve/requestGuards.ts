import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { tokenFromProtocols } from '../../shared/serveAuth'

/**
 * Serve mode listens on 127.0.0.1, but that alone does not stop other local users (any process can
 * connect) or web pages in the user's browser (DNS rebinding, cross-site requests). So: a random
 * per-start token on every API call and event socket, and exact Host and Origin checks.
 *
 * The token is only ever accepted from places a browser fills in for this page's own script (an
 * `Authorization` header, a WebSocket subprotocol), never from a cookie: cookies are not isolated by
 * port, so the browser would also send one to any other web server on 127.0.0.1.
 */
export function createAccessToken(): string {
  return randomBytes(32).toString('base64url')
}

export function allowedOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

/** The Host header must name this server exactly; anything else may be a rebinding attack. */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`
}

/** Browsers send Origin on cross-origin and on WebSocket requests; when present it must be ours. */
export function isAllowedOrigin(origin: string | undefined, port: number, required: boolean): boolean {
  if (origin === undefined) return !required
  return allowedOrigins(port).includes(origin)
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token in `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+) *$/.exec(header ?? '')
  return match?.[1] ?? null
}

/** An API call is authorised by `Authorization: Bearer <token>` only. */
export function isAuthorised(headers: IncomingHttpHeaders, token: string): boolean {
  const given = bearerToken(headers.authorization)
  return given !== null && tokensEqual(given, token)
}

/**
 * An event socket is authorised by the token subprotocol (what a browser can send) or, for other
 * clients, by the bearer header.
 */
export function isSocketAuthorised(headers: IncomingHttpHeaders, token: string): boolean {
  const offered = tokenFromProtocols(headers['sec-websocket-protocol'])
  if (offered !== null) return tokensEqual(offered, token)
  return isAuthorised(headers, token)
}
