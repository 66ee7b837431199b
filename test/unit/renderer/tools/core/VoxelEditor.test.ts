import { describe, expect, it } from 'vitest'
import { VoxelEditor, type LabelChangeEvent } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { VoxloopError } from '../../../../../src/shared/errors'
import { grid, seededRandom } from '../helpers'

const g = grid([5, 4, 3])
const N = 60

/** One random stroke: a few random voxels set to random labels 0..4. */
function randomStroke(editor: VoxelEditor, random: () => number, description: string): void {
  editor.beginStroke(description)
  const count = 1 + Math.floor(random() * 6)
  const indices = Array.from({ length: count }, () => Math.floor(random() * N))
  editor.write(indices, indices.map(() => Math.floor(random() * 5)))
  editor.endStroke()
}

describe('VoxelEditor strokes and history', () => {
  it('records a stroke as one undo unit with the original values', () => {
    const labels = new Uint8Array(N)
    labels[7] = 2
    const editor = new VoxelEditor(labels, g)
    editor.beginStroke('Brush')
    expect(editor.writeValue([6, 7, 8], 1)).toBe(3)
    expect(editor.writeValue([7, 8, 9], 3)).toBe(3) // 7 and 8 are touched twice; 7's original stays 2
    expect(editor.write([6], [1])).toBe(0) // already 1
    expect(editor.endStroke()).toEqual({ description: 'Brush', voxelCount: 4 })
    expect(Array.from(labels.subarray(6, 10))).toEqual([1, 3, 3, 3])
    expect(editor.undoDepth).toBe(1)
    expect(editor.undo()).toBe(true)
    expect(labels[7]).toBe(2)
    expect(labels.filter((v) => v !== 0).length).toBe(1)
    expect(editor.redo()).toBe(true)
    expect(Array.from(labels.subarray(6, 10))).toEqual([1, 3, 3, 3])
  })

  it('skips empty strokes and strokes that end where they started', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    editor.beginStroke('Nothing')
    expect(editor.endStroke()).toBeNull()
    editor.beginStroke('There and back')
    editor.writeValue([1, 2], 4)
    editor.writeValue([1, 2], 0)
    expect(editor.endStroke()).toBeNull()
    expect(editor.canUndo).toBe(false)
    expect(editor.revision).toBe(0)
  })

  it('restores the exact original after 150 random strokes undone, and the exact result when redone', () => {
    const random = seededRandom(42)
    const labels = Uint8Array.from({ length: N }, () => Math.floor(random() * 3))
    const original = labels.slice()
    const editor = new VoxelEditor(labels, g)
    let units = 0
    for (let n = 0; n < 150; n++) {
      const revision = editor.revision
      randomStroke(editor, random, `stroke ${n}`)
      if (editor.revision !== revision) units++
    }
    expect(units).toBeGreaterThan(100)
    expect(editor.undoDepth).toBe(units)
    const final = labels.slice()
    while (editor.undo());
    expect(labels).toEqual(original)
    expect(editor.redoDepth).toBe(units)
    while (editor.redo());
    expect(labels).toEqual(final)
  })

  it('keeps at least 100 steps by default and drops the oldest past the step cap', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    for (let n = 0; n < 120; n++) {
      editor.beginStroke(`s${n}`)
      editor.writeValue([n % N], (n % 4) + 1 === labels[n % N] ? 0 : (n % 4) + 1)
      editor.endStroke()
    }
    expect(editor.undoDepth).toBe(120)
    while (editor.undo());
    expect(labels).toEqual(new Uint8Array(N))

    const capped = new VoxelEditor(new Uint8Array(N), g, { maxUndoSteps: 3 })
    for (let n = 0; n < 5; n++) {
      capped.beginStroke(`s${n}`)
      capped.writeValue([n], 1)
      capped.endStroke()
    }
    expect(capped.undoDepth).toBe(3)
    while (capped.undo());
    // Strokes 0 and 1 could no longer be undone.
    expect(Array.from(capped.labels.subarray(0, 5))).toEqual([1, 1, 0, 0, 0])
  })

  it('drops the oldest units past the memory cap, always keeping the newest', () => {
    // Each unit of 10 voxels costs 10·(4 + 1 + 1) = 60 bytes plus a fixed 256.
    const editor = new VoxelEditor(new Uint8Array(N), g, { maxHistoryBytes: 3 * 316 })
    for (let n = 0; n < 5; n++) {
      editor.beginStroke(`s${n}`)
      editor.writeValue(Array.from({ length: 10 }, (_, p) => p + 10 * n), 1)
      editor.endStroke()
    }
    expect(editor.undoDepth).toBe(3)
    expect(editor.historyBytes).toBe(3 * 316)
    const tiny = new VoxelEditor(new Uint8Array(N), g, { maxHistoryBytes: 10 })
    for (let n = 0; n < 3; n++) {
      tiny.beginStroke(`s${n}`)
      tiny.writeValue([n], 1)
      tiny.endStroke()
    }
    expect(tiny.undoDepth).toBe(1)
    expect(tiny.undoDescription).toBe('s2')
  })

  it('clears redo on a new edit', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    for (const value of [1, 2]) {
      editor.beginStroke(`paint ${value}`)
      editor.writeValue([0], value)
      editor.endStroke()
    }
    editor.undo()
    expect(editor.canRedo).toBe(true)
    expect(editor.redoDescription).toBe('paint 2')
    editor.beginStroke('paint 3')
    editor.writeValue([1], 3)
    editor.endStroke()
    expect(editor.canRedo).toBe(false)
    expect(editor.redo()).toBe(false)
    expect(Array.from(labels.subarray(0, 2))).toEqual([1, 3])
  })

  it('cancels a stroke, rolls back a failing operation and ignores undo mid-stroke', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    editor.beginStroke('kept')
    editor.writeValue([0], 1)
    editor.endStroke()
    editor.beginStroke('Escape')
    editor.writeValue([0, 1, 2], 2)
    expect(editor.canUndo).toBe(false)
    expect(editor.undo()).toBe(false)
    editor.cancelStroke()
    expect(Array.from(labels.subarray(0, 3))).toEqual([1, 0, 0])
    expect(() =>
      editor.applyEdit('broken', (e) => {
        e.writeValue([5, 6], 3)
        throw new Error('kernel failed')
      })
    ).toThrow('kernel failed')
    expect(labels[5]).toBe(0)
    expect(editor.inStroke).toBe(false)
    expect(editor.undoDepth).toBe(1)
  })

  it('fails closed on misuse and bad input, changing nothing', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    expect(() => editor.writeValue([0], 1)).toThrow(/open stroke/)
    editor.beginStroke('a')
    expect(() => editor.beginStroke('b')).toThrow(/still open/)
    expect(() => editor.writeValue([0, N], 1)).toThrow(VoxloopError)
    expect(() => editor.writeValue([-1], 1)).toThrow(/outside/)
    expect(() => editor.writeValue([1.5], 1)).toThrow(/outside/)
    expect(() => editor.writeValue([0], 256)).toThrow(/does not fit/)
    expect(() => editor.write([0, 1], [1, 300])).toThrow(/does not fit/)
    expect(() => editor.write([0, 1], [1])).toThrow(/2 indices but 1 values/)
    expect(labels).toEqual(new Uint8Array(N))
    expect(editor.endStroke()).toBeNull()
    expect(() => new VoxelEditor(new Uint8Array(N - 1), g)).toThrow(/59 voxels/)
    expect(() => new VoxelEditor(labels, g, { maxUndoSteps: 0 })).toThrow(/maxUndoSteps/)
    // Uint16 maps take values up to 65535.
    const wide = new VoxelEditor(new Uint16Array(N), g)
    wide.beginStroke('wide')
    wide.writeValue([3], 65535)
    wide.endStroke()
    expect(wide.labels[3]).toBe(65535)
  })
})

