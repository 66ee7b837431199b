/**
 * How a serve-mode page proves that it was opened from the URL `voxloop serve` printed; shared by
 * the server (src/main/serve) and the page's HTTP client (src/renderer/src/bridge).
 *
 * The token travels in the URL fragment, which browsers never send to any server, and from then on
 * only in what this page's own script attaches to its own requests: an `Authorization` header on
 * API calls and a subprotocol on the event socket. Never in a cookie (cookies ignore ports, so the
 * browser would hand it to every other web server on 127.0.0.1) and never in a request URL (server
 * logs, history, Referer).
 */

/** The key in the printed URL's fragment: `http://127.0.0.1:PORT/#token=…`. */
export const TOKEN_FRAGMENT_KEY = 'token'

/** The event socket's subprotocol; the server answers with this one, never with the token's. */
export const EVENTS_PROTOCOL = 'voxloop.v1'

/**
 * Browsers cannot set headers on a WebSocket handshake, so the token rides in a second offered
 * subprotocol. Tokens are base64url, whose characters are all valid in a subprotocol name.
 */
export const TOKEN_PROTOCOL_PREFIX = 'voxloop-token.'

/** base64url of at least 16 random bytes; anything else is not a token we could have made. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,256}$/

export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value)
}

/** The URL to open: the server's origin with the token in the fragment. */
export function servedUrl(origin: string, token: string): string {
  return `${origin}/#${TOKEN_FRAGMENT_KEY}=${token}`
}

/** The token in a `location.hash` such as `#token=…`, or null when there is none (or it is malformed). */
export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get(TOKEN_FRAGMENT_KEY)
  return token !== null && isWellFormedToken(token) ? token : null
}

/** The subprotocols the page offers when it opens the event socket. */
export function eventSocketProtocols(token: string | null): string[] {
  return token === null ? [EVENTS_PROTOCOL] : [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]
}

/** The token offered in a `Sec-WebSocket-Protocol` header, or null when none is. */
export function tokenFromProtocols(header: string | undefined): string | null {
  if (!header) return null
  for (const protocol of header.split(',')) {
    const name = protocol.trim()
    if (name.startsWith(TOKEN_PROTOCOL_PREFIX)) return name.slice(TOKEN_PROTOCOL_PREFIX.length)
  }
  return null
}
