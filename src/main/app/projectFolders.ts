import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../shared/errors'
import type { OpenedProject } from '../../shared/contract'

/** Checks that a folder exists and holds a voxloop.json; returns its name. */
export async function inspectProjectFolder(folder: string): Promise<OpenedProject> {
  const resolved = path.resolve(folder)
  const info = await stat(resolved).catch(() => null)
  if (!info) throw new VoxloopError('NOT_FOUND', `${resolved}: no such folder`)
  if (!info.isDirectory()) throw new VoxloopError('NOT_A_PROJECT', `${resolved}: not a folder`)
  const manifestPath = path.join(resolved, 'voxloop.json')
  const text = await readFile(manifestPath, 'utf8').catch(() => null)
  if (text === null) throw new VoxloopError('NOT_A_PROJECT', `${resolved}: not a Voxloop project (no voxloop.json)`)
  let name = path.basename(resolved)
  try {
    const manifest = JSON.parse(text) as { name?: unknown }
    if (typeof manifest.name === 'string' && manifest.name.trim()) name = manifest.name
  } catch (error) {
    throw new VoxloopError('PROJECT_CORRUPT', `${manifestPath}: not valid JSON`, { cause: error })
  }
  return { path: resolved, name }
}
