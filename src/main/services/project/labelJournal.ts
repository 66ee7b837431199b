import { open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import { JOURNAL_EXT } from './projectPaths'
import { syncDirectory } from '../../../node/storage/durableWrite'

/**
 * The crash-recovery journal of label edits (docs/DATASTORE.md). One file per case and generation,
 * `journal/<case>.<generation>.vxj`: an 8-byte header, then framed records
 *
 *   u32 RECORD_MAGIC | u32 payload length | u32 crc32(payload) | payload
 *   payload = u8 kind (1 = edit) | u8 bytes per value (1|2) | u16 0 | u32 count | f64 time (ms since epoch)
 *             | u32 indices[count] | u8|u16 values[count]
 *
 * all little-endian. Values are absolute (the new voxel value, not a delta), so replaying a record
 * twice, or on top of a label file that already contains it, gives the same result. A crash can only
 * tear the last record (each append is fsynced before the next starts); the reader stops at the
 * first record whose frame or checksum does not verify and reports the bytes it dropped.
 */

export interface LabelEdit {
  /** Flat voxel indices, i + nx·(j + ny·k). */
  indices: Uint32Array
  /** The new value of each voxel (absolute), same length as `indices`. */
  values: Uint8Array | Uint16Array
}

export interface JournalRecord {
  edit: LabelEdit
  /** When the edit was made, ms since the epoch. */
  atMs: number
}

export interface DecodedJournal {
  records: JournalRecord[]
  /** Bytes after the last verified record (a torn write, or a wrong header). */
  droppedBytes: number
}

const FILE_MAGIC = 0x4a4c5856 // 'VXLJ'
const FILE_VERSION = 1
export const JOURNAL_HEADER_BYTES = 8
const RECORD_MAGIC = 0x52434a56 // 'VJCR'
const FRAME_BYTES = 12
const PAYLOAD_FIXED_BYTES = 16
const KIND_EDIT = 1

export function encodeJournalHeader(): Uint8Array {
  const bytes = new Uint8Array(JOURNAL_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, FILE_MAGIC, true)
  view.setUint32(4, FILE_VERSION, true)
  return bytes
}

export function encodeJournalRecord(edit: LabelEdit, atMs: number): Uint8Array {
  const count = edit.indices.length
  const valueBytes = edit.values instanceof Uint16Array ? 2 : 1
  const payloadLength = PAYLOAD_FIXED_BYTES + count * (4 + valueBytes)
  const bytes = new Uint8Array(FRAME_BYTES + payloadLength)
  const view = new DataView(bytes.buffer)
  const payloadStart = FRAME_BYTES
  view.setUint8(payloadStart, KIND_EDIT)
  view.setUint8(payloadStart + 1, valueBytes)
  view.setUint32(payloadStart + 4, count, true)
  view.setFloat64(payloadStart + 8, atMs, true)
  let offset = payloadStart + PAYLOAD_FIXED_BYTES
  for (let n = 0; n < count; n++, offset += 4) view.setUint32(offset, edit.indices[n] ?? 0, true)
  for (let n = 0; n < count; n++, offset += valueBytes) {
    const value = edit.values[n] ?? 0
    if (valueBytes === 2) view.setUint16(offset, value, true)
    else view.setUint8(offset, value)
  }
  view.setUint32(0, RECORD_MAGIC, true)
  view.setUint32(4, payloadLength, true)
  view.setUint32(8, crc32(bytes.subarray(payloadStart)), true)
  return bytes
}

/** Decodes one payload whose checksum verified; null if its inner lengths are inconsistent. */
function decodePayload(payload: Uint8Array): JournalRecord | null {
  if (payload.length < PAYLOAD_FIXED_BYTES) return null
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const valueBytes = view.getUint8(1)
  const count = view.getUint32(4, true)
  if (view.getUint8(0) !== KIND_EDIT || (valueBytes !== 1 && valueBytes !== 2)) return null
  if (payload.length !== PAYLOAD_FIXED_BYTES + count * (4 + valueBytes)) return null
  const indices = new Uint32Array(count)
  const values = valueBytes === 2 ? new Uint16Array(count) : new Uint8Array(count)
  let offset = PAYLOAD_FIXED_BYTES
  for (let n = 0; n < count; n++, offset += 4) indices[n] = view.getUint32(offset, true)
  for (let n = 0; n < count; n++, offset += valueBytes) {
    values[n] = valueBytes === 2 ? view.getUint16(offset, true) : view.getUint8(offset)
  }
  return { edit: { indices, values }, atMs: view.getFloat64(8, true) }
}

/** Reads the verified records of a journal file's bytes; stops at the first torn or corrupt one. */
export function decodeJournal(bytes: Uint8Array): DecodedJournal {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerOk =
    bytes.length >= JOURNAL_HEADER_BYTES &&
    view.getUint32(0, true) === FILE_MAGIC &&
    view.getUint32(4, true) === FILE_VERSION
  if (!headerOk) return { records: [], droppedBytes: bytes.length }
  const records: JournalRecord[] = []
  let offset = JOURNAL_HEADER_BYTES
  while (offset + FRAME_BYTES <= bytes.length) {
    if (view.getUint32(offset, true) !== RECORD_MAGIC) break
    const payloadLength = view.getUint32(offset + 4, true)
    const end = offset + FRAME_BYTES + payloadLength
    if (end > bytes.length) break
    const payload = bytes.subarray(offset + FRAME_BYTES, end)
    if (crc32(payload) !== view.getUint32(offset + 8, true)) break
    const record = decodePayload(payload)
    if (!record) break
    records.push(record)
    offset = end
  }
  return { records, droppedBytes: bytes.length - offset }
}

export async function readJournalFile(file: string): Promise<DecodedJournal> {
  return decodeJournal(await readFile(file))
}

export interface SegmentName {
  caseId: string
  generation: number
}

const SEGMENT_NAME = new RegExp(`^(.+)\\.(\\d{6,})${JOURNAL_EXT.replace('.', '\\.')}$`)

/** `hippo_001.000003.vxj` → { caseId: 'hippo_001', generation: 3 }; null for anything else. */
export function parseSegmentName(fileName: string): SegmentName | null {
  const match = SEGMENT_NAME.exec(fileName)
  if (!match?.[1] || !match[2]) return null
  return { caseId: match[1], generation: Number(match[2]) }
}

interface PendingAppend {
  bytes: Uint8Array
  onDurable: () => void
  resolve: () => void
  reject: (error: unknown) => void
}

/** One positional write, as `FileHandle.write` does it; injectable so tests can make writes short. */
export type PositionalWrite = (
  handle: FileHandle,
  data: Uint8Array,
  offset: number,
  length: number,
  position: number
) => Promise<{ bytesWritten: number }>

const writeAt: PositionalWrite = (handle, data, offset, length, position) => handle.write(data, offset, length, position)

export interface JournalAppenderOptions {
  write?: PositionalWrite
}

/**
 * Appends records to one journal segment with group commit: records queued while a write is in
 * flight go out together in the next write + fdatasync. A record's promise resolves (and its
 * `onDurable` runs, in append order) only after every byte of it is on disk.
 *
 * A failed or short write (a full disk writes part of a record and then fails) is never
 * acknowledged: the file is truncated back to its last whole record, and until that truncation has
 * succeeded nothing more is written, so a torn record can never sit in front of later ones (where
 * recovery, which stops at the first torn record, would lose them). A later append retries the
 * truncation first, so the journal works again as soon as space is freed.
 */
export class JournalAppender {
  private handle: FileHandle | null = null
  /** Bytes of whole, durable records (and the header): everything past it is garbage to truncate. */
  private size = 0
  /** The file may hold bytes past `size` (a failed write whose truncation failed too). */
  private dirtyTail = false
  private queue: PendingAppend[] = []
  private flushing: Promise<void> | null = null
  private closed = false
  private appendedRecords = 0
  private readonly write: PositionalWrite

  constructor(
    readonly file: string,
    options: JournalAppenderOptions = {}
  ) {
    this.write = options.write ?? writeAt
  }

  /** Records appended and durable so far. */
  get records(): number {
    return this.appendedRecords
  }

  /** Bytes of the file that hold whole records (for tests and diagnostics). */
  get durableBytes(): number {
    return this.size
  }

  append(bytes: Uint8Array, onDurable: () => void = () => undefined): Promise<void> {
    if (this.closed) {
      return Promise.reject(new VoxloopError('INTERNAL', `Journal ${path.basename(this.file)} is closed`))
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, onDurable, resolve, reject })
      this.flushing ??= this.flushLoop()
    })
  }

  /** Resolves when everything appended so far is durable (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  async close(): Promise<void> {
    this.closed = true
    await this.drain()
    await this.handle?.close()
    this.handle = null
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0)
        try {
          await this.writeDurably(batch.map((pending) => pending.bytes))
        } catch (error) {
          for (const pending of batch) pending.reject(journalWriteError(this.file, error))
          continue
        }
        this.appendedRecords += batch.length
        for (const pending of batch) pending.onDurable()
        for (const pending of batch) pending.resolve()
      }
    } finally {
      this.flushing = null
    }
  }

  private async writeDurably(chunks: Uint8Array[]): Promise<void> {
    const handle = await this.openHandle()
    if (this.dirtyTail) await this.truncateTail(handle)
    const data = Buffer.concat(chunks)
    try {
      await writeFully(this.write, handle, data, this.size)
      await handle.datasync()
    } catch (error) {
      this.dirtyTail = true
      await this.truncateTail(handle).catch(() => undefined)
      throw error
    }
    this.size += data.length
  }

  /** Cuts the file back to its whole records and makes that durable; throws if it cannot. */
  private async truncateTail(handle: FileHandle): Promise<void> {
    await handle.truncate(this.size)
    await handle.datasync()
    this.dirtyTail = false
  }

  /** Creates the file with its header and makes the new directory entry durable before any record. */
  private async openHandle(): Promise<FileHandle> {
    if (this.handle) return this.handle
    const handle = await open(this.file, 'wx')
    try {
      const header = encodeJournalHeader()
      await writeFully(this.write, handle, header, 0)
      await handle.sync()
      await syncDirectory(path.dirname(this.file))
    } catch (error) {
      await handle.close().catch(() => undefined)
      await rm(this.file, { force: true }).catch(() => undefined)
      throw error
    }
    this.size = JOURNAL_HEADER_BYTES
    this.handle = handle
    return handle
  }
}

