import { BrowserWindow } from 'electron'
import { runtimePaths } from '../runtimePaths'

export interface MainWindow {
  window: BrowserWindow
  /** The URL our renderer is loaded from; IPC from any other frame is refused. */
  rendererUrl: string
}

/** The one window: isolated, sandboxed, no Node, no navigation, no pop-ups, no webviews. */
export function createMainWindow(devServerUrl: string | undefined): MainWindow {
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
      navigateOnDragDrop: false
    }
  })
  const rendererUrl = devServerUrl ?? new URL(`file://${runtimePaths.rendererIndex}`).href
  window.once('ready-to-show', () => window.show())
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  window.webContents.on('will-navigate', (event, url) => {
    if (url !== rendererUrl) event.preventDefault()
  })
  window.webContents.on('will-redirect', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  void (devServerUrl ? window.loadURL(devServerUrl) : window.loadFile(runtimePaths.rendererIndex))
  return { window, rendererUrl }
}
