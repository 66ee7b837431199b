import { open, readFile, rm } from 'node:fs/promises'

/**
 * Makes a directory's entries (a new file, a rename, a removal) durable. Windows cannot open a
 * directory for fsync; there NTFS journals metadata itself, so the failure is ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (error) {
    if (process.platform !== 'win32') throw error
  } finally {
    await handle?.close()
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code
}

/** The file's bytes, or null when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
}

export async function removeIfExists(file: string): Promise<void> {
  await rm(file, { force: true })
}
