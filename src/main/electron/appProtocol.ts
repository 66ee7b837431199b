import { readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import type { CustomScheme } from 'electron'
import { contentSecurityPolicy } from '../../shared/csp'
import { rendererContentType } from '../rendererContentTypes'

/**
 * The desktop renderer is served from `app://voxloop/`, not `file://`: a standard, secure scheme gives
 * the page a real origin ('self' in the CSP means only our files), no file-system reach beyond the
 * renderer folder, and lets the GrantFileProtocolExtraPrivileges fuse stay off. No Electron value is
 * imported here, so the URL → file mapping and the responses are tested under plain Node.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'voxloop'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_RENDERER_URL = `${APP_ORIGIN}/index.html`

/** For protocol.registerSchemesAsPrivileged, before the app is ready. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true }
}

export interface AppFile {
  file: string
  contentType: string
}

/**
 * The file inside `rootDir` that an `app://voxloop/…` URL names, or null for anything else: another
 * scheme or host, an undecodable path, NUL or backslash (a separator on Windows only, so refused
 * everywhere alike), or a path that resolves outside the root. `/` is index.html; no other fallback.
 */
export function resolveAppRequest(rootDir: string, rawUrl: string): AppFile | null {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username !== '' || url.password !== '') return null
  let decoded: string
  try {
    decoded = decodeURIComponent(url.pathname)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
  const root = path.resolve(rootDir)
  const file = path.resolve(root, relative)
  if (!isInside(root, file)) return null
  return { file, contentType: rendererContentType(file) }
}

/** The headers every app:// response carries: the production CSP (with frame-ancestors, which a meta tag cannot set). */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache'
  }
}

/**
 * The protocol handler's answer: the file, or 404 when the URL is refused, the file is missing or not
 * a plain file, or its real path (symlinks followed) leaves the root; 405 for anything but GET/HEAD.
 */
export async function respondToAppRequest(rootDir: string, request: { method: string; url: string }): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed')
  const target = resolveAppRequest(rootDir, request.url)
  if (!target) return plain(404, 'Not found')
  const [realRoot, realFile] = await Promise.all([realpath(rootDir).catch(() => null), realpath(target.file).catch(() => null)])
  if (!realRoot || !realFile || !isInside(realRoot, realFile)) return plain(404, 'Not found')
  // A directory fails here with EISDIR: also "not found".
  const body = await readFile(realFile).catch(() => null)
  if (!body) return plain(404, 'Not found')
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: appResponseHeaders(target.contentType) })
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: appResponseHeaders('text/plain; charset=utf-8') })
}

function isInside(root: string, file: string): boolean {
  return file !== root && file.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
}
