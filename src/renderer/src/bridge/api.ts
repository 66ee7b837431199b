/**
 * The only module above which nobody knows the transport: the desktop app's preload, or serve
 * mode's HTTP + WebSocket. Everything in the renderer imports `api` from here.
 */
import { createApi, transportFromPreload, type Api } from '../../../shared/contract'
import { HttpTransport } from './httpTransport'

export const api: Api = createApi(window.api ? transportFromPreload(window.api) : new HttpTransport())
export const transportKind: 'desktop' | 'serve' = window.api ? 'desktop' : 'serve'
