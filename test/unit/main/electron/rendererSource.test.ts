import { describe, expect, it } from 'vitest'
import { devServerUrl, devToolsAllowed, rendererUrl } from '../../../../src/main/electron/rendererSource'

const dev = { isPackaged: false, isDevBuild: true }

describe('devServerUrl: ELECTRON_RENDERER_URL is honoured only in an unpackaged dev build, only on loopback http', () => {
  it.each([
    ['packaged', { isPackaged: true, isDevBuild: true }],
    ['a production build run from source (electron-vite preview, the e2e tests)', { isPackaged: false, isDevBuild: false }],
    ['packaged production build', { isPackaged: true, isDevBuild: false }]
  ])('ignores it when %s, even for a loopback URL', (_why, flags) => {
    expect(devServerUrl({ ...flags, env: { ELECTRON_RENDERER_URL: 'http://localhost:5173/' } })).toBeNull()
    expect(devServerUrl({ ...flags, env: { ELECTRON_RENDERER_URL: 'https://evil.example/' } })).toBeNull()
  })

  it('is null in a dev build when the variable is unset or empty', () => {
    expect(devServerUrl({ ...dev, env: {} })).toBeNull()
    expect(devServerUrl({ ...dev, env: { ELECTRON_RENDERER_URL: '' } })).toBeNull()
  })

  it.each([
    ['http://localhost:5173', 'http://localhost:5173/'],
    ['http://localhost:5173/', 'http://localhost:5173/'],
    ['http://127.0.0.1:5174/', 'http://127.0.0.1:5174/'],
    ['http://[::1]:5173/', 'http://[::1]:5173/']
  ])('accepts the Vite dev server at %s', (raw, expected) => {
    expect(devServerUrl({ ...dev, env: { ELECTRON_RENDERER_URL: raw } })).toBe(expected)
  })

  it.each([
    ['https://evil.example/', 'a remote host'],
    ['http://evil.example:5173/', 'a remote host over http'],
    ['http://localhost.evil.example/', 'a host that only starts with localhost'],
    ['http://127.0.0.2:5173/', 'another address'],
    ['http://0.0.0.0:5173/', 'the any-address'],
    ['https://localhost:5173/', 'https (Vite serves http)'],
    ['file:///tmp/page.html', 'a file'],
    ['http://user:pw@localhost:5173/', 'credentials'],
    ['javascript:alert(1)', 'a javascript: URL']
  ])('refuses %s (%s) with an error that names the value', (raw) => {
    expect(() => devServerUrl({ ...dev, env: { ELECTRON_RENDERER_URL: raw } })).toThrow(raw)
  })

  it('refuses what is not a URL at all', () => {
    expect(() => devServerUrl({ ...dev, env: { ELECTRON_RENDERER_URL: 'localhost:5173' } })).toThrow(/ELECTRON_RENDERER_URL/)
    expect(() => devServerUrl({ ...dev, env: { ELECTRON_RENDERER_URL: 'not a url' } })).toThrow('is not a URL')
  })
})

describe('devToolsAllowed and rendererUrl', () => {
  it('allows DevTools only in an unpackaged dev build', () => {
    expect(devToolsAllowed({ isPackaged: false, isDevBuild: true })).toBe(true)
    expect(devToolsAllowed({ isPackaged: false, isDevBuild: false })).toBe(false)
    expect(devToolsAllowed({ isPackaged: true, isDevBuild: true })).toBe(false)
    expect(devToolsAllowed({ isPackaged: true, isDevBuild: false })).toBe(false)
  })

  it('loads app://voxloop/index.html unless a dev server was allowed', () => {
    expect(rendererUrl(null)).toBe('app://voxloop/index.html')
    expect(rendererUrl('http://localhost:5173/')).toBe('http://localhost:5173/')
  })
})
