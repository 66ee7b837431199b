/**
 * The one module for durable writes (issue #14 item 5): files and folders replaced atomically
 * (readers see the old content or the new, never a torn write), and after return the new content
 * survives power loss. Main (labels, project files, exports) and the engine (model versions,
 * checkpoints, the preprocessed cache) both use it, so every write follows the same rules:
 *
 * - content goes to a hidden temporary beside its target (same folder, so the rename never crosses
 *   file systems; dot-prefixed, so folder scans skip it and stale-file clean-up can find it), is
 *   fsynced, then renamed over the target, and the folder is fsynced;
 * - a short write is impossible: `FileHandle.writeFile` writes all of its data or throws;
 * - on failure the temporary is removed and the Node error (ENOSPC, EACCES, EIO, …) is rethrown
 *   unchanged, so callers can name the file and the cause;
 * - a folder fsync that the platform or file system does not support is skipped (`syncDirectory`);
 *   any other folder fsync error is a failure.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { VoxloopError } from '../../shared/errors'

/**
 * Folder fsync is impossible on Windows (NTFS journals metadata itself) and unsupported by some
 * network file systems, which answer with these codes. Anything else (EIO, …) means the write may
 * not be durable and is thrown.
 */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF'])
/** Windows refuses a rename while an antivirus or indexer holds the target open for a moment. */
const WINDOWS_RENAME_RETRYABLE = new Set(['EPERM', 'EACCES', 'EBUSY'])
const WINDOWS_RENAME_ATTEMPTS = 5

export function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? ''
}

/** Makes a folder's entries (a new file, a rename, a removal) durable; see DIRECTORY_SYNC_UNSUPPORTED. */
export async function syncDirectory(directory: string): Promise<void> {
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

/** A hidden name beside `target` for its temporary; unique per process and call. */
export function temporaryBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (error) {
      const code = errnoOf(error)
      if (process.platform !== 'win32' || !WINDOWS_RENAME_RETRYABLE.has(code) || attempt >= WINDOWS_RENAME_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
    }
  }
}

export type FileContent = Uint8Array | string | readonly Uint8Array[] | AsyncIterable<Uint8Array>

function isAsyncIterable(data: FileContent): data is AsyncIterable<Uint8Array> {
  return typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
}

/**
 * Creates `path` (which must not exist), writes `data` and fsyncs it. A string is UTF-8; a list of
 * chunks or an async iterable (a read stream) is written in order, so a large file need not be
 * held in one buffer.
 */
export async function writeSynced(path: string, data: FileContent, mode: number | null = null): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    // FileHandle.writeFile writes all of its data from the current position, so chunks follow each other.
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data)
    else if (isAsyncIterable(data)) for await (const chunk of data) await handle.writeFile(chunk)
    else for (const chunk of data) await handle.writeFile(chunk)
    if (mode !== null) await chmod(path, mode)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Replaces (or creates) `path` with `data` atomically and durably. An existing file keeps its
 * permission bits.
 */
export async function writeFileAtomic(path: string, data: FileContent): Promise<void> {
  const directory = dirname(path)
  const temporary = temporaryBeside(path)
  let existingMode: number | null = null
  try {
    existingMode = (await stat(path)).mode & 0o7777
  } catch {
    existingMode = null
  }
  try {
    await writeSynced(temporary, data, existingMode)
    await renameWithRetry(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(directory)
}

const COPY_CHUNK_BYTES = 1 << 20

/** Copies `source` to `target` atomically and durably, in chunks (an image of any size is never held whole). */
export async function copyFileAtomic(source: string, target: string): Promise<void> {
  // Opened first, so a missing or unreadable source fails before anything is written.
  const input = await open(source, 'r')
  try {
    await writeFileAtomic(target, chunksOf(input))
  } finally {
    await input.close()
  }
}

async function* chunksOf(input: FileHandle): AsyncIterable<Uint8Array> {
  for (;;) {
    const buffer = new Uint8Array(COPY_CHUNK_BYTES)
    const { bytesRead } = await input.read(buffer, 0, buffer.length, null)
    if (bytesRead === 0) return
    yield buffer.subarray(0, bytesRead)
  }
}

/**
 * Creates the folder `dir` with its content all at once: `fill` writes into a hidden temporary
 * folder beside it (with `writeSynced` or its own durable writes), which is then fsynced and renamed
 * into place. Readers, and a restart after a crash, see the complete folder or none; a leftover
 * `.<name>.*.tmp` folder is debris of an interrupted write. `replace`: an existing `dir` is removed
 * first (a checkpoint rewritten after a crash); otherwise it is ALREADY_EXISTS.
 */
export async function writeFolderAtomicWith(dir: string, fill: (temporary: string) => Promise<void>, options: { replace?: boolean } = {}): Promise<void> {
  const parent = dirname(dir)
  await mkdir(parent, { recursive: true })
  if (!options.replace && (await exists(dir))) throw new VoxloopError('ALREADY_EXISTS', `${dir} already exists`)
  const temporary = temporaryBeside(dir)
  await mkdir(temporary)
  try {
    await fill(temporary)
    await syncDirectory(temporary)
    if (options.replace) await rm(dir, { recursive: true, force: true })
    await renameFolder(temporary, dir)
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(parent)
}

/**
 * Writes `files` (name → content) into a new folder `dir`, creating its parent. Throws
 * ALREADY_EXISTS if `dir` exists.
 */
export async function writeFolderAtomic(dir: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<void> {
  await writeFolderAtomicWith(dir, async (temporary) => {
    for (const [name, data] of Object.entries(files)) {
      if (name !== basename(name) || name.startsWith('.')) throw new Error(`writeFolderAtomic: '${name}' is not a plain file name`)
      await writeSynced(join(temporary, name), data)
    }
  })
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
  try {
    await renameWithRetry(from, to)
  } catch (error) {
    const code = errnoOf(error)
    if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new VoxloopError('ALREADY_EXISTS', `${to} already exists`, { cause: error })
    throw error
  }
}
