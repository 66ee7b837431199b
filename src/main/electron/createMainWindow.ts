import { BrowserWindow } from 'electron'
import { runtimePaths } from '../runtimePaths'
import { rendererUrl as rendererUrlFor } from './rendererSource'

export interface MainWindow {
  window: BrowserWindow
  /** The URL our renderer is loaded from; IPC from any other frame is refused. */
  rendererUrl: string
}

/**
 * The one window: isolated, sandboxed, no Node, no navigation, no pop-ups, no webviews. Its page is
 * app://voxloop/index.html, or the dev server that devServerUrl() allowed; DevTools only where
 * devToolsAllowed() says so.
 */
export function createMainWindow(devServerUrl: string | null, devTools: boolean): MainWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1115',
    title: 'Voxloop',
    autoHideMenuBar: true,
    webPreferences: {
      preload: runtimePaths.preload,
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
  })
  const rendererUrl = rendererUrlFor(devServerUrl)
  window.once('ready-to-show', () => window.show())
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  window.webContents.on('will-navigate', (event, url) => {
    if (url !== rendererUrl) event.preventDefault()
  })
  window.webContents.on('will-redirect', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  void window.loadURL(rendererUrl)
  return { window, rendererUrl }
}
