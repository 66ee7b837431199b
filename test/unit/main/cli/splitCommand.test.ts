/**
 * `voxloop split`: lists a real project's splits and moves cases, recording each move in cases.json
 * and the audit log; bad input is refused before the project is touched, and an unknown case id
 * moves nothing.
 */
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseSplitCommandInput, splitCommand, type SplitReport } from '../../../../src/main/cli/commands/splitCommand'
import { ProjectStore } from '../../../../src/main/services/project/ProjectStore'
import { makeTempDir, removeDir, snapshotTree, syntheticImage, TEST_LABELS } from '../services/project/projectFixtures'

let base: string
let project: string
let printed: string

beforeEach(async () => {
  base = await makeTempDir('cli-split')
  project = path.join(base, 'project')
  const store = await ProjectStore.create(project, { name: 'Split', modality: 'MR', labels: TEST_LABELS })
  const labels = new Uint8Array(8 * 6 * 5).fill(1, 0, 20)
  // a, b, c curated (done, labelled); d labelled but in review; e unlabelled.
  for (const id of ['a', 'b', 'c']) await store.addCase({ id, image: syntheticImage([8, 6, 5]), labels, status: 'done' })
  await store.addCase({ id: 'd', image: syntheticImage([8, 6, 5]), labels, status: 'in-review' })
  await store.addCase({ id: 'e', image: syntheticImage([8, 6, 5]) })
  await store.assignSplits(['a', 'b', 'c'])
  await store.dispose()
  printed = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk)
    return true
  })
})

afterEach(async () => {
  vi.restoreAllMocks()
  await removeDir(base)
})

async function splitsOnDisk(): Promise<Record<string, string | null>> {
  const { store } = await ProjectStore.open(project)
  try {
    return Object.fromEntries(store.listCases().map((c) => [c.id, c.split]))
  } finally {
    await store.dispose()
  }
}

describe('voxloop split', () => {
  it('lists the cases and curated cases of each split', async () => {
    const before = await splitsOnDisk()
    const report = await splitCommand(project, parseSplitCommandInput([], undefined), { json: false })
    const inSplit = (split: string): string[] => Object.keys(before).filter((id) => before[id] === split)
    expect(report.splits.train.caseIds).toEqual(inSplit('train'))
    expect(report.splits.validation.caseIds).toEqual(inSplit('validation'))
    expect(report.splits.none).toEqual({ caseIds: ['d', 'e'], curated: [] })
    expect(report.moved).toEqual([])
    expect(printed).toMatch(/^ {2}no split yet {4}2 case\(s\), 0 curated; not curated: d, e$/m)
    const train = inSplit('train')
    expect(printed).toMatch(new RegExp(`^ {2}train +${train.length} case\\(s\\), ${train.length} curated: ${train.join(', ')}$`, 'm'))
    expect(printed).toMatch(/^ {2}test +0 case\(s\), 0 curated$/m)
    expect(printed).not.toMatch(/Moved/)
  })

  it('moves cases to a split, records it, and says that earlier test figures no longer compare', async () => {
    const before = await splitsOnDisk()
    const report = await splitCommand(project, parseSplitCommandInput(['a', 'e'], 'test'), { json: true })
    const printedReport = JSON.parse(printed) as SplitReport
    expect(printedReport).toEqual(report)
    expect(report.moved).toEqual([
      { caseId: 'a', from: before.a, to: 'test' },
      { caseId: 'e', from: null, to: 'test' }
    ])
    expect(report.splits.test).toEqual({ caseIds: ['a', 'e'], curated: ['a'] })
    expect(report.notes.some((n) => /test figures measured before .* are not comparable/.test(n))).toBe(true)
    expect(await splitsOnDisk()).toMatchObject({ a: 'test', e: 'test' })
    const { store } = await ProjectStore.open(project)
    const audit = (await store.readAudit()).filter((entry) => entry.type === 'split' && entry.actor === 'user')
    await store.dispose()
    expect(audit).toHaveLength(2)

    // Again: nothing moves, and the text says they are there already.
    printed = ''
    const again = await splitCommand(project, parseSplitCommandInput(['a'], 'test'), { json: false })
    expect(again.moved).toEqual([])
    expect(printed).toMatch(/^Already in test: a$/m)
    expect(printed).not.toMatch(/not comparable/)
  })

  it('moves nothing when one of the ids is not a case of the project', async () => {
    const before = await snapshotTree(project)
    await expect(splitCommand(project, parseSplitCommandInput(['a', 'nope'], 'validation'), { json: false })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/has no case nope; nothing was moved/)
    })
    const after = await snapshotTree(project)
    // Opening the project may refresh its lock file; cases.json and the audit log must be as they were.
    expect(after.get('cases.json')).toBe(before.get('cases.json'))
    expect(after.get('audit.jsonl')).toBe(before.get('audit.jsonl'))
  })
})

describe('parseSplitCommandInput', () => {
  it.each([
    [['a'], undefined, /moving cases needs --set train\|validation\|test/],
    [[], 'test', /--set needs the ids of the cases to move/],
    [['a'], 'holdout', /--set must be one of train, validation, test, got "holdout"/],
    [['../x'], 'test', /not a case id: "\.\.\/x"/],
    [['a', 'b', 'a'], 'train', /case\(s\) named more than once: a/]
  ])('%j --set %s is refused', (ids, set, message) => {
    expect(() => parseSplitCommandInput(ids, set)).toThrow(message)
  })

  it('takes ids with a split, or nothing (the listing)', () => {
    expect(parseSplitCommandInput(['a', 'b'], 'validation')).toEqual({ caseIds: ['a', 'b'], set: 'validation' })
    expect(parseSplitCommandInput([], undefined)).toEqual({ caseIds: [] })
  })
})
