import { describe, expect, it } from 'vitest'
import { VoxelEditor, type LabelChangeEvent } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { indexFromIjk } from '../../../../../src/renderer/src/tools/core/grid'
import { OVERWRITE_ANY, OVERWRITE_BACKGROUND, type OverwriteRule } from '../../../../../src/renderer/src/tools/core/paintRules'
import type { GrowOutcome, GrowRunner } from '../../../../../src/renderer/src/tools/growFromSeeds/GrowWorkerClient'
import { growFromSeeds, type GrowRequest } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import { runGrowJob } from '../../../../../src/renderer/src/tools/growFromSeeds/protocol'
import { GrowFromSeedsSession, GROW_DESCRIPTION, type GrowSessionState } from '../../../../../src/renderer/src/tools/growFromSeeds/session'
import { VoxloopError } from '../../../../../src/shared/errors'
import { grid, imageWhere } from './helpers'

/**
 * 12×6×2 voxels: a bright block (i < 5, value 200) in dark tissue (value 20). Label 1 is seeded in
 * the block, background outside; the right answer is label 1 on exactly the block.
 */
const g = grid([12, 6, 2])
const image = imageWhere(g, (i) => (i < 5 ? 200 : 20))
const at = (i: number, j: number, k: number): number => indexFromIjk(g, i, j, k)
const BLOCK = 5 * 6 * 2

/** The worker's own job function, run in-process: the session sees what the app's worker returns. */
const direct: GrowRunner = (request) => {
  const { reply } = runGrowJob({ id: 1, request })
  return reply.ok ? Promise.resolve({ result: reply.result, milliseconds: reply.milliseconds }) : Promise.reject(new VoxloopError(reply.error.code, reply.error.message))
}

function setup(options: { labels?: Uint8Array; overwrite?: OverwriteRule; runner?: GrowRunner } = {}) {
  const labels = options.labels ?? new Uint8Array(144)
  const editor = new VoxelEditor(labels, g)
  const events: LabelChangeEvent[] = []
  editor.onChange((event) => events.push(event))
  const states: GrowSessionState[] = []
  let redraws = 0
  const session = new GrowFromSeedsSession(
    editor,
    () => image,
    options.runner ?? direct,
    () => ({ marginMm: 100, locality: 0, overwrite: options.overwrite ?? OVERWRITE_ANY }),
    {
      labelsChanged: () => redraws++,
      stateChanged: (state) => states.push(state)
    }
  )
  return { labels, editor, events, states, session, redraws: () => redraws }
}

const count = (labels: ArrayLike<number>, value: number): number => Array.from(labels).filter((v) => v === value).length

