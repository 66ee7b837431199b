import { describe, expect, it } from 'vitest'
import {
  createAccessToken,
  isAllowedHost,
  isAllowedOrigin,
  readCookie,
  sessionCookieName,
  tokensEqual
} from '../../../../src/main/serve/requestGuards'

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

  it('reads the per-port session cookie', () => {
    const name = sessionCookieName(8123)
    expect(readCookie(`other=1; ${name}=tok%2Ben; x=y`, name)).toBe('tok+en')
    expect(readCookie('other=1', name)).toBeUndefined()
    expect(sessionCookieName(1)).not.toBe(sessionCookieName(2))
  })
})
