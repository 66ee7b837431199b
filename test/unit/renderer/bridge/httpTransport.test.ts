import { describe, expect, it } from 'vitest'
import { takeAccessToken, TOKEN_STORAGE_KEY } from '../../../../src/renderer/src/bridge/httpTransport'

const token = 'Zv6_AgUxzsb_1IK3DZnSwwuIL5MSER5luiS_G9gbwbM'

/** A tab's sessionStorage and address bar, as plain objects. */
function tab(hash: string, stored: Record<string, string> = {}) {
  const storage = new Map(Object.entries(stored))
  const address = { hash, pathname: '/', search: '', replacedWith: null as string | null }
  return {
    location: address,
    storage: { getItem: (key: string) => storage.get(key) ?? null, setItem: (key: string, value: string) => void storage.set(key, value) },
    history: {
      state: null,
      replaceState: (_state: unknown, _unused: string, url?: string | URL | null) => {
        address.replacedWith = String(url)
        address.hash = ''
      }
    },
    stored: storage
  }
}

describe('serve mode: the page takes its access token', () => {
  it('from the URL fragment, keeps it for this tab and drops it from the address bar', () => {
    const page = tab(`#token=${token}`)
    expect(takeAccessToken(page.location, page.storage, page.history)).toBe(token)
    expect(page.stored.get(TOKEN_STORAGE_KEY)).toBe(token)
    expect(page.location.replacedWith).toBe('/')
  })

  it('keeps the path and query when it drops the fragment', () => {
    const page = tab(`#token=${token}`)
    page.location.pathname = '/index.html'
    page.location.search = '?case=a'
    takeAccessToken(page.location, page.storage, page.history)
    expect(page.location.replacedWith).toBe('/index.html?case=a')
  })

  it('from this tab after a reload, whose address no longer has it', () => {
    const page = tab('', { [TOKEN_STORAGE_KEY]: token })
    expect(takeAccessToken(page.location, page.storage, page.history)).toBe(token)
    expect(page.location.replacedWith).toBeNull()
  })

  it('prefers a new fragment over an older stored token (the server restarted with a new one)', () => {
    const fresh = `${token.slice(0, -1)}A`
    const page = tab(`#token=${fresh}`, { [TOKEN_STORAGE_KEY]: token })
    expect(takeAccessToken(page.location, page.storage, page.history)).toBe(fresh)
    expect(page.stored.get(TOKEN_STORAGE_KEY)).toBe(fresh)
  })

  it('not at all when neither has a well-formed one', () => {
    expect(takeAccessToken(tab('').location, tab('').storage, tab('').history)).toBeNull()
    const bad = tab('#token=abc', { [TOKEN_STORAGE_KEY]: 'not a token' })
    expect(takeAccessToken(bad.location, bad.storage, bad.history)).toBeNull()
    expect(bad.location.replacedWith).toBeNull()
  })

  it('without storage (refused by the browser) still for this page', () => {
    const page = tab(`#token=${token}`)
    expect(takeAccessToken(page.location, null, page.history)).toBe(token)
    expect(page.location.replacedWith).toBe('/')
  })
})
