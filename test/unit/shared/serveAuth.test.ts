import { describe, expect, it } from 'vitest'
import {
  EVENTS_PROTOCOL,
  eventSocketProtocols,
  isWellFormedToken,
  servedUrl,
  tokenFromFragment,
  tokenFromProtocols
} from '../../../src/shared/serveAuth'

const token = 'Zv6_AgUxzsb_1IK3DZnSwwuIL5MSER5luiS_G9gbwbM'

describe('serve-mode token hand-over', () => {
  it('puts the token in the fragment, the part of a URL browsers never send', () => {
    const url = new URL(servedUrl('http://127.0.0.1:8123', token))
    expect(url.origin).toBe('http://127.0.0.1:8123')
    expect(url.pathname).toBe('/')
    expect(url.search).toBe('')
    expect(tokenFromFragment(url.hash)).toBe(token)
  })

  it.each([
    ['', null],
    ['#', null],
    [`#token=${token}`, token],
    [`token=${token}`, token],
    [`#other=1&token=${token}`, token],
    ['#token=short', null],
    [`#token=${token}%00`, null],
    [`#token=${token.slice(0, 30)}<script>`, null]
  ])('reads %j as %j', (hash, expected) => {
    expect(tokenFromFragment(hash)).toBe(expected)
  })

  it('offers the token as a second subprotocol and reads it back from the header', () => {
    expect(eventSocketProtocols(token)).toEqual([EVENTS_PROTOCOL, `voxloop-token.${token}`])
    expect(eventSocketProtocols(null)).toEqual([EVENTS_PROTOCOL])
    expect(tokenFromProtocols(eventSocketProtocols(token).join(', '))).toBe(token)
    expect(tokenFromProtocols(eventSocketProtocols(token).join(','))).toBe(token)
    expect(tokenFromProtocols(EVENTS_PROTOCOL)).toBeNull()
    expect(tokenFromProtocols(undefined)).toBeNull()
  })

  it('accepts only base64url tokens of a sensible length', () => {
    expect(isWellFormedToken(token)).toBe(true)
    expect(isWellFormedToken('a'.repeat(21))).toBe(false)
    expect(isWellFormedToken('a'.repeat(257))).toBe(false)
    expect(isWellFormedToken(`${token}=`)).toBe(false)
    expect(isWellFormedToken(`${token}+`)).toBe(false)
  })
})