describe('grow from seeds session: seeds and preview', () => {
  it('shows seeds at once (background in the marker value) without committing anything', () => {
    const { labels, editor, events, session, redraws } = setup()
    session.paintSeeds([at(1, 2, 0), at(2, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    expect(labels[at(1, 2, 0)]).toBe(1)
    expect(labels[at(10, 3, 1)]).toBe(255)
    expect(session.backgroundMarker).toBe(255)
    expect(editor.inStroke).toBe(true)
    expect(events).toEqual([])
    expect(redraws()).toBe(2)
    expect(session.state).toMatchObject({ phase: 'seeding', seedVoxels: 3, seedValues: [0, 1] })
  })

  it('previews the competition in the label map: label 1 on exactly the bright block, still uncommitted', async () => {
    const { labels, editor, events, session } = setup()
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.preview()
    expect(session.state.phase).toBe('preview')
    expect(count(labels, 1)).toBe(BLOCK)
    for (let i = 0; i < 12; i++) expect(labels[at(i, 0, 1)]).toBe(i < 5 ? 1 : 0)
    // The background seed is still drawn in its marker colour; nothing else holds the marker.
    expect(labels[at(10, 3, 1)]).toBe(255)
    expect(count(labels, 255)).toBe(1)
    // Only the block changes: the dark side was background already.
    expect(session.state.previewVoxels).toBe(BLOCK)
    expect(events).toEqual([])
    expect(editor.canUndo).toBe(false)
  })

  it('records how many workers the last competition ran on (2 when the job came back split)', async () => {
    const split: GrowRunner = async (request) => ({ ...(await direct(request)), split: { planeK: 1, rounds: 1, workerMilliseconds: [1, 1] } })
    const one = setup()
    expect(one.session.state.workers).toBeNull()
    one.session.paintSeeds([at(1, 2, 0)], 1)
    one.session.paintSeeds([at(10, 3, 1)], 0)
    await one.session.preview()
    expect(one.session.state.workers).toBe(1)
    const two = setup({ runner: split })
    two.session.paintSeeds([at(1, 2, 0)], 1)
    two.session.paintSeeds([at(10, 3, 1)], 0)
    await two.session.preview()
    expect(two.session.state).toMatchObject({ phase: 'preview', workers: 2 })
  })

  it('refuses to preview one kind of seed alone, saying what to paint', async () => {
    const { labels, session } = setup()
    session.paintSeeds([at(1, 2, 0)], 1)
    await session.preview()
    expect(session.state.error).toMatch(/two kinds/)
    expect(session.state.phase).toBe('seeding')
    expect(count(labels, 1)).toBe(1)
  })

  it('marks the preview stale when seeds change, and a new preview follows the new seeds', async () => {
    const { labels, session } = setup()
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.preview()
    // A second label seeded in the dark tissue: it takes the dark side from background's seed by distance.
    session.paintSeeds([at(6, 3, 1)], 2)
    expect(session.state.stale).toBe(true)
    await session.preview()
    expect(session.state.stale).toBe(false)
    expect(count(labels, 1)).toBe(BLOCK)
    expect(labels[at(7, 3, 1)]).toBe(2)
    expect(labels[at(11, 3, 1)]).toBe(0)
  })
})

describe('grow from seeds session: apply and cancel', () => {
  it('applies as ONE undo unit with background seeds written as 0, and one undo restores everything', async () => {
    const before = new Uint8Array(144)
    before[at(9, 0, 0)] = 3 // an existing label in the dark region: background wins it back to 0
    const { labels, editor, events, session } = setup({ labels: before.slice() })
    session.paintSeeds([at(1, 2, 0), at(1, 3, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    const summary = await session.apply()
    expect(summary).toEqual({ description: GROW_DESCRIPTION, voxelCount: BLOCK + 1 })
    expect(editor.inStroke).toBe(false)
    expect(editor.undoDepth).toBe(1)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ cause: 'edit', description: GROW_DESCRIPTION })
    expect(count(labels, 1)).toBe(BLOCK)
    expect(count(labels, 255)).toBe(0)
    expect(labels[at(9, 0, 0)]).toBe(0)
    expect(session.state.phase).toBe('idle')
    expect(editor.undo()).toBe(true)
    expect(Array.from(labels)).toEqual(Array.from(before))
    expect(editor.canUndo).toBe(false)
  })

  it('apply computes the preview first when the seeds changed since', async () => {
    const { labels, session } = setup()
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.preview()
    session.paintSeeds([at(6, 0, 0)], 2)
    await session.apply()
    expect(labels[at(7, 0, 0)]).toBe(2)
  })

  it('honours the paint-over rule: "background only" leaves existing labels as they were', async () => {
    const before = new Uint8Array(144)
    before[at(2, 2, 1)] = 4
    before[at(9, 0, 0)] = 3
    const { labels, session } = setup({ labels: before.slice(), overwrite: OVERWRITE_BACKGROUND })
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.apply()
    expect(labels[at(2, 2, 1)]).toBe(4)
    expect(labels[at(9, 0, 0)]).toBe(3)
    expect(count(labels, 1)).toBe(BLOCK - 1)
  })

  it('cancel restores every voxel and records nothing; a later session starts clean', async () => {
    const before = new Uint8Array(144)
    before[at(0, 0, 0)] = 7
    const { labels, editor, events, session } = setup({ labels: before.slice() })
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.preview()
    session.cancel()
    expect(Array.from(labels)).toEqual(Array.from(before))
    expect(editor.inStroke).toBe(false)
    expect(events).toEqual([])
    expect(session.state).toMatchObject({ phase: 'idle', seedVoxels: 0 })
    // The old seeds are gone: one new seed alone cannot grow.
    session.paintSeeds([at(1, 1, 1)], 1)
    await session.preview()
    expect(session.state.error).toMatch(/two kinds/)
  })

  it('a run superseded by cancel never writes its result', async () => {
    let release: () => void = () => undefined
    const slow: GrowRunner = (request: GrowRequest) =>
      new Promise<GrowOutcome>((resolve) => {
        release = () => resolve({ result: growFromSeeds(request), milliseconds: 1 })
      })
    const { labels, session } = setup({ runner: slow })
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    const running = session.preview()
    expect(session.state.phase).toBe('computing')
    session.cancel()
    release()
    await running
    expect(count(labels, 1)).toBe(0)
    expect(session.state.phase).toBe('idle')
  })

  it('a worker failure is shown, and seeds stay for another try', async () => {
    const failing: GrowRunner = () => Promise.reject(new VoxloopError('INTERNAL', 'out of memory'))
    const { labels, session } = setup({ runner: failing })
    session.paintSeeds([at(1, 2, 0)], 1)
    session.paintSeeds([at(10, 3, 1)], 0)
    await session.preview()
    expect(session.state.error).toBe('Grow from seeds failed: out of memory')
    expect(session.state.phase).toBe('seeding')
    expect(labels[at(1, 2, 0)]).toBe(1)
    expect(await session.apply()).toBeNull()
  })

  it('is no longer alive once the editor drops its stroke (the case closed), and refuses use after dispose', () => {
    const { editor, session } = setup()
    session.paintSeeds([at(1, 2, 0)], 1)
    expect(session.alive).toBe(true)
    editor.dispose()
    expect(session.alive).toBe(false)
    session.dispose()
    expect(() => session.paintSeeds([at(1, 2, 0)], 1)).toThrow(/closed/)
  })

  it('refuses a seed value the label map cannot hold and indices outside the grid, changing nothing', () => {
    const { labels, editor, session } = setup()
    expect(() => session.paintSeeds([0], 256)).toThrow(/does not fit/)
    expect(() => session.paintSeeds([144], 1)).toThrow(/outside/)
    expect(count(labels, 0)).toBe(144)
    expect(session.state.seedVoxels).toBe(0)
    // The stroke the refused call opened is closed again: another tool can edit.
    expect(editor.inStroke).toBe(false)
  })
})
