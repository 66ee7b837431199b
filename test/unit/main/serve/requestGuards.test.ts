import { describe, expect, it } from 'vitest'
import {
  bearerToken,
  createAccessToken,
  isAllowedHost,
  isAllowedOrigin,
  isAuthorised,
  isSocketAuthorised,
  tokensEqual
} from '../../../../src/main/serve/requestGuards'
import { eventSocketProtocols, isWellFormedToken } from '../../../../src/shared/serveAuth'

describe('serve mode request guards', () => {
  it('makes long random tokens', () => {
    const a = createAccessToken()
    expect(a.length).toBeGreaterThanOrEqual(43)
    expect(a).not.toBe(createAccessToken())
  })

  it.each([
    ['127.0.0.1:8123', true],
    ['localhost:8123', true],
    ['127.0.0.1:8124', false],
    ['evil.example:8123', false],
    ['127.0.0.1.nip.io:8123', false],
    [undefined, false]
  ])('Host %s allowed: %s', (host, allowed) => {
    expect(isAllowedHost(host, 8123)).toBe(allowed)
  })

  it.each([
    [undefined, false, true],
    [undefined, true, false],
    ['http://127.0.0.1:8123', true, true],
    ['http://localhost:8123', true, true],
    ['https://127.0.0.1:8123', false, false],
    ['http://127.0.0.1:9999', false, false],
    ['null', false, false],
    ['https://evil.example', false, false]
  ])('Origin %s (required %s) allowed: %s', (origin, required, allowed) => {
    expect(isAllowedOrigin(origin, 8123, required)).toBe(allowed)
  })

  it('compares tokens exactly', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true)
    expect(tokensEqual('abc', 'abd')).toBe(false)
    expect(tokensEqual('abc', 'abcd')).toBe(false)
  })

  it('makes tokens that fit a URL fragment and a WebSocket subprotocol', () => {
    const token = createAccessToken()
    expect(isWellFormedToken(token)).toBe(true)
    // RFC 7230 tchar: what a Sec-WebSocket-Protocol value may hold.
    expect(token).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
  })

  it.each([
    ['Bearer abc', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['bearer abc', null],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null]
  ])('reads the bearer token of %j as %j', (header, token) => {
    expect(bearerToken(header)).toBe(token)
  })

  const token = createAccessToken()

  it('authorises API calls by the bearer header only, never by a cookie', () => {
    expect(isAuthorised({ authorization: `Bearer ${token}` }, token)).toBe(true)
    expect(isAuthorised({ authorization: `Bearer ${token}x` }, token)).toBe(false)
    expect(isAuthorised({}, token)).toBe(false)
    // The old session cookie (and any cookie holding the token) no longer opens anything.
    expect(isAuthorised({ cookie: `voxloop_session_8123=${token}` }, token)).toBe(false)
    expect(isAuthorised({ cookie: `token=${token}` }, token)).toBe(false)
    // A subprotocol is for sockets, not API calls.
    expect(isAuthorised({ 'sec-websocket-protocol': eventSocketProtocols(token).join(', ') }, token)).toBe(false)
  })

  it('authorises event sockets by the token subprotocol, or the bearer header for non-browser clients', () => {
    expect(isSocketAuthorised({ 'sec-websocket-protocol': eventSocketProtocols(token).join(', ') }, token)).toBe(true)
    expect(isSocketAuthorised({ 'sec-websocket-protocol': eventSocketProtocols(createAccessToken()).join(', ') }, token)).toBe(false)
    expect(isSocketAuthorised({ 'sec-websocket-protocol': eventSocketProtocols(null).join(', ') }, token)).toBe(false)
    expect(isSocketAuthorised({ authorization: `Bearer ${token}` }, token)).toBe(true)
    // A wrong token in the subprotocol is not rescued by a right one elsewhere.
    expect(isSocketAuthorised({ 'sec-websocket-protocol': 'voxloop.v1, voxloop-token.nope', authorization: `Bearer ${token}` }, token)).toBe(false)
    expect(isSocketAuthorised({ cookie: `voxloop_session_8123=${token}` }, token)).toBe(false)
  })
})
