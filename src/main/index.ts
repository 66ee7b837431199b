/**
 * Electron main: the desktop app's composition root. Builds the shared VoxloopApp with the
 * desktop's host adapter (native folder dialog, utilityProcess engine) and binds the IPC transport.
 */
import { app, dialog, session } from 'electron'
import { parseBackendPreference } from '../shared/backends'
import { VoxloopApp } from './app/VoxloopApp'
import { createMainWindow, type MainWindow } from './electron/createMainWindow'
import { GpuWindow } from './electron/gpuWindow'
import { gpuWindowUrl } from './electron/gpuWindowPolicy'
import { hardenSession } from './electron/hardenSession'
import { devServerUrl as allowedDevServerUrl, devToolsAllowed } from './electron/rendererSource'
import { registerAppScheme, serveRenderer } from './electron/serveRenderer'
import { utilityEngine } from './electron/utilityEngine'
import { registerIpc } from './ipc/registerIpc'
import { runtimePaths } from './runtimePaths'
import { dcm2niixFiles, keepDcm2niixWarm } from '../node/formats/dicom'

// Every renderer is sandboxed, whatever a future window forgets to set.
app.enableSandbox()
registerAppScheme()
// Chromium's WebGPU for the GPU window (gpuWindow.ts): on Linux it is behind these flags (and needs
// a Vulkan driver); Windows and macOS have it on. Set before ready, for the whole app.
if (process.platform === 'linux') {
  app.commandLine.appendSwitch('enable-unsafe-webgpu')
  app.commandLine.appendSwitch('enable-features', 'Vulkan')
}

// The dev server and DevTools only in an unpackaged `electron-vite dev` build (rendererSource.ts).
const launch = { isPackaged: app.isPackaged, isDevBuild: import.meta.env.DEV, env: process.env }
const devTools = devToolsAllowed(launch)
let mainWindow: MainWindow | null = null

function backendFlag(): string | undefined {
  const arg = process.argv.find((a) => a.startsWith('--backend='))
  return arg?.slice('--backend='.length)
}

async function start(): Promise<void> {
  const devServerUrl = allowedDevServerUrl(launch)
  await app.whenReady()
  hardenSession(session.defaultSession, devServerUrl)
  serveRenderer(runtimePaths.rendererDir)
  const flag = backendFlag()
  const gpuWindow = new GpuWindow(gpuWindowUrl(devServerUrl), runtimePaths.gpuHostPreload)
  const voxloop = await VoxloopApp.create({
    appVersion: app.getVersion(),
    appDataDir: process.env.VOXLOOP_HOME ?? app.getPath('userData'),
    host: {
      mode: 'desktop',
      pickFolder: async (title) => {
        const owner = mainWindow?.window
        const options = { title: title ?? 'Open a Voxloop project folder', properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'> }
        const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options)
        return result.canceled ? null : (result.filePaths[0] ?? null)
      }
    },
    engine: { launcher: utilityEngine(gpuWindow), spec: { entry: runtimePaths.engineEntry } },
    ...(flag !== undefined ? { backendOverride: parseBackendPreference(flag) } : {})
  })
  // The app lives on: a warmed DICOM converter waits for its imports (docs/DICOM.md).
  keepDcm2niixWarm(dcm2niixFiles())
  const unregister = registerIpc(voxloop, () => mainWindow)
  mainWindow = createMainWindow(devServerUrl, devTools)
  const onMainWindowClosed = (): void => {
    mainWindow = null
    // The hidden GPU window alone must not keep the app running ('window-all-closed').
    if (process.platform !== 'darwin') gpuWindow.close()
  }
  mainWindow.window.on('closed', onMainWindowClosed)
  app.on('activate', () => {
    if (mainWindow) return
    mainWindow = createMainWindow(devServerUrl, devTools)
    mainWindow.window.on('closed', onMainWindowClosed)
  })
  // Closing the project flushes the label journal and releases its lock: let it finish first.
  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting) return
    event.preventDefault()
    quitting = true
    unregister()
    void voxloop.dispose().finally(() => app.quit())
  })
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

start().catch((error: unknown) => {
  dialog.showErrorBox('Voxloop could not start', error instanceof Error ? error.message : String(error))
  app.exit(1)
})
