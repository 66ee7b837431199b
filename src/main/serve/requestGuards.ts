import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/**
 * Serve mode listens on 127.0.0.1, but that alone does not stop other local users (any process can
 * connect) or web pages in the user's browser (DNS rebinding, cross-site requests). So: a random
 * per-start token on every request, and exact Host and Origin checks.
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

export function sessionCookieName(port: number): string {
  // Cookies ignore ports, so two servers on one host must not share a cookie name.
  return `voxloop_session_${port}`
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

/** A request is authorised by `Authorization: Bearer <token>` or by the session cookie. */
export function isAuthorised(request: IncomingMessage, token: string, port: number): boolean {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ') && tokensEqual(header.slice('Bearer '.length).trim(), token)) return true
  const cookie = readCookie(request.headers.cookie, sessionCookieName(port))
  return cookie !== undefined && tokensEqual(cookie, token)
}
