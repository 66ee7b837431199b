import { APP_RENDERER_URL } from './appProtocol'

/** What decides where the window's page comes from; passed in so that the decision is testable. */
export interface LaunchContext {
  /** app.isPackaged: true in an installed build. */
  isPackaged: boolean
  /** import.meta.env.DEV: true only in what `electron-vite dev` builds, false in `electron-vite build`. */
  isDevBuild: boolean
  env: NodeJS.ProcessEnv
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The Vite dev server URL from ELECTRON_RENDERER_URL, or null. Honoured only in a development build
 * that is not packaged: otherwise anyone who can set the environment could point the window, and
 * with it the IPC sender check, at a page of their choosing. Even then only http on a loopback
 * address is accepted; anything else is an error that says so rather than a silent fallback.
 */
export function devServerUrl(context: LaunchContext): string | null {
  if (context.isPackaged || !context.isDevBuild) return null
  const raw = context.env.ELECTRON_RENDERER_URL
  if (raw === undefined || raw === '') return null
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`ELECTRON_RENDERER_URL is not a URL: "${raw}"`)
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.username !== '' || url.password !== '') {
    throw new Error(`ELECTRON_RENDERER_URL must be an http://localhost or http://127.0.0.1 address (the Vite dev server), got "${raw}"`)
  }
  return url.href
}

/** DevTools exist only in a development build run from source; never in an installed app. */
export function devToolsAllowed(context: Pick<LaunchContext, 'isPackaged' | 'isDevBuild'>): boolean {
  return !context.isPackaged && context.isDevBuild
}

/** The URL the window loads: the dev server when devServerUrl allowed one, else the app:// renderer. */
export function rendererUrl(devServer: string | null): string {
  return devServer ?? APP_RENDERER_URL
}
