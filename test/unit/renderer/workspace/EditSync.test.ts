import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EditSync, type EditSyncState } from '../../../../src/renderer/src/workspace/EditSync'
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
    expect(states.at(-1)).toEqual({ pending: 0, error: null, errorCode: null })
    sync.dispose()
  })
})
