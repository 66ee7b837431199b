import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { collapseChanges, EditSync, type EditSyncState } from '../../../../src/renderer/src/workspace/EditSync'
import type { LabelChange } from '../../../../src/renderer/src/tools'
import { VoxloopError } from '../../../../src/shared/errors'

function change(indices: number[], value: number): LabelChange {
  return { indices: Uint32Array.from(indices), values: new Uint8Array(indices.length).fill(value) }
}

describe('EditSync on a full disk', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps refused strokes, says the disk is full, and saves them in order once space is free', async () => {
    const received: Array<{ indices: number[]; values: number[] }> = []
    let full = true
    const states: EditSyncState[] = []
    const sync = new EditSync(
      async (edit) => {
        if (full) throw new VoxloopError('DISK_FULL', 'Disk full: your last strokes are kept in memory and will be saved when space is free')
        received.push({ indices: [...edit.indices], values: [...edit.values] })
      },
      (state) => states.push(state)
    )
    sync.push(change([1, 2], 1))
    await vi.advanceTimersByTimeAsync(0)
    sync.push(change([2, 3], 2))
    await vi.advanceTimersByTimeAsync(0)
    expect(states.at(-1)).toMatchObject({ pending: 2, errorCode: 'DISK_FULL' })
    expect(states.at(-1)?.error).toMatch(/kept in memory/)
    // Still full a few retries later: nothing is dropped.
    await vi.advanceTimersByTimeAsync(3000)
    expect(received).toEqual([])
    full = false
    await vi.advanceTimersByTimeAsync(1000)
    expect(received).toEqual([{ indices: [1, 2, 2, 3], values: [1, 1, 2, 2] }])
    expect(states.at(-1)).toEqual({ pending: 0, error: null, errorCode: null, refused: false })
    sync.dispose()
  })
})

describe('EditSync when the project refuses an edit', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('does not resend a refused edit on its own, keeps it, and sends it (with later ones, in order) on retry()', async () => {
    const sent: Array<{ indices: number[]; values: number[] }> = []
    let allowed = new Set([0, 2])
    const states: EditSyncState[] = []
    const sync = new EditSync(
      async (edit) => {
        sent.push({ indices: [...edit.indices], values: [...edit.values] })
        for (const value of edit.values) if (value !== 0 && !allowed.has(value)) throw new VoxloopError('INVALID_ARGUMENT', `label ${value} is not in the project's label table`)
      },
      (state) => states.push(state)
    )
    sync.push(change([5, 6], 1))
    await vi.advanceTimersByTimeAsync(0)
    expect(states.at(-1)).toMatchObject({ pending: 1, refused: true, errorCode: 'INVALID_ARGUMENT' })
    // Later strokes wait behind it rather than being sent (and refused) one by one.
    sync.push(change([6, 7], 2))
    await vi.advanceTimersByTimeAsync(10_000)
    expect(sent).toHaveLength(1)
    expect([...sync.pendingValues()]).toEqual([1, 2])
    allowed = new Set([0, 1, 2])
    sync.retry()
    await vi.advanceTimersByTimeAsync(0)
    // One voxel, one value: the last one written (6 → 2).
    expect(sent.at(-1)).toEqual({ indices: [5, 6, 7], values: [1, 2, 2] })
    expect(states.at(-1)).toEqual({ pending: 0, error: null, errorCode: null, refused: false })
    sync.dispose()
  })

  it('flush() tries refused edits once more and throws when they are still refused', async () => {
    let calls = 0
    const sync = new EditSync(
      async () => {
        calls++
        throw new VoxloopError('INVALID_ARGUMENT', 'label 4 is not in the project\'s label table')
      },
      () => undefined
    )
    sync.push(change([1], 4))
    await vi.advanceTimersByTimeAsync(0)
    await expect(sync.flush()).rejects.toThrow(/label 4 is not in the project's label table/)
    expect(calls).toBe(2)
    sync.dispose()
  })
})

describe('collapseChanges', () => {
  it('gives the end state of replaying the changes in order, one entry per voxel', () => {
    const merged = collapseChanges([change([3, 1], 1), change([1, 2], 2), change([3], 0)])
    expect([...merged.indices]).toEqual([1, 2, 3])
    expect([...merged.values]).toEqual([2, 2, 0])
  })
})
