import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { rendererContentType } from '../rendererContentTypes'

export interface StaticFile {
  body: Buffer
  contentType: string
}

/**
 * Resolves a URL path inside the built renderer folder; anything that escapes it, or is not a
 * file, is "not found". Unknown paths fall back to index.html (the app routes itself).
 */
export async function loadStaticFile(rootDir: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0')) return null
  const root = path.resolve(rootDir)
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
  const candidate = path.resolve(root, relative)
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null
  const file = (await isFile(candidate)) ? candidate : path.extname(relative) === '' ? path.join(root, 'index.html') : null
  if (!file) return null
  return {
    body: await readFile(file),
    contentType: rendererContentType(file)
  }
}

async function isFile(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => null)
  return info?.isFile() ?? false
}
