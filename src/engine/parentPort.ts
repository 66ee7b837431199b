import type { EngineToMain, MainToEngine } from '../shared/engineProtocol'
import { GPU_HOST_PORT_KIND } from '../shared/gpuWindow'
import { offerGpuWindowPort, type MessagePortMainLike } from './gpuHost/gpuWindowPort'

/** The engine's side of the one adapter: Electron utilityProcess or Node child_process.fork. */
export interface ParentPort {
  send(message: EngineToMain): void
  onMessage(listener: (message: MainToEngine) => void): void
}

interface ElectronParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown; ports?: MessagePortMainLike[] }) => void): void
}

/** Main's message that carries the engine's end of the channel to the GPU window (gpuWindowPort.ts). */
function isGpuWindowPort(event: { data: unknown; ports?: MessagePortMainLike[] }): boolean {
  return typeof event.data === 'object' && event.data !== null && (event.data as { kind?: unknown }).kind === GPU_HOST_PORT_KIND && (event.ports?.length ?? 0) === 1
}

export function connectToParent(): ParentPort {
  // Electron sets process.parentPort inside a utilityProcess; Node sets process.send under fork.
  const electronPort = (process as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort
  if (electronPort) {
    // Listened for from the start: the port comes right after the fork, before the engine serves calls.
    electronPort.on('message', (event) => {
      if (isGpuWindowPort(event)) offerGpuWindowPort(event.ports?.[0] as MessagePortMainLike)
    })
    return {
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) =>
        electronPort.on('message', (event) => {
          if (!isGpuWindowPort(event)) listener(event.data as MainToEngine)
        })
    }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('The engine must be started by Voxloop (no parent process channel)')
  // The channel closes when the parent exits, however it died. Nothing can reach this process after
  // that, and the threaded wasm build's worker pool would keep it (and its memory) alive for good.
  // A training run cut here resumes from its last checkpoint, as after any crash.
  process.once('disconnect', () => process.exit(0))
  return {
    send: (message) => {
      send(message)
    },
    onMessage: (listener) => process.on('message', (message) => listener(message as MainToEngine))
  }
}
