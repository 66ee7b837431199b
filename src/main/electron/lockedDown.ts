import type { WebContents, WebPreferences } from 'electron'

/**
 * What every window of the app gets (the app window, createMainWindow.ts; the GPU window,
 * gpuWindow.ts): isolated, sandboxed, no Node anywhere (workers, subframes), no webviews, web
 * security on, no insecure content. One definition, so a window cannot be opened with less.
 */
export function lockedDownWebPreferences(preload: string, devTools: boolean): WebPreferences {
  return {
    preload,
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
    devTools
  }
}

/** No pop-ups, no navigation away from `pageUrl`, no redirects, no webviews. */
export function lockNavigation(contents: WebContents, pageUrl: string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event, url) => {
    if (url !== pageUrl) event.preventDefault()
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
}