/** Writes all of `data` at `position`, looping over short writes; a write that makes no progress is a failure. */
async function writeFully(write: PositionalWrite, handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await write(handle, data, done, data.length - done, position + done)
    if (!(bytesWritten > 0)) {
      throw Object.assign(new Error(`short write: ${done} of ${data.length} bytes reached the file`), { code: 'ENOSPC' })
    }
    done += bytesWritten
  }
}

/** Errors that mean "no space" rather than a broken disk or a bug. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

function journalWriteError(file: string, cause: unknown): VoxloopError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  if (isDiskFull(cause)) {
    return new VoxloopError(
      'DISK_FULL',
      `Disk full: your last strokes are kept in memory and will be saved when space is free (journal ${path.basename(file)}: ${reason})`,
      { cause }
    )
  }
  return new VoxloopError('INTERNAL', `Could not write the label journal ${path.basename(file)}: ${reason}`, { cause })
}

export interface JournalListing {
  /** Generations per case id, ascending. */
  segments: Map<string, number[]>
  /** Files in journal/ that are not segments. */
  foreign: string[]
}

export async function listJournalSegments(journalDir: string): Promise<JournalListing> {
  const segments = new Map<string, number[]>()
  const foreign: string[] = []
  const names = await readdir(journalDir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[]
    throw error
  })
  for (const name of names.sort()) {
    const parsed = parseSegmentName(name)
    if (!parsed) {
      foreign.push(name)
      continue
    }
    const list = segments.get(parsed.caseId) ?? []
    list.push(parsed.generation)
    segments.set(parsed.caseId, list)
  }
  for (const list of segments.values()) list.sort((a, b) => a - b)
  return { segments, foreign }
}
