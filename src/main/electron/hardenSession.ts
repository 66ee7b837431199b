import type { Session } from 'electron'
import { contentSecurityPolicy } from '../../shared/csp'

/**
 * No remote content, no permissions, a strict CSP on every response. The dev server URL is the only
 * non-file origin allowed, and only while running `electron-vite dev`.
 */
export function hardenSession(session: Session, devServerUrl: string | undefined): void {
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : null
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onBeforeRequest((details, callback) => {
    const url = new URL(details.url)
    const local =
      url.protocol === 'file:' ||
      url.protocol === 'devtools:' ||
      url.protocol === 'data:' ||
      url.protocol === 'blob:' ||
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
