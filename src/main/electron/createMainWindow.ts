import { BrowserWindow } from 'electron'
import { runtimePaths } from '../runtimePaths'
import { lockedDownWebPreferences, lockNavigation } from './lockedDown'
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
    webPreferences: lockedDownWebPreferences(runtimePaths.preload, devTools)
  })
  const rendererUrl = rendererUrlFor(devServerUrl)
  window.once('ready-to-show', () => window.show())
  lockNavigation(window.webContents, rendererUrl)
  void window.loadURL(rendererUrl)
  return { window, rendererUrl }
}
