import type { Session } from 'electron'
import { contentSecurityPolicy } from '../../shared/csp'
import { APP_HOST, APP_SCHEME } from './appProtocol'

/**
 * No remote content, no permissions, a strict CSP on every response. Only our app:// origin (and
 * data:/blob: it makes itself) may be requested; the dev server URL is the only other origin, and
 * only while running `electron-vite dev` (devServerUrl() in rendererSource.ts decides).
 */
export function hardenSession(session: Session, devServerUrl: string | null): void {
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : null
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onBeforeRequest((details, callback) => {
    const url = new URL(details.url)
    // Node's URL gives custom schemes the origin "null", so compare scheme and host.
    const local =
      (url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST) ||
      url.protocol === 'data:' ||
      url.protocol === 'blob:' ||
      // DevTools' own pages; the window has no DevTools outside a dev build (devToolsAllowed).
      url.protocol === 'devtools:' ||
      (devOrigin !== null && (url.origin === devOrigin || url.origin === devOrigin.replace(/^http/, 'ws')))
    callback({ cancel: !local })
  })
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [contentSecurityPolicy({ dev: devOrigin !== null })]
      }
    })
  })
}
