/**
 * Creates a folder with its files all at once: written and fsynced under a hidden temporary name
 * beside it, then renamed into place. Readers (and a restart after a crash) see the complete folder
 * or none; a leftover `.<name>.*.tmp` folder is debris of an interrupted save, never a version.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { VoxloopError } from '../../shared/errors'

/** Directory fsync is impossible on Windows and unsupported by some network file systems. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF'])
/** Windows refuses a rename while an antivirus or indexer holds a file open for a moment. */
const WINDOWS_RENAME_RETRYABLE = new Set(['EPERM', 'EACCES', 'EBUSY'])
const WINDOWS_RENAME_ATTEMPTS = 5

const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException | null)?.code ?? ''

async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return
  let handle
  try {
    handle = await open(directory, 'r')
    await handle.sync()
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(errnoOf(error))) throw error
  } finally {
    await handle?.close()
  }
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false
    throw error
  }
}

async function renameFolder(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (error) {
      const code = errnoOf(error)
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new VoxloopError('ALREADY_EXISTS', `${to} already exists`, { cause: error })
      if (process.platform !== 'win32' || !WINDOWS_RENAME_RETRYABLE.has(code) || attempt >= WINDOWS_RENAME_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
    }
  }
}

/**
 * Writes `files` (name → bytes; strings as UTF-8) into a new folder `dir`, creating its parent.
 * Throws ALREADY_EXISTS if `dir` exists; Node errors (ENOSPC, EACCES, …) pass through unchanged,
 * after the temporary folder is removed.
 */
export async function writeFolderAtomic(dir: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<void> {
  const parent = dirname(dir)
  await mkdir(parent, { recursive: true })
  if (await exists(dir)) throw new VoxloopError('ALREADY_EXISTS', `${dir} already exists`)
  const temporary = join(parent, `.${basename(dir)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  await mkdir(temporary)
  try {
    for (const [name, data] of Object.entries(files)) {
      if (name !== basename(name) || name.startsWith('.')) throw new Error(`writeFolderAtomic: '${name}' is not a plain file name`)
      await writeSynced(join(temporary, name), data)
    }
    await syncDirectory(temporary)
    await renameFolder(temporary, dir)
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(parent)
}
