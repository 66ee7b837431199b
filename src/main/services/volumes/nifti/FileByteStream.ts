/**
 * Sequential access to the bytes of a file that may or may not be gzipped (decided by its magic
 * bytes, not its name), without a second full-size copy and without blocking the event loop:
 * - a raw file is read with positioned reads straight into the caller's buffer;
 * - a gzipped file is inflated by Node's zlib on the thread pool. zlib writes its output into one
 *   buffer of `chunkSize` bytes and hands out slices of it until it is full; sizing that buffer from
 *   the gzip ISIZE trailer makes the whole decompressed file land in a single buffer, so the voxels
 *   can be viewed where they lie instead of being copied out of 1 MiB chunks (which also left up
 *   to a full volume of garbage chunks for the GC, doubling peak memory). The compressed input is
 *   fed through two reused buffers rather than a ReadStream, whose fresh buffer per read would
 *   otherwise pile up as garbage as large as the compressed file.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { createGunzip, type Gunzip } from 'node:zlib'
import { fileReadError, niftiInvalid } from './niftiErrors'

/** Default read/inflate chunk: large enough that per-chunk overhead vanishes next to inflate itself. */
const CHUNK_BYTES = 1 << 20
/** Smallest possible gzip member: 10-byte header, empty deflate block, 8-byte trailer. */
const MIN_GZIP_BYTES = 18
/** Deflate cannot expand data by more than about 1032:1, so a larger ISIZE claim is corrupt. */
const MAX_DEFLATE_RATIO = 1032
/** zlib's smallest allowed chunkSize. */
const MIN_ZLIB_CHUNK = 64
/** Largest single inflate buffer we reserve from an ISIZE hint (voxel limit plus extensions). */
const MAX_SINGLE_OUTPUT_BYTES = 2 ** 31 + 2 ** 24

export interface OpenOptions {
  /** Read/inflate chunk size; small for header-only reads, which then inflate only the first chunk. */
  chunkBytes?: number
  /** Inflate a gzipped file into one buffer sized from its ISIZE trailer (for whole-file reads). */
  singleOutputBuffer?: boolean
}

export interface StreamLabel {
  /** The path the user asked for; every error message starts with it. */
  reportPath: string
  /** How to name this file in messages, e.g. "file" or "image file /x/a.img". */
  what: string
}

export class FileByteStream {
  /** Bytes consumed so far (decompressed bytes for a gzipped file). */
  private position = 0
  /** Decompressed chunks received and not yet consumed (slices of zlib's output buffer). */
  private readonly queue: Buffer[] = []
  private queueBytes = 0
  private ended = false
  private failure: unknown = null
  private wake: (() => void) | null = null
  private closed = false

  private constructor(
    private readonly label: StreamLabel,
    private readonly handle: FileHandle,
    /** On-disk size of the file. */
    readonly fileBytes: number,
    readonly compressed: boolean,
    private readonly gunzip: Gunzip | null,
    /** Queued bytes at which inflating pauses until the consumer catches up. */
    private readonly pauseBytes: number,
    /** Settles when the compressed-input pump has stopped (so the handle may close). */
    private readonly pumpDone: Promise<void>
  ) {
    // Flowing mode hands over every chunk zlib pushes as is; read() and async iteration would
    // concatenate chunks that arrive together into a new buffer, defeating the in-place view.
    gunzip?.on('data', (chunk: Buffer) => {
      this.queue.push(chunk)
      this.queueBytes += chunk.length
      if (this.queueBytes >= this.pauseBytes) gunzip.pause()
      this.notify()
    })
    gunzip?.on('end', () => this.finish(null))
    gunzip?.on('error', (error: unknown) => this.finish(error))
    gunzip?.on('close', () => this.finish(null))
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
    let handle: FileHandle
    try {
      handle = await open(path, 'r')
    } catch (error) {
      throw fileReadError(label.reportPath === path ? path : `${label.reportPath} (${label.what})`, error)
    }
    try {
      const { size } = await handle.stat()
      const magic = Buffer.alloc(2)
      if (size >= 2) await handle.read(magic, 0, 2, 0)
      const compressed = magic[0] === 0x1f && magic[1] === 0x8b
      if (!compressed) return new FileByteStream(label, handle, size, false, null, 0, Promise.resolve())
      let hint: number | null = null
      if (size >= MIN_GZIP_BYTES) {
        const trailer = Buffer.alloc(4)
        await handle.read(trailer, 0, 4, size - 4)
        hint = trailer.readUInt32LE(0)
      }
      // Exactly ISIZE + 1 (an output buffer filled to the last byte would make zlib allocate another
      // one), and no more: a typed array viewing this buffer keeps all of it alive.
      const plausible = hint !== null && hint > 0 && hint < MAX_SINGLE_OUTPUT_BYTES && hint <= size * MAX_DEFLATE_RATIO
      const outputBytes = options.singleOutputBuffer && plausible ? Math.max(MIN_ZLIB_CHUNK, (hint ?? 0) + 1) : chunkBytes
      const gunzip = createGunzip({ chunkSize: outputBytes })
      const pumpDone = FileByteStream.pump(handle, gunzip, Math.min(chunkBytes, Math.max(size, 1)))
      return new FileByteStream(label, handle, size, true, gunzip, 4 * chunkBytes, pumpDone)
    } catch (error) {
      await handle.close().catch(() => undefined)
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

  /** Positioned read of an uncompressed file into `target`; returns bytes read (short at EOF). */
  private async readRaw(target: Uint8Array, position: number): Promise<number> {
    let filled = 0
    try {
      while (filled < target.length) {
        // A single read is capped near 2 GiB by the OS, hence the loop.
        const { bytesRead } = await this.handle.read(target, filled, target.length - filled, position + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
    } catch (error) {
      throw fileReadError(this.label.reportPath, error)
    }
    return filled
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
