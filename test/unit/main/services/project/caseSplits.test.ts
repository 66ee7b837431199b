import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assignSplits, stratumOf, TEST_SPLIT_MIN_CASES, type SplitCase } from '../../../../../src/main/services/project/caseSplits'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import type { CaseSplit } from '../../../../../src/shared/project'
import { createRandom } from '../../../../../src/shared/random'
import { TEST_LABELS, makeTempDir, removeDir, syntheticImage } from './projectFixtures'

const id = (n: number): string => `case-${String(n).padStart(3, '0')}`

function project(count: number, labelsOf: (n: number) => Record<string, number> = () => ({ '1': 10, '2': 5 })): SplitCase[] {
  return Array.from({ length: count }, (_, n) => ({ id: id(n), split: null, labelVoxels: labelsOf(n) }))
}

/** Applies the rule to `batch` and records the result in `cases`, as the store does. */
function curate(cases: SplitCase[], batch: readonly string[]): Map<string, CaseSplit> {
  const fresh = assignSplits(cases, batch)
  for (const c of cases) c.split = fresh.get(c.id) ?? c.split
  return fresh
}

function counts(cases: readonly SplitCase[]): Record<CaseSplit, number> {
  const out: Record<CaseSplit, number> = { train: 0, validation: 0, test: 0 }
  for (const c of cases) if (c.split) out[c.split]++
  return out
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = createRandom(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

describe('the split assignment rule', () => {
  it('gives a project of 41 curated cases 20 % validation and 10 % test, the same whatever order they are listed in', () => {
    const cases = project(41)
    const all = assignSplits(cases, cases.map((c) => c.id))
    expect(all.size).toBe(41)
    const tally = { train: 0, validation: 0, test: 0 }
    for (const split of all.values()) tally[split]++
    // 41 × 0.2 = 8.2, 41 × 0.1 = 4.1.
    expect(tally).toEqual({ train: 29, validation: 8, test: 4 })
    for (const seed of [1, 2, 3]) expect(assignSplits(cases, shuffled(cases.map((c) => c.id), seed))).toEqual(all)
  })

  it('stratifies by the labels present: a rare label set is held out in proportion too', () => {
    // Every fifth case has only label 1 and every tenth (offset 2) an empty, curated negative label:
    // strata interleaved so that a rule balancing the project alone puts none of the first in validation.
    const cases = project(90, (n): Record<string, number> => (n % 5 === 0 ? { '1': 7 } : n % 10 === 2 ? {} : { '1': 7, '2': 3, '3': 0 }))
    curate(cases, cases.map((c) => c.id))
    const strata = new Map<string, SplitCase[]>()
    for (const c of cases) strata.set(stratumOf(c.labelVoxels), [...(strata.get(stratumOf(c.labelVoxels)) ?? []), c])
    expect([...strata.keys()].sort()).toEqual(['1', '1+2', 'none'])
    for (const members of strata.values()) {
      const tally = counts(members)
      expect(Math.abs(tally.validation - 0.2 * members.length)).toBeLessThanOrEqual(1)
      expect(Math.abs(tally.test - 0.1 * members.length)).toBeLessThanOrEqual(1)
    }
  })

  it('is incremental: cases curated in any order and in any batches never move, and every stratum stays in proportion', () => {
    for (const seed of [5, 6, 7, 8]) {
      const cases = project(60, (n): Record<string, number> => (n % 4 === 0 ? { '1': 4 } : { '1': 4, '2': 4 }))
      const order = shuffled(cases.map((c) => c.id), seed)
      const random = createRandom(seed + 100)
      const seen = new Map<string, CaseSplit>()
      for (let k = 0; k < order.length; ) {
        const batch = order.slice(k, (k += random.int(1, 6)))
        const fresh = curate(cases, batch)
        // Only the batch is assigned; earlier cases keep theirs.
        expect([...fresh.keys()].sort()).toEqual([...batch].sort())
        for (const [caseId, split] of seen) expect(cases.find((c) => c.id === caseId)?.split).toBe(split)
        for (const [caseId, split] of fresh) seen.set(caseId, split)
        // Asking again for cases that have a split assigns nothing.
        expect(assignSplits(cases, batch).size).toBe(0)
      }
      for (const key of ['1', '1+2']) {
        const members = cases.filter((c) => stratumOf(c.labelVoxels) === key)
        expect(Math.abs(counts(members).validation - 0.2 * members.length), `seed ${seed}, stratum ${key}`).toBeLessThanOrEqual(1)
      }
      const tally = counts(cases)
      expect(Math.abs(tally.validation - 12)).toBeLessThanOrEqual(1)
      expect(Math.abs(tally.test - 6)).toBeLessThanOrEqual(1)
    }
  })

  it(`keeps no test split below ${TEST_SPLIT_MIN_CASES} cases, then fills it to 10 % as cases come`, () => {
    const cases = project(40)
    for (let n = 0; n < TEST_SPLIT_MIN_CASES - 1; n++) curate(cases, [id(n)])
    expect(counts(cases).test).toBe(0)
    expect(counts(cases).validation).toBe(4)
    const twentieth = curate(cases, [id(TEST_SPLIT_MIN_CASES - 1)])
    expect(twentieth.get(id(TEST_SPLIT_MIN_CASES - 1))).toBe('test')
    for (let n = TEST_SPLIT_MIN_CASES; n < 40; n++) curate(cases, [id(n)])
    expect(counts(cases)).toEqual({ train: 28, validation: 8, test: 4 })
  })

  it('holds out the second case of a project for validation, and counts splits the user set', () => {
    const pair = project(3)
    expect(curate(pair, [id(0)]).get(id(0))).toBe('train')
    expect(curate(pair, [id(1)]).get(id(1))).toBe('validation')
    expect(curate(pair, [id(2)]).get(id(2))).toBe('train')

    // Two cases the user put in validation: the next ones train until validation is below 20 % again.
    const cases = project(10)
    cases[0]!.split = 'validation'
    cases[1]!.split = 'validation'
    const fresh = curate(cases, cases.slice(2).map((c) => c.id))
    expect([...fresh.values()].filter((s) => s === 'validation')).toHaveLength(0)
    expect(counts(cases)).toEqual({ train: 8, validation: 2, test: 0 })
  })

  it('leaves out ids it does not know and ids listed twice', () => {
    const cases = project(3)
    expect([...assignSplits(cases, [id(1), 'nope', id(1)]).keys()]).toEqual([id(1)])
  })

  it('names a stratum by the labels with voxels', () => {
    expect(stratumOf({ '2': 5, '10': 1, '1': 3 })).toBe('1+2+10')
    expect(stratumOf({ '1': 0 })).toBe('none')
    expect(stratumOf({})).toBe('none')
  })
})

describe('splits in the project folder', () => {
  let base: string
  let dir: string
  const open: ProjectStore[] = []

  beforeEach(async () => {
    base = await makeTempDir('splits')
    dir = path.join(base, 'project')
  })

  afterEach(async () => {
    for (const store of open.splice(0)) await store.dispose()
    await removeDir(base)
  })

  async function reopen(): Promise<ProjectStore> {
    const { store } = await ProjectStore.open(dir)
    open.push(store)
    return store
  }

  /** Five labelled (done) cases and one unlabeled. */
  async function created(): Promise<ProjectStore> {
    const store = await ProjectStore.create(dir, { name: 'Splits', modality: 'MR', labels: TEST_LABELS })
    open.push(store)
    const image = syntheticImage([4, 4, 4])
    for (let n = 0; n < 5; n++) {
      const labels = new Uint8Array(64)
      labels[n] = 1
      await store.addCase({ id: `case-${n}`, image, labels })
    }
    await store.addCase({ id: 'case-5', image })
    return store
  }

  it('records assignments in cases.json and the audit log, keeps them across opens and never moves them', async () => {
    const store = await created()
    const first = await store.assignSplits(['case-0', 'case-1', 'case-2'])
    expect([...first]).toEqual([
      ['case-0', 'train'],
      ['case-1', 'validation'],
      ['case-2', 'train']
    ])
    expect(store.getCase('case-1').split).toBe('validation')
    expect(store.getCase('case-3').split).toBeNull()
    const onDisk = JSON.parse(await readFile(path.join(dir, 'cases.json'), 'utf8')) as { cases: Array<{ id: string; split: CaseSplit | null }> }
    expect(onDisk.cases.map((c) => c.split)).toEqual(['train', 'validation', 'train', null, null, null])
    const audit = (await store.readAudit()).filter((e) => e.type === 'split')
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'training',
        cases: [
          { caseId: 'case-0', from: null, to: 'train' },
          { caseId: 'case-1', from: null, to: 'validation' },
          { caseId: 'case-2', from: null, to: 'train' }
        ]
      })
    ])

    await store.dispose()
    open.length = 0
    const again = await reopen()
    expect(again.listCases().map((c) => c.split)).toEqual(['train', 'validation', 'train', null, null, null])
    // Asking again answers the recorded splits and writes nothing new.
    const second = await again.assignSplits(['case-4', 'case-0', 'case-1', 'case-2', 'case-3'])
    expect(second.get('case-0')).toBe('train')
    expect(second.get('case-1')).toBe('validation')
    expect((await again.readAudit()).filter((e) => e.type === 'split')).toHaveLength(2)
    expect((await again.assignSplits(['case-1'])).get('case-1')).toBe('validation')
    expect((await again.readAudit()).filter((e) => e.type === 'split')).toHaveLength(2)
  })

  it("moves a case only when the user says so, and the rule then leaves the user's choice alone", async () => {
    const store = await created()
    await store.assignSplits(['case-0', 'case-1'])
    const moved = await store.setSplit('case-0', 'test')
    expect(moved.split).toBe('test')
    expect((await store.readAudit()).at(-1)).toMatchObject({ type: 'split', actor: 'user', cases: [{ caseId: 'case-0', from: 'train', to: 'test' }] })
    expect((await store.assignSplits(['case-0', 'case-2'])).get('case-0')).toBe('test')
    // The unlabeled case may be put aside too (e.g. as a test case before it is curated).
    expect((await store.setSplit('case-5', 'test')).split).toBe('test')
    await expect(store.setSplit('case-0', 'holdout' as CaseSplit)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/holdout/) })
    await expect(store.setSplit('nope', 'train')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(store.assignSplits(['case-1', 'nope'])).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(store.getCase('case-0').split).toBe('test')
  })

  it('reads a cases.json written before splits existed, and rebuilds a lost one with the splits from the audit log', async () => {
    const store = await created()
    await store.assignSplits(['case-0', 'case-1', 'case-2'])
    await store.setSplit('case-2', 'test')
    await store.dispose()
    open.length = 0

    // An older Voxloop's cases.json: no split field at all.
    const file = path.join(dir, 'cases.json')
    const index = JSON.parse(await readFile(file, 'utf8')) as { formatVersion: number; cases: Array<Record<string, unknown>> }
    for (const record of index.cases) delete record.split
    await writeFile(file, JSON.stringify(index))
    const older = await reopen()
    expect(older.listCases().map((c) => c.split)).toEqual([null, null, null, null, null, null])
    expect(older.listCases().map((c) => c.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'unlabeled'])
    await older.dispose()
    open.length = 0

    // A lost index is rebuilt from images/ and labels/; the splits come back from the audit log.
    await rm(file)
    const rebuilt = await reopen()
    expect(rebuilt.listCases().map((c) => c.split)).toEqual(['train', 'validation', 'test', null, null, null])
  })
})
