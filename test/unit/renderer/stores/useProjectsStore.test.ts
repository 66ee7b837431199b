import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ProjectOverview } from '../../../../src/shared/contract'
import type { CaseSummary } from '../../../../src/shared/project'

/** Replies to api.cases.list that the test resolves in the order it chooses. */
const pendingLists: ((list: CaseSummary[]) => void)[] = []
const handlers = new Map<string, () => void>()
/** What api.cases.setSplit answers: the moved case, or a refusal. */
let setSplitAnswer: (caseId: string, split: string) => Promise<CaseSummary> = async () => {
  throw new Error('not set')
}

vi.mock('../../../../src/renderer/src/bridge/api', () => ({
  api: {
    cases: {
      list: () => new Promise<CaseSummary[]>((resolve) => pendingLists.push(resolve)),
      setSplit: (caseId: string, split: string) => setSplitAnswer(caseId, split)
    },
    on: (event: string, handler: () => void) => handlers.set(event, handler)
  }
}))

const { useProjectsStore } = await import('../../../../src/renderer/src/stores/useProjectsStore')

function summary(id: string, uncertainty: number | null): CaseSummary {
  return { id, prediction: uncertainty === null ? null : { uncertainty } } as unknown as CaseSummary
}

describe('useProjectsStore case list', () => {
  beforeEach(() => {
    pendingLists.length = 0
    handlers.clear()
    setActivePinia(createPinia())
  })

  it('keeps the newest list when overlapping refreshes answer out of order (one cases:changed per predicted case)', async () => {
    const store = useProjectsStore()
    store.current = { folder: '/p' } as unknown as ProjectOverview
    const changed = handlers.get('cases:changed')
    if (!changed) throw new Error('the store did not subscribe to cases:changed')
    changed() // after the first case was predicted
    changed() // after the second
    expect(pendingLists).toHaveLength(2)
    const [older, newer] = pendingLists
    newer?.([summary('a', 0.4), summary('b', 0.9)])
    await Promise.resolve()
    older?.([summary('a', 0.4), summary('b', null)])
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(store.cases.map((c) => c.prediction?.uncertainty ?? null)).toEqual([0.4, 0.9])
  })
})

describe('useProjectsStore split', () => {
  beforeEach(() => {
    handlers.clear()
    setActivePinia(createPinia())
  })

  const withSplit = (id: string, split: CaseSummary['split']): CaseSummary => ({ id, split }) as unknown as CaseSummary

  it("shows the case's new split once main has recorded it", async () => {
    const store = useProjectsStore()
    store.cases = [withSplit('a', 'train'), withSplit('b', 'validation')]
    setSplitAnswer = async (caseId, split) => withSplit(caseId, split as CaseSummary['split'])
    await store.setSplit('a', 'test')
    expect(store.cases.map((c) => [c.id, c.split])).toEqual([
      ['a', 'test'],
      ['b', 'validation']
    ])
    expect(store.error).toBeNull()
  })

  it("keeps the recorded split and shows main's refusal", async () => {
    const store = useProjectsStore()
    store.cases = [withSplit('a', 'train')]
    setSplitAnswer = async () => {
      throw new Error('The project is read-only')
    }
    await store.setSplit('a', 'test')
    expect(store.cases[0]?.split).toBe('train')
    expect(store.error).toBe('The project is read-only')
  })
})
