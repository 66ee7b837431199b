/**
 * Sequential access to the bytes of a file that may or may not be gzipped (decided by its magic
 * bytes, not its name), without a second full-size copy and without blocking the event loop:
 * - a raw file is read with positioned reads straight into the caller's buffer, at most
 *   `maxReadBytes` per call: one fs read of 2 GiB or more aborts the whole process (Node checks the
 *   length is an int32 with a CHECK, not an exception);
 * - a gzipped file is inflated by Node's zlib on the thread pool. zlib writes its output into one
 *   buffer of `chunkSize` bytes and hands out slices of it until it is full; sizing that buffer from
 *   the size the NIfTI header declares (`outputBytes`) makes the whole decompressed file land in a
 *   single buffer, so the voxels can be viewed where they lie instead of being copied out of 1 MiB
 *   chunks (which also left up to a full volume of garbage chunks for the GC, doubling peak memory).
 *   The gzip ISIZE trailer is never used for this: it is whatever the file's author wrote, so a 2 MB
 *   file could make us reserve 2 GiB before reading a byte of its header. The compressed input is fed
 *   through two reused buffers rather than a ReadStream, whose fresh buffer per read would otherwise
 *   pile up as garbage as large as the compressed file.
 *
 * Only regular files are opened: a named pipe would block `open` (and a thread-pool thread) until
 * some writer appears, and a device could stream forever.
 */
import { constants as fsConstants, type Stats } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { createGunzip, type Gunzip } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import { fileReadError, niftiInvalid } from './niftiErrors'

/** Default read/inflate chunk: large enough that per-chunk overhead vanishes next to inflate itself. */
const CHUNK_BYTES = 1 << 20
/** zlib's smallest allowed chunkSize. */
const MIN_ZLIB_CHUNK = 64
/**
 * zlib counts output space in 32 bits (and Node passes it as a uint32), so one output buffer holds at
 * most this; a larger declared size is inflated in ordinary chunks and copied.
 */
const MAX_SINGLE_OUTPUT_BYTES = 2 ** 32 - 1
/**
 * Largest positioned read per call. fs.read takes an int32 length and aborts the process beyond it;
 * 256 MiB keeps each call far below that while its overhead stays negligible next to the I/O.
 */
const MAX_READ_BYTES = 256 * 2 ** 20
/**
 * Opened without blocking: O_NONBLOCK makes opening a FIFO return at once (instead of waiting for a
 * writer) so that fstat can refuse it; it changes nothing for regular files. Windows has no such flag
 * (and no FIFOs that a path can name), hence the fallback to 0.
 */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0)

export interface OpenOptions {
  /** Read/inflate chunk size; small for header-only reads, which then inflate only the first chunk. */
  chunkBytes?: number
  /**
   * Size of zlib's single output buffer for a whole-file read: the header's declared size plus one
   * (a buffer filled to the last byte would make zlib allocate another one). Default: chunkBytes.
   */
  outputBytes?: number
  /**
   * Never inflate more than this many bytes: output beyond it is dropped and inflating stops, so a
   * file holding more than its header declares (a gzip bomb behind a small header) costs nothing.
   * Default: unlimited (for header reads, which stop on their own by backpressure).
   */
  maxOutputBytes?: number
  /** Largest positioned read of a raw file per call; default MAX_READ_BYTES (tests make it small). */
  maxReadBytes?: number
}

export interface StreamLabel {
  /** The path the user asked for; every error message starts with it. */
  reportPath: string
  /** How to name this file in messages, e.g. "file" or "image file /x/a.img". */
  what: string
}

/** What a non-regular file is, for the refusal message. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isDirectory()) return 'a directory'
  return 'a special file'
}

/** NIFTI_INVALID for anything but a regular file; the caller closes the handle. */
function assertRegularFile(stats: Stats, label: StreamLabel): void {
  if (stats.isFile()) return
  throw niftiInvalid(label.reportPath, `${label.what} is ${kindOf(stats)}, not a regular file`)
}

export class FileByteStream {
  /** Bytes consumed so far (decompressed bytes for a gzipped file). */
  private position = 0
  /** Decompressed chunks received and not yet consumed (slices of zlib's output buffer). */
  private readonly queue: Buffer[] = []
  private queueBytes = 0
  /** Decompressed bytes received from zlib (kept or not). */
  private inflatedBytes = 0
  private ended = false
  private failure: unknown = null
  private wake: (() => void) | null = null
  private closed = false
  private rawReads = 0

  private constructor(
    private readonly label: StreamLabel,
    private readonly handle: FileHandle,
    /** On-disk size of the file. */
    readonly fileBytes: number,
    readonly compressed: boolean,
    private readonly gunzip: Gunzip | null,
    /** Queued bytes at which inflating pauses until the consumer catches up. */
    private readonly pauseBytes: number,
    private readonly maxOutputBytes: number,
    private readonly maxReadBytes: number,
    /** Settles when the compressed-input pump has stopped (so the handle may close). */
    private readonly pumpDone: Promise<void>
  ) {
    // Flowing mode hands over every chunk zlib pushes as is; read() and async iteration would
    // concatenate chunks that arrive together into a new buffer, defeating the in-place view.
    gunzip?.on('data', (chunk: Buffer) => this.receive(gunzip, chunk))
    gunzip?.on('end', () => this.finish(null))
    gunzip?.on('error', (error: unknown) => this.finish(error))
    gunzip?.on('close', () => this.finish(null))
  }