describe('VoxelEditor dirty tracking', () => {
  it('reports dirty slices per axis and the bounding box, including an open stroke, then resets', () => {
    const labels = new Uint8Array(N)
    const editor = new VoxelEditor(labels, g)
    expect(editor.takeDirty()).toBeNull()
    editor.beginStroke('Brush')
    // (1, 2, 0) and (4, 0, 2).
    editor.writeValue([1 + 5 * 2, 4 + 5 * (0 + 4 * 2)], 1)
    expect(editor.takeDirty()).toEqual({ axial: [0, 2], coronal: [0, 2], sagittal: [1, 4], bounds: { minIjk: [1, 0, 0], maxIjk: [4, 2, 2] } })
    expect(editor.takeDirty()).toBeNull()
    // Writing a voxel's current value is not a change.
    editor.writeValue([1 + 5 * 2], 1)
    expect(editor.takeDirty()).toBeNull()
    editor.endStroke()
    editor.undo()
    expect(editor.takeDirty()?.sagittal).toEqual([1, 4])
    // A cancelled stroke marks the voxels it restores.
    editor.beginStroke('x')
    editor.writeValue([59], 1)
    editor.takeDirty()
    editor.cancelStroke()
    expect(editor.takeDirty()).toEqual({ axial: [2], coronal: [3], sagittal: [4], bounds: { minIjk: [4, 3, 2], maxIjk: [4, 3, 2] } })
  })
})

