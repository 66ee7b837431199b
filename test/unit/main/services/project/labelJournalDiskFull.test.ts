/**
 * A full disk never costs an acknowledged edit. First with injected short writes (what a full
 * disk does: part of the buffer reaches the file, then ENOSPC), then end to end on a real 4 MiB
 * tmpfs with a child process that is SIGKILLed after space was freed.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  JOURNAL_HEADER_BYTES,
  JournalAppender,
  decodeJournal,
  encodeJournalRecord,
  type LabelEdit,
  type PositionalWrite
} from '../../../../../src/main/services/project/labelJournal'
import { VoxloopError } from '../../../../../src/shared/errors'
import { itUnless } from '../../../../helpers/skipWithReason'
import { mountSmallTmpfs, runDiskFullCycles, unmount } from '../../../../helpers/reliability/diskFullHarness'

function edit(first: number, count: number, value: number): LabelEdit {
  return { indices: Uint32Array.from({ length: count }, (_, n) => first + n), values: new Uint8Array(count).fill(value) }
}

const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

describe('journal appends on a full disk (injected short writes)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'voxloop-diskfull-unit-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a record that reached the file only in part, cuts it off, and works again once space is free', async () => {
    const file = path.join(dir, 'a.000001.vxj')
    let mode: 'ok' | 'full' = 'ok'
    // A full disk: the first call writes half the buffer and reports it, the next one fails.
    let fullCalls = 0
    const write: PositionalWrite = async (handle, data, offset, length, position) => {
      if (mode === 'ok') return handle.write(data, offset, length, position)
      fullCalls++
      if (fullCalls % 2 === 1) return handle.write(data, offset, Math.max(1, Math.floor(length / 2)), position)
      throw enospc()
    }
    const appender = new JournalAppender(file, { write })
    const first = encodeJournalRecord(edit(0, 50, 1), 1)
    await appender.append(first)
    const goodSize = (await stat(file)).size
    expect(goodSize).toBe(JOURNAL_HEADER_BYTES + first.length)

    mode = 'full'
    const refused = await appender.append(encodeJournalRecord(edit(100, 400, 2), 2)).then(
      () => null,
      (error: unknown) => error
    )
    expect(refused).toBeInstanceOf(VoxloopError)
    expect((refused as VoxloopError).code).toBe('DISK_FULL')
    expect((refused as VoxloopError).message).toMatch(/kept in memory and will be saved when space is free/)
    // The half-written record is gone: the file ends at its last whole record.
    expect((await stat(file)).size).toBe(goodSize)
    expect(appender.records).toBe(1)

    mode = 'ok'
    const third = encodeJournalRecord(edit(1000, 30, 3), 3)
    await appender.append(third)
    await appender.close()
    const decoded = decodeJournal(await readFile(file))
    expect(decoded.droppedBytes).toBe(0)
    expect(decoded.records.map((record) => record.atMs)).toEqual([1, 3])
  })

  it('treats a write that makes no progress as a failure, not as written', async () => {
    const file = path.join(dir, 'b.000001.vxj')
    let stuck = false
    const write: PositionalWrite = async (handle, data, offset, length, position) =>
      stuck ? { bytesWritten: 0 } : handle.write(data, offset, length, position)
    const appender = new JournalAppender(file, { write })
    await appender.append(encodeJournalRecord(edit(0, 5, 1), 1))
    stuck = true
    await expect(appender.append(encodeJournalRecord(edit(5, 5, 1), 2))).rejects.toMatchObject({ code: 'DISK_FULL' })
    stuck = false
    await appender.append(encodeJournalRecord(edit(10, 5, 1), 3))
    await appender.close()
    expect(decodeJournal(await readFile(file)).records.map((record) => record.atMs)).toEqual([1, 3])
  })
})

const MOUNT = path.join(tmpdir(), `voxloop-diskfull-${process.pid}`)
const mountFailure = mountSmallTmpfs(MOUNT, 4 * 1024 * 1024)

describe('disk full on a real tmpfs, with a kill after space was freed', () => {
  afterAll(async () => {
    unmount(MOUNT)
    await rm(MOUNT, { recursive: true, force: true })
  })

  itUnless(mountFailure, 'loses no acknowledged edit over 3 fill/free/kill cycles', async () => {
    const report = await runDiskFullCycles({ mountDir: MOUNT, cycles: 3, seed: 0x0d15c })
    expect(report.problems).toEqual([])
    // Each cycle really hit the full disk and really saved edits after the space came back.
    for (const cycle of report.cycles) {
      expect(cycle.refusals).toBeGreaterThan(0)
      expect(cycle.ackedAfterFree).toBeGreaterThan(0)
    }
    expect(report.lost).toBe(0)
    expect(report.refusalMessages.every((line) => / DISK_FULL Disk full: your last strokes are kept in memory/.test(line))).toBe(true)
  }, 180_000)
})