  private receive(gunzip: Gunzip, chunk: Buffer): void {
    if (this.ended) return
    const room = this.maxOutputBytes - this.inflatedBytes
    this.inflatedBytes += chunk.length
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    if (kept.length > 0) {
      this.queue.push(kept)
      this.queueBytes += kept.length
    }
    if (chunk.length > room) {
      // More than the header declared: stop here. Destroying inside the 'data' event also keeps
      // zlib from allocating a fresh output buffer for the rest (it checks right after the push).
      this.finish(null)
      gunzip.destroy()
      return
    }
    if (this.queueBytes >= this.pauseBytes) gunzip.pause()
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private finish(error: unknown): void {
    if (error !== null && this.failure === null && !this.ended) this.failure = error
    this.ended = true
    this.notify()
  }

  /**
   * Feeds the file into zlib through two alternating buffers: the next block is read while zlib
   * inflates the current one, and a buffer is refilled only after zlib has consumed it (the write
   * callback). Failures destroy the gunzip stream, so they surface through the chunk iterator.
   */
  private static async pump(handle: FileHandle, gunzip: Gunzip, chunkBytes: number): Promise<void> {
    const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)]
    let which = 0
    let position = 0
    let pending = handle.read(buffers[which], 0, chunkBytes, position)
    try {
      for (;;) {
        const { bytesRead } = await pending
        if (bytesRead === 0 || gunzip.destroyed) {
          gunzip.end()
          return
        }
        const block = buffers[which].subarray(0, bytesRead)
        position += bytesRead
        which ^= 1
        pending = handle.read(buffers[which], 0, chunkBytes, position)
        await new Promise<void>((resolve, reject) => {
          // A stream destroyed mid-write (corrupt data, close()) may never call back; 'close' is sure.
          const onClose = (): void => reject(new Error('inflate stopped'))
          gunzip.once('close', onClose)
          gunzip.write(block, (error) => {
            gunzip.off('close', onClose)
            if (error) reject(error)
            else resolve()
          })
        })
      }
    } catch (error) {
      gunzip.destroy(error instanceof Error ? error : new Error(String(error)))
    } finally {
      await pending.catch(() => undefined)
    }
  }

  static async open(path: string, label: StreamLabel, options: OpenOptions = {}): Promise<FileByteStream> {
    const chunkBytes = options.chunkBytes ?? CHUNK_BYTES
    const maxOutputBytes = options.maxOutputBytes ?? Number.POSITIVE_INFINITY
    const maxReadBytes = options.maxReadBytes ?? MAX_READ_BYTES
    let handle: FileHandle
    try {
      handle = await open(path, OPEN_FLAGS)
    } catch (error) {
      throw fileReadError(label.reportPath === path ? path : `${label.reportPath} (${label.what})`, error)
    }
    try {
      // fstat on the descriptor we hold: a path check before opening could be raced by a swap.
      const stats = await handle.stat()
      assertRegularFile(stats, label)
      const size = stats.size
      const magic = Buffer.alloc(2)
      if (size >= 2) await handle.read(magic, 0, 2, 0)
      const compressed = magic[0] === 0x1f && magic[1] === 0x8b
      if (!compressed) {
        return new FileByteStream(label, handle, size, false, null, 0, maxOutputBytes, maxReadBytes, Promise.resolve())
      }
      const wanted = options.outputBytes ?? chunkBytes
      const outputBytes = wanted <= MAX_SINGLE_OUTPUT_BYTES ? Math.max(MIN_ZLIB_CHUNK, wanted) : chunkBytes
      const gunzip = createGunzip({ chunkSize: outputBytes })
      const pumpDone = FileByteStream.pump(handle, gunzip, Math.min(chunkBytes, Math.max(size, 1)))
      return new FileByteStream(label, handle, size, true, gunzip, 4 * chunkBytes, maxOutputBytes, maxReadBytes, pumpDone)
    } catch (error) {
      await handle.close().catch(() => undefined)
      if (error instanceof VoxloopError) throw error
      throw fileReadError(label.reportPath, error)
    }
  }

  /** Exact byte count for an uncompressed file; unknown (null) for a gzipped one. */
  get exactTotalBytes(): number | null {
    return this.compressed ? null : this.fileBytes
  }

  private gzipError(error: unknown): Error {
    const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ''
    const detail = error instanceof Error ? error.message : String(error)
    if (code === 'Z_BUF_ERROR') {
      return niftiInvalid(this.label.reportPath, `${this.label.what} is truncated: the gzip stream ends early (${detail})`, error)
    }
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      return niftiInvalid(this.label.reportPath, `${this.label.what} is not a valid gzip stream (${detail})`, error)
    }
    return fileReadError(this.label.reportPath, error)
  }

  /** Waits for another chunk or the end; throws the gzip error once everything before it is used. */
  private async more(): Promise<boolean> {
    if (this.ended) {
      if (this.failure !== null) throw this.gzipError(this.failure)
      return false
    }
    if (this.gunzip?.isPaused()) this.gunzip.resume()
    await new Promise<void>((resolve) => {
      this.wake = resolve
    })
    return true
  }

  /** The next unconsumed bytes of a gzipped file, or null at the end of the stream. */
  private async nextChunk(): Promise<Buffer | null> {
    while (this.queue.length === 0) {
      if (!(await this.more())) return null
    }
    const chunk = this.queue.shift() as Buffer
    this.queueBytes -= chunk.length
    return chunk
  }

  private putBack(rest: Buffer): void {
    this.queue.unshift(rest)
    this.queueBytes += rest.length
  }

  /**
   * Positioned read of an uncompressed file into `target`; returns bytes read (short at EOF). Split
   * into reads of at most maxReadBytes (see MAX_READ_BYTES); offsets stay Numbers, exact to 2^53.
   */
  private async readRaw(target: Uint8Array, position: number): Promise<number> {
    let filled = 0
    try {
      while (filled < target.length) {
        const length = Math.min(target.length - filled, this.maxReadBytes)
        this.rawReads++
        const { bytesRead } = await this.handle.read(target, filled, length, position + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
    } catch (error) {
      throw fileReadError(this.label.reportPath, error)
    }
    return filled
  }

  /** Positioned reads issued so far on a raw file (each at most maxReadBytes long). */
  get rawReadCount(): number {
    return this.rawReads
  }

  /** Up to `n` bytes from the current position, without consuming them (fewer at end of file). */
  async peek(n: number): Promise<Uint8Array> {
    if (!this.compressed) {
      const out = new Uint8Array(Math.max(0, Math.min(n, this.fileBytes - this.position)))
      const got = await this.readRaw(out, this.position)
      return out.subarray(0, got)
    }
    while (this.queueBytes < n) {
      if (!(await this.more())) break
    }
    const joined = Buffer.concat(this.queue, Math.min(n, this.queueBytes))
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.length)
  }

  /** Consumes up to `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    if (!this.compressed) {
      const skipped = Math.max(0, Math.min(n, this.fileBytes - this.position))
      this.position += skipped
      return skipped
    }
    let skipped = 0
    while (skipped < n) {
      const chunk = await this.nextChunk()
      if (!chunk) break
      const take = Math.min(chunk.length, n - skipped)
      if (take < chunk.length) this.putBack(chunk.subarray(take))
      skipped += take
    }
    this.position += skipped
    return skipped
  }

  /** Fills `target` from the current position; returns bytes filled (short at end of data). */
  async readInto(target: Uint8Array): Promise<number> {
    if (!this.compressed) {
      const got = await this.readRaw(target, this.position)
      this.position += got
      return got
    }
    let filled = 0
    while (filled < target.length) {
      const chunk = await this.nextChunk()
      if (!chunk) break
      const take = Math.min(chunk.length, target.length - filled)
      target.set(take === chunk.length ? chunk : chunk.subarray(0, take), filled)
      filled += take
      if (take < chunk.length) this.putBack(chunk.subarray(take))
    }
    this.position += filled
    return filled
  }

  /** Consumes up to `n` bytes as a list of chunks (for when the final size is not yet trusted). */
  async readChunks(n: number): Promise<{ chunks: Buffer[]; bytes: number }> {
    if (!this.compressed) {
      const out = Buffer.allocUnsafe(Math.max(0, Math.min(n, this.fileBytes - this.position)))
      const got = await this.readInto(out)
      return { chunks: [out.subarray(0, got)], bytes: got }
    }
    const chunks: Buffer[] = []
    let got = 0
    while (got < n) {
      const chunk = await this.nextChunk()
      if (!chunk) break
      const take = Math.min(chunk.length, n - got)
      chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take))
      if (take < chunk.length) this.putBack(chunk.subarray(take))
      got += take
    }
    this.position += got
    return { chunks, bytes: got }
  }

  /**
   * Inflates to the end (at most `limit` more bytes) so that zlib checks the gzip CRC and length
   * trailer: a stream damaged after the voxels we need is still a damaged file. Returns the bytes
   * that followed, or null when it stopped at the limit without reaching the end.
   */
  async drain(limit: number): Promise<number | null> {
    if (!this.compressed) return Math.max(0, this.fileBytes - this.position)
    let rest = 0
    for (;;) {
      if (rest > limit) return null
      const chunk = await this.nextChunk()
      if (!chunk) return rest
      rest += chunk.length
    }
  }

  /** Idempotent. Stops inflating, waits for the pump's last read, then closes the file. */
  async close(): Promise<void> {
    this.queue.length = 0
    this.queueBytes = 0
    if (this.closed) return
    this.closed = true
    this.gunzip?.destroy()
    await this.pumpDone
    await this.handle.close().catch(() => undefined)
  }
}
