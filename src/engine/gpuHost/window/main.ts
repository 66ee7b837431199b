/**
 * The GPU window's page (src/main/electron/gpuWindow.ts): it waits for the ports its preload
 * forwards, one per engine start, and serves each with serveGpuHost on Chromium's WebGPU.
 */
import { GPU_HOST_PORT_MESSAGE } from '../../../shared/gpuWindow'
import type { GpuHostReply } from '../gpuHostProtocol'
import { serveGpuHost } from '../serveGpuHost'
import { chromiumGpu } from './chromiumGpu'

let served = 0

window.addEventListener('message', (event: MessageEvent) => {
  // Only the preload's message to this very window; a port from anywhere else is not taken.
  if (event.source !== window || event.data !== GPU_HOST_PORT_MESSAGE) return
  const port = event.ports[0]
  if (!port) return
  serveGpuHost(
    {
      post: (reply: GpuHostReply, transfer: ArrayBuffer[]) => port.postMessage(reply, transfer),
      onMessage: (listener) => {
        // Setting onmessage starts the port.
        port.onmessage = (message: MessageEvent) => listener(message.data)
      }
    },
    chromiumGpu
  )
  served += 1
  document.title = `Voxloop GPU (${served} engine${served === 1 ? '' : 's'})`
})
