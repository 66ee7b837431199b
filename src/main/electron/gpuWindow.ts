import { BrowserWindow, MessageChannelMain, type MessagePortMain } from 'electron'
import { GPU_HOST_PORT_MESSAGE } from '../../shared/gpuWindow'
import { lockedDownWebPreferences, lockNavigation } from './lockedDown'

/**
 * The desktop app's GPU window (issue #16 item 2): a hidden renderer whose Chromium has WebGPU, which
 * the engine's utilityProcess cannot have (Electron forbids the external buffers Dawn's Node addon
 * maps; dawn-gpu/node-webgpu issue #5). Its page (src/renderer/gpu-host.html, code in src/engine/gpuHost/window/) serves the engine's requests
 * over a MessageChannel that main sets up and then leaves: training steps and prediction tiles pass
 * engine ↔ window directly, never through main's thread.
 *
 * Locked down as the app's window is (lockedDown.ts): isolated, sandboxed, no Node, no
 * navigation, no pop-ups. Its preload only forwards the port; the page gets no `window.api`.
 */
export class GpuWindow {
  private window: BrowserWindow | null = null
  private loaded: Promise<void> | null = null

  constructor(
    private readonly pageUrl: string,
    private readonly preload: string
  ) {}

  /** A new channel to the window, opened on first use; the engine's end is returned. */
  async connect(): Promise<MessagePortMain> {
    const window = this.open()
    await this.loaded
    const { port1, port2 } = new MessageChannelMain()
    window.webContents.postMessage(GPU_HOST_PORT_MESSAGE, null, [port1])
    return port2
  }

  /** Closes it (when the app's window closes: a hidden window must not keep the app running). */
  close(): void {
    const window = this.window
    this.window = null
    this.loaded = null
    if (window && !window.isDestroyed()) window.destroy()
  }

  private open(): BrowserWindow {
    if (this.window && !this.window.isDestroyed()) return this.window
    const window = new BrowserWindow({
      show: false,
      width: 320,
      height: 240,
      title: 'Voxloop GPU',
      webPreferences: {
        ...lockedDownWebPreferences(this.preload, false),
        // A hidden window's timers and tasks are throttled by default; its work is the engine's.
        backgroundThrottling: false
      }
    })
    const url = this.pageUrl
    lockNavigation(window.webContents, url)
    // A crashed page closes its ports (the engine's waiting request fails with GPU_ERROR); the next
    // engine start opens a fresh window.
    window.webContents.on('render-process-gone', () => {
      if (this.window === window) this.close()
    })
    this.window = window
    this.loaded = window.loadURL(url)
    return window
  }
}
