import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { serializeError, VoxloopError } from '../../shared/errors'
import type { Envelope } from '../../shared/contract'
import type { VoxloopApp } from '../app/VoxloopApp'
import { invokeChannel } from '../app/handlers'
import type { MainWindow } from '../electron/createMainWindow'

export const INVOKE_CHANNEL = 'voxloop:invoke'
export const EVENT_CHANNEL = 'voxloop:event'

/**
 * The Electron transport: one invoke channel validated against the contract, answered only for
 * our own window's top frame at our own URL; events forwarded to that window.
 */
export function registerIpc(app: VoxloopApp, getWindow: () => MainWindow | null): () => void {
  const isOurs = (event: IpcMainInvokeEvent): boolean => {
    const main = getWindow()
    if (!main || event.sender.id !== main.window.webContents.id) return false
    const frame = event.senderFrame
    if (!frame || frame.parent !== null) return false
    return stripHash(frame.url) === stripHash(main.rendererUrl)
  }
  ipcMain.handle(INVOKE_CHANNEL, async (event, channel: unknown, args: unknown): Promise<Envelope<unknown>> => {
    if (!isOurs(event)) {
      return { ok: false, error: serializeError(new VoxloopError('FORBIDDEN', 'IPC from an unknown frame')) }
    }
    try {
      return { ok: true, value: await invokeChannel(app.handlers, String(channel), args) }
    } catch (error) {
      return { ok: false, error: serializeError(error) }
    }
  })
  const unsubscribe = app.events.subscribe((name, payload) => {
    const main = getWindow()
    if (main && !main.window.isDestroyed()) main.window.webContents.send(EVENT_CHANNEL, name, payload)
  })
  return () => {
    unsubscribe()
    ipcMain.removeHandler(INVOKE_CHANNEL)
  }
}

function stripHash(url: string): string {
  const hash = url.indexOf('#')
  const withoutHash = hash < 0 ? url : url.slice(0, hash)
  const query = withoutHash.indexOf('?')
  return query < 0 ? withoutHash : withoutHash.slice(0, query)
}
