import { readFile } from 'node:fs/promises'
import { CaseIndexSchema, PROJECT_FORMAT_VERSION, type CaseRecord } from '../../../shared/project'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { isErrno } from './fsUtil'

/**
 * `cases.json`: one record per case (status, grid, label voxel counts, times), kept apart from
 * voxloop.json so a save or a status change rewrites only this file, atomically. It can always be
 * rebuilt from images/ and labels/, so a missing or unreadable one is not fatal.
 */

export type CaseIndexRead = { records: CaseRecord[]; problem: null } | { records: null; problem: string }

export async function readCaseIndex(file: string): Promise<CaseIndexRead> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { records: null, problem: `${file} is missing` }
    throw error
  }
  try {
    const parsed = CaseIndexSchema.safeParse(JSON.parse(text))
    if (parsed.success) return { records: parsed.data.cases, problem: null }
    return { records: null, problem: `${file} is not a valid case index` }
  } catch {
    return { records: null, problem: `${file} is not valid JSON` }
  }
}

export async function writeCaseIndex(file: string, records: Iterable<CaseRecord>): Promise<void> {
  const cases = [...records].sort((a, b) => a.id.localeCompare(b.id))
  await writeFileAtomic(file, `${JSON.stringify({ formatVersion: PROJECT_FORMAT_VERSION, cases }, null, 1)}\n`)
}

/**
 * Serialises writes of the index and coalesces bursts: every caller's change is on disk when its
 * promise resolves, but ten status changes in a row cost at most two writes.
 */
export class CaseIndexWriter {
  private dirty = false
  private running: Promise<void> | null = null

  constructor(private readonly write: () => Promise<void>) {}

  persist(): Promise<void> {
    this.dirty = true
    this.running ??= this.drain()
    return this.running
  }

  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined)
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false
        try {
          await this.write()
        } catch (error) {
          this.dirty = true
          throw error
        }
      }
    } finally {
      this.running = null
    }
  }
}
