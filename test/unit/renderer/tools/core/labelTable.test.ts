import { describe, expect, it } from 'vitest'
import { countVoxelsPerLabel, deleteLabelVoxels, findLabelVoxels, reassignLabel, widenLabelsFor } from '../../../../../src/renderer/src/tools/core/labelTable'
import { VoxelEditor, type LabelChangeEvent } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { grid } from '../helpers'

describe('label table helpers', () => {
  it('counts voxels per label present, background included', () => {
    expect(countVoxelsPerLabel(Uint8Array.from([0, 1, 1, 5, 0, 0]))).toEqual(new Map([[0, 3], [1, 2], [5, 1]]))
    expect(countVoxelsPerLabel(Uint16Array.from([65535, 65535, 2]))).toEqual(new Map([[2, 1], [65535, 2]]))
    expect(Array.from(findLabelVoxels(Uint8Array.from([0, 1, 1, 5, 1]), 1))).toEqual([1, 2, 4])
  })

  it('deletes a label to background as one undo unit and reports it to listeners', () => {
    const labels = Uint8Array.from([0, 3, 3, 2, 3, 0])
    const editor = new VoxelEditor(labels, grid([6, 1, 1]))
    const events: LabelChangeEvent[] = []
    editor.onChange((event) => events.push(event))
    expect(deleteLabelVoxels(editor, 3)).toBe(3)
    expect(Array.from(labels)).toEqual([0, 0, 0, 2, 0, 0])
    expect(editor.undoDescription).toBe('Delete label 3')
    expect(events).toHaveLength(1)
    expect(Array.from(events[0].indices)).toEqual([1, 2, 4])
    expect(Array.from(events[0].values)).toEqual([0, 0, 0])
    editor.undo()
    expect(Array.from(labels)).toEqual([0, 3, 3, 2, 3, 0])
    // Deleting a label with no voxels leaves no undo unit.
    expect(deleteLabelVoxels(editor, 7)).toBe(0)
    expect(editor.undoDepth).toBe(0)
    expect(editor.redoDepth).toBe(1)
  })

  it('merges one label into another', () => {
    const labels = Uint8Array.from([1, 2, 1, 0])
    const editor = new VoxelEditor(labels, grid([4, 1, 1]))
    expect(reassignLabel(editor, { from: 1, to: 2 })).toBe(2)
    expect(Array.from(labels)).toEqual([2, 2, 2, 0])
    expect(() => reassignLabel(editor, { from: 0, to: 2 })).toThrow(/background/)
    expect(() => reassignLabel(editor, { from: 2, to: 256 })).toThrow(/does not fit/)
  })

  it('widens an 8-bit map to 16 bits only when a label id needs it, so the brush can paint id 256', () => {
    const narrow = Uint8Array.from([0, 7, 255])
    expect(widenLabelsFor(narrow, 255)).toBe(narrow)
    const wide = widenLabelsFor(narrow, 256)
    expect(wide).toBeInstanceOf(Uint16Array)
    expect(Array.from(wide)).toEqual([0, 7, 255])
    const sixteen = Uint16Array.from([300])
    expect(widenLabelsFor(sixteen, 65535)).toBe(sixteen)
    expect(() => widenLabelsFor(narrow, 65536)).toThrow(/65536/)

    const editor = new VoxelEditor(wide, grid([3, 1, 1]))
    editor.applyEdit('Paint label 256', (e) => e.writeValue(Uint32Array.from([0]), 256))
    expect(Array.from(wide)).toEqual([256, 7, 255])
  })
})
