/**
 * Crash-safe file replacement: readers see either the old file or the new one, never a torn write,
 * and after return the new content survives power loss. Used for labels and project files.
 */
import { randomBytes } from 'node:crypto'
import { chmod, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Directory fsync is impossible on Windows and unsupported by some network file systems. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF'])
/** Windows refuses a rename while an antivirus or indexer holds the target open for a moment. */
const WINDOWS_RENAME_RETRYABLE = new Set(['EPERM', 'EACCES', 'EBUSY'])
const WINDOWS_RENAME_ATTEMPTS = 5

async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return
  let handle
  try {
    handle = await open(directory, 'r')
    await handle.sync()
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error
  } finally {
    await handle?.close()
  }
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (process.platform !== 'win32' || !WINDOWS_RENAME_RETRYABLE.has(code) || attempt >= WINDOWS_RENAME_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
    }
  }
}

/**
 * Writes `data` (a string is written as UTF-8; a list of byte chunks is written in order, so a large
 * file need not be copied into one buffer first) to a temporary file beside `path`, fsyncs it,
 * renames it over `path` and fsyncs the folder. An existing file keeps its permission bits. On
 * failure the temporary file is removed and the Node error (ENOSPC, EACCES, …) is rethrown unchanged.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): Promise<void> {
  const directory = dirname(path)
  // Same folder, so the rename never crosses file systems; dot-prefixed so folder scans skip it.
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let existingMode: number | null = null
  try {
    existingMode = (await stat(path)).mode & 0o7777
  } catch {
    existingMode = null
  }
  try {
    const handle = await open(temporary, 'wx')
    try {
      // FileHandle.writeFile writes all of its data from the current position, so chunks follow each other.
      if (Array.isArray(data)) for (const chunk of data as readonly Uint8Array[]) await handle.writeFile(chunk)
      else await handle.writeFile(data as Uint8Array | string)
      if (existingMode !== null) await chmod(temporary, existingMode)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await renameWithRetry(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(directory)
}