describe('VoxelEditor change events and saved state', () => {
  it('emits absolute new values on stroke end, undo and redo; replaying them reproduces the labels', () => {
    const random = seededRandom(3)
    const labels = Uint8Array.from({ length: N }, () => Math.floor(random() * 3))
    const journal = labels.slice()
    const editor = new VoxelEditor(labels, g)
    const events: LabelChangeEvent[] = []
    const unsubscribe = editor.onChange((event) => {
      events.push(event)
      for (let n = 0; n < event.indices.length; n++) journal[event.indices[n]] = event.values[n]
    })
    editor.beginStroke('Brush')
    editor.writeValue([0, 1], 4)
    expect(events).toHaveLength(0) // nothing before the stroke ends
    editor.endStroke()
    expect(events[0]).toMatchObject({ cause: 'edit', description: 'Brush', revision: 1 })
    expect(Array.from(events[0].values)).toEqual([4, 4])
    expect(events[0].values).toBeInstanceOf(Uint8Array)
    editor.undo()
    expect(events[1].cause).toBe('undo')
    expect(Array.from(events[1].indices)).toEqual([0, 1])
    expect(Array.from(events[1].values)).toEqual([labels[0], labels[1]])
    editor.redo()
    expect(Array.from(events[2].values)).toEqual([4, 4])
    for (let n = 0; n < 40; n++) randomStroke(editor, random, `r${n}`)
    for (let n = 0; n < 15; n++) editor.undo()
    for (let n = 0; n < 5; n++) editor.redo()
    expect(journal).toEqual(labels)
    // Events carry their own copies: mutating one does not touch the history.
    events[0].values.fill(9)
    while (editor.undo());
    while (editor.redo());
    expect(journal).toEqual(labels)
    unsubscribe()
    const count = events.length
    randomStroke(editor, random, 'after unsubscribe')
    expect(events).toHaveLength(count)
  })

  it('commits before rethrowing a listener error, and still notifies the other listeners', () => {
    const editor = new VoxelEditor(new Uint8Array(N), g)
    let notified = 0
    editor.onChange(() => {
      throw new Error('journal full')
    })
    editor.onChange(() => notified++)
    editor.beginStroke('Brush')
    editor.writeValue([0], 1)
    expect(() => editor.endStroke()).toThrow('journal full')
    expect(notified).toBe(1)
    expect(editor.undoDepth).toBe(1)
    expect(editor.inStroke).toBe(false)
  })

  it('tracks unsaved changes against the saved state, through undo and redo', () => {
    const editor = new VoxelEditor(new Uint8Array(N), g)
    expect(editor.isDirty).toBe(false)
    const paint = (index: number): void => {
      editor.beginStroke('p')
      editor.writeValue([index], 1)
      editor.endStroke()
    }
    paint(0)
    expect(editor.isDirty).toBe(true)
    expect(editor.revision).toBe(1)
    editor.markSaved()
    expect(editor.isDirty).toBe(false)
    editor.undo()
    expect(editor.isDirty).toBe(true)
    editor.redo()
    expect(editor.isDirty).toBe(false)
    expect(editor.revision).toBe(3)
    editor.undo()
    paint(1) // a different branch: the saved state is unreachable now
    expect(editor.isDirty).toBe(true)
    // Saved mid-stroke: the file holds uncommitted voxels, so it stays dirty until saved again.
    editor.beginStroke('q')
    editor.writeValue([2], 1)
    editor.markSaved()
    editor.cancelStroke()
    expect(editor.isDirty).toBe(true)
    editor.markSaved()
    expect(editor.isDirty).toBe(false)
  })
})
