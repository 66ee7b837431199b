/**
 * The GPU window's preload (src/main/electron/gpuWindow.ts): it forwards the one thing main sends,
 * the port of the engine's channel, into the page, and exposes nothing else (no window.api).
 * A sandboxed preload is one file: nothing is imported but electron, so the channel's name is
 * written out here (test/unit/preload/gpuHost.test.ts checks it against GPU_HOST_PORT_MESSAGE).
 */
import { ipcRenderer } from 'electron'

const GPU_HOST_PORT_MESSAGE = 'voxloop:gpu-host-port'

/** The page's window as this preload uses it (the preloads compile without the DOM library). */
const page = globalThis as unknown as { postMessage(message: string, targetOrigin: string, transfer: readonly unknown[]): void }

ipcRenderer.on(GPU_HOST_PORT_MESSAGE, (event) => {
  // Posted to this window itself (Electron's documented pattern for handing a port to the page);
  // the page takes it only from its own window, and only this one message.
  page.postMessage(GPU_HOST_PORT_MESSAGE, '*', event.ports)
})
