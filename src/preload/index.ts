/**
 * The preload exposes exactly one object, `window.api`, built from the contract: one method per
 * channel and `on(event, listener)`. The page never sees ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { createPreloadApi, type Envelope, type EventName } from '../shared/contract'

const INVOKE_CHANNEL = 'voxloop:invoke'
const EVENT_CHANNEL = 'voxloop:event'

const api = createPreloadApi({
  invoke: (channel, args) => ipcRenderer.invoke(INVOKE_CHANNEL, channel, args) as Promise<Envelope<unknown>>,
  subscribe: (listener) => {
    const handler = (_event: IpcRendererEvent, name: EventName, payload: unknown): void => listener(name, payload)
    ipcRenderer.on(EVENT_CHANNEL, handler)
    return () => ipcRenderer.off(EVENT_CHANNEL, handler)
  }
})

contextBridge.exposeInMainWorld('api', api)
