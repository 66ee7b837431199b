import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ProjectOverview } from '../../../../src/shared/contract'
import type { CaseSummary } from '../../../../src/shared/project'

/** Replies to api.cases.list that the test resolves in the order it chooses. */
const pendingLists: ((list: CaseSummary[]) => void)[] = []
const handlers = new Map<string, () => void>()

vi.mock('../../../../src/renderer/src/bridge/api', () => ({
  api: {
    cases: { list: () => new Promise<CaseSummary[]>((resolve) => pendingLists.push(resolve)) },
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
