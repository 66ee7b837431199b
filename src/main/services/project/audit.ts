import { open, readFile, type FileHandle } from 'node:fs/promises'
import { VoxloopError } from '../../../shared/errors'
import { AuditEntrySchema, type AuditEntry, type AuditEntryInput } from '../../../shared/project'
import { isErrno } from './fsUtil'

/**
 * `audit.jsonl`: one JSON object per line, appended and fdatasynced, never rewritten. A crash can
 * leave a torn last line; `open` ends it with a newline so the next entry starts clean, and
 * `readAuditLog` skips lines that do not parse.
 */
export class AuditLog {
  private tail: Promise<void> = Promise.resolve()

  private constructor(
    /** null for a project opened read-only: nothing may be appended. */
    private readonly handle: FileHandle | null,
    private readonly now: () => Date
  ) {}

  /** The log of a project opened read-only: reading works, appending is refused. */
  static readOnly(now: () => Date = () => new Date()): AuditLog {
    return new AuditLog(null, now)
  }

  static async open(file: string, now: () => Date = () => new Date()): Promise<AuditLog> {
    const handle = await open(file, 'a+')
    try {
      await terminateTornLine(handle)
    } catch (error) {
      await handle.close()
      throw error
    }
    return new AuditLog(handle, now)
  }

  /** Appends one entry; resolves when it is on disk. Entries keep the order of the calls. */
  append(entry: AuditEntryInput): Promise<AuditEntry> {
    const handle = this.handle
    if (!handle) return Promise.reject(new VoxloopError('READ_ONLY', 'The project is open read-only: its audit log cannot be written'))
    const stamped = AuditEntrySchema.parse({ ...entry, at: this.now().toISOString() })
    const line = `${JSON.stringify(stamped)}\n`
    const write = this.tail.then(async () => {
      const { size } = await handle.stat()
      try {
        await handle.appendFile(line, 'utf8')
        await handle.datasync()
      } catch (error) {
        // A full disk can take part of the line: cut it off so the next entry does not glue onto it.
        await handle.truncate(size).catch(() => undefined)
        throw error
      }
    })
    this.tail = write.catch(() => undefined)
    return write.then(() => stamped)
  }

  async close(): Promise<void> {
    await this.tail
    await this.handle?.close()
  }
}

async function terminateTornLine(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat()
  if (size === 0) return
  const last = Buffer.alloc(1)
  await handle.read(last, 0, 1, size - 1)
  if (last[0] !== 0x0a) {
    await handle.appendFile('\n', 'utf8')
    await handle.datasync()
  }
}

/** All entries that parse, oldest first; torn or foreign lines are skipped. */
export async function readAuditLog(file: string): Promise<AuditEntry[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return []
    throw error
  }
  const entries: AuditEntry[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const parsed = AuditEntrySchema.safeParse(JSON.parse(line))
      if (parsed.success) entries.push(parsed.data)
    } catch {
      // A torn line from a crash: skipped.
    }
  }
  return entries
}
