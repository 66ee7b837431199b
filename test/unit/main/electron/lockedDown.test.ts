import { EventEmitter } from 'node:events'
import type { WebContents } from 'electron'
import { describe, expect, it } from 'vitest'
import { lockedDownWebPreferences, lockNavigation } from '../../../../src/main/electron/lockedDown'

describe("every window's lock-down", () => {
  it('isolated, sandboxed, no Node in the page, its workers or subframes, web security on; DevTools only when asked', () => {
    expect(lockedDownWebPreferences('/app/out/preload/index.js', false)).toEqual({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      devTools: false
    })
    expect(lockedDownWebPreferences('p', true).devTools).toBe(true)
  })

  it('denies pop-ups, navigation to any other URL, redirects and webviews', () => {
    const handlers: Array<() => { action: string }> = []
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: (handler: () => { action: string }) => handlers.push(handler) })
    lockNavigation(contents as unknown as WebContents, 'app://voxloop/gpu-host.html')
    expect(handlers.map((handler) => handler())).toEqual([{ action: 'deny' }])
    const attempt = (event: string, ...args: unknown[]): boolean => {
      let prevented = false
      contents.emit(event, { preventDefault: () => (prevented = true) }, ...args)
      return prevented
    }
    expect(attempt('will-navigate', 'https://example.com/')).toBe(true)
    expect(attempt('will-navigate', 'app://voxloop/index.html')).toBe(true)
    expect(attempt('will-navigate', 'app://voxloop/gpu-host.html')).toBe(false)
    expect(attempt('will-redirect', 'app://voxloop/gpu-host.html')).toBe(true)
    expect(attempt('will-attach-webview')).toBe(true)
  })
})
