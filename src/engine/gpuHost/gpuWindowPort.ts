/**
 * The engine's end of the channel to the desktop app's GPU window. Main forks the engine as a
 * utilityProcess and posts it one end of a MessageChannelMain (src/main/electron/gpuWindow.ts) with
 * a { kind: GPU_HOST_PORT_KIND } message (shared/gpuWindow.ts); connectToParent hands the port here. Outside the desktop
 * app no port ever comes, and nothing here is used.
 */
import { GpuHostClient, type ClientEndpoint } from './GpuHostClient'
import type { GpuHostRequest } from './gpuHostProtocol'

/** Electron's MessagePortMain, as far as it is used here. */
export interface MessagePortMainLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  on(event: 'close', listener: () => void): void
  postMessage(message: unknown): void
  start(): void
  close(): void
}

let host: GpuHostClient | null = null
const waiting: Array<(client: GpuHostClient) => void> = []

function endpointOf(port: MessagePortMainLike): ClientEndpoint {
  return {
    post: (request: GpuHostRequest) => port.postMessage(request),
    onMessage: (listener) => port.on('message', (event) => listener(event.data)),
    onClose: (listener) => port.on('close', listener),
    close: () => port.close()
  }
}

/** Takes the port main sent. A later one (main reopened the window) replaces the first. */
export function offerGpuWindowPort(port: MessagePortMainLike): void {
  host = new GpuHostClient(endpointOf(port))
  port.start()
  for (const resolve of waiting.splice(0)) resolve(host)
}

/** The GPU window's client, waiting up to `timeoutMs` for main's port; null when none came. */
export function gpuWindowHost(timeoutMs: number): Promise<GpuHostClient | null> {
  if (host) return Promise.resolve(host)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const at = waiting.indexOf(take)
      if (at >= 0) waiting.splice(at, 1)
      resolve(null)
    }, timeoutMs)
    const take = (client: GpuHostClient): void => {
      clearTimeout(timer)
      resolve(client)
    }
    waiting.push(take)
  })
}
