import { protocol } from 'electron'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, respondToAppRequest } from './appProtocol'

/** Must run before the app is ready: Electron fixes the privileged schemes at start-up. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])
}

/** Serves the built renderer folder as app://voxloop/ on the default session (after ready). */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => respondToAppRequest(rendererDir, request))
}
