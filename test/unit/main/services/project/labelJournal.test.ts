import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  JOURNAL_HEADER_BYTES,
  JournalAppender,
  decodeJournal,
  encodeJournalHeader,
  encodeJournalRecord,
  parseSegmentName,
  readJournalFile,
  type LabelEdit
} from '../../../../../src/main/services/project/labelJournal'

function edit(indices: number[], values: number[], wide = false): LabelEdit {
  return { indices: Uint32Array.from(indices), values: wide ? Uint16Array.from(values) : Uint8Array.from(values) }
}

function journalBytes(...records: Uint8Array[]): Uint8Array {
  return Buffer.concat([encodeJournalHeader(), ...records])
}

describe('journal records', () => {
  it('round-trips 8- and 16-bit edits with their time', () => {
    const bytes = journalBytes(encodeJournalRecord(edit([0, 7, 9], [1, 2, 0]), 1000), encodeJournalRecord(edit([3], [300], true), 2000))
    const decoded = decodeJournal(bytes)
    expect(decoded.droppedBytes).toBe(0)
    expect(decoded.records).toHaveLength(2)
    expect([...decoded.records[0]!.edit.indices]).toEqual([0, 7, 9])
    expect([...decoded.records[0]!.edit.values]).toEqual([1, 2, 0])
    expect(decoded.records[0]!.atMs).toBe(1000)
    expect(decoded.records[1]!.edit.values).toBeInstanceOf(Uint16Array)
    expect([...decoded.records[1]!.edit.values]).toEqual([300])
  })

  it('drops a torn last record at every cut point and keeps the ones before it', () => {
    const first = encodeJournalRecord(edit([1, 2], [1, 1]), 1)
    const last = encodeJournalRecord(edit([5, 6, 7], [2, 2, 2]), 2)
    const full = journalBytes(first, last)
    for (let cut = JOURNAL_HEADER_BYTES + first.length; cut < full.length; cut++) {
      const decoded = decodeJournal(full.subarray(0, cut))
      expect(decoded.records).toHaveLength(1)
      expect(decoded.droppedBytes).toBe(cut - JOURNAL_HEADER_BYTES - first.length)
    }
  })

  it('stops at a record whose checksum does not match', () => {
    const first = encodeJournalRecord(edit([1], [1]), 1)
    const second = encodeJournalRecord(edit([2], [1]), 2)
    const bytes = journalBytes(first, second)
    bytes[JOURNAL_HEADER_BYTES + first.length + 20] ^= 0xff
    const decoded = decodeJournal(bytes)
    expect(decoded.records).toHaveLength(1)
    expect(decoded.droppedBytes).toBe(second.length)
  })

  it('treats a file with a torn or foreign header as holding nothing', () => {
    expect(decodeJournal(encodeJournalHeader().subarray(0, 5))).toEqual({ records: [], droppedBytes: 5 })
    expect(decodeJournal(new Uint8Array(40)).records).toEqual([])
  })

  it('parses segment names, case ids with dots included', () => {
    expect(parseSegmentName('hippo_001.000003.vxj')).toEqual({ caseId: 'hippo_001', generation: 3 })
    expect(parseSegmentName('a.b.000010.vxj')).toEqual({ caseId: 'a.b', generation: 10 })
    expect(parseSegmentName('case.vxj')).toBeNull()
    expect(parseSegmentName('case.000001.vxj.tmp')).toBeNull()
  })
})

describe('JournalAppender', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'voxloop-journal-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('makes every concurrent append durable, in order, before resolving', async () => {
    const file = path.join(dir, 'case.000001.vxj')
    const appender = new JournalAppender(file)
    const durableOrder: number[] = []
    const appends = Array.from({ length: 50 }, (_, n) =>
      appender.append(encodeJournalRecord(edit([n], [n % 3]), n), () => durableOrder.push(n))
    )
    await Promise.all(appends)
    expect(durableOrder).toEqual(Array.from({ length: 50 }, (_, n) => n))
    const decoded = await readJournalFile(file)
    expect(decoded.records.map((record) => record.edit.indices[0])).toEqual(durableOrder)
    expect(appender.records).toBe(50)
    await appender.close()
    await expect(appender.append(encodeJournalRecord(edit([1], [1]), 1))).rejects.toThrow(/closed/)
  })

  it('refuses to reuse an existing segment file', async () => {
    const file = path.join(dir, 'case.000001.vxj')
    await writeFile(file, journalBytes(encodeJournalRecord(edit([1], [1]), 1)))
    const before = await readFile(file)
    const appender = new JournalAppender(file)
    await expect(appender.append(encodeJournalRecord(edit([2], [1]), 2))).rejects.toThrow(/journal/)
    expect(await readFile(file)).toEqual(before)
    await appender.close()
  })
})
