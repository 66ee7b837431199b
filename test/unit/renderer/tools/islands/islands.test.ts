import { describe, expect, it } from 'vitest'
import { findAllButLargestComponent, findSmallIslands, keepLargestComponent, removeSmallIslands } from '../../../../../src/renderer/src/tools/islands/islands'
import { VoxelEditor } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { grid, ijkKeys } from '../helpers'

/**
 * 6×4×2 grid. Slice k = 0:          slice k = 1:
 *   1 1 0 0 2 2                      1 0 0 0 0 0
 *   1 1 0 0 0 2                      0 0 0 0 0 0
 *   0 0 1 0 0 0                      0 0 0 0 2 0
 *   0 0 0 1 1 0                      0 0 0 0 0 0
 * Label 1: a 5-voxel component (2×2 block + (0,0,1) above it), a single voxel (2,2,0) touching the
 * block only diagonally, and a 2-voxel bar. Label 2: a 3-voxel component and a single voxel.
 */
const g = grid([6, 4, 2])
function sample(): Uint8Array {
  const rows = [
    [1, 1, 0, 0, 2, 2, 1, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0],
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
  ]
  return Uint8Array.from(rows.flat())
}

describe('island removal', () => {
  it('removes 6-connected components below the size, for every label', () => {
    const plan = findSmallIslands(sample(), g, { minVoxels: 3 })
    expect(ijkKeys(g, plan.indices)).toEqual(['2,2,0', '3,3,0', '4,2,1', '4,3,0'])
    expect(plan.removedComponents).toBe(3)
    expect(plan.keptComponents).toBe(2)
  })

  it('limits removal to one label', () => {
    const plan = findSmallIslands(sample(), g, { minVoxels: 3, label: 2 })
    expect(ijkKeys(g, plan.indices)).toEqual(['4,2,1'])
    expect(findSmallIslands(sample(), g, { minVoxels: 1 }).indices.length).toBe(0)
    expect(() => findSmallIslands(sample(), g, { label: 0 })).toThrow(/background/)
  })

  it('removes through the editor as one undo unit', () => {
    const labels = sample()
    const editor = new VoxelEditor(labels, g)
    const result = removeSmallIslands(editor, { minVoxels: 3 })
    expect(result.voxelCount).toBe(4)
    expect(labels.filter((v) => v !== 0).length).toBe(8)
    expect(editor.undoDepth).toBe(1)
    editor.undo()
    expect(labels).toEqual(sample())
  })

  it('keeps only the largest component of each label', () => {
    const plan = findAllButLargestComponent(sample(), g)
    expect(ijkKeys(g, plan.indices)).toEqual(['2,2,0', '3,3,0', '4,2,1', '4,3,0'])
    expect(plan).toMatchObject({ removedComponents: 3, keptComponents: 2 })
    const onlyOne = findAllButLargestComponent(sample(), g, { label: 1 })
    expect(ijkKeys(g, onlyOne.indices)).toEqual(['2,2,0', '3,3,0', '4,3,0'])
    const labels = sample()
    const editor = new VoxelEditor(labels, g)
    keepLargestComponent(editor, { label: 2 })
    expect(labels[4 + 6 * (2 + 4 * 1)]).toBe(0)
    expect(labels.filter((v) => v === 2).length).toBe(3)
    expect(editor.undoDescription).toBe('Keep largest part of label 2')
  })

  it('keeps the first of equally large components and handles Uint16 labels', () => {
    // Components {0, 1} and {3, 4} tie at 2 voxels; {6} is a single voxel.
    const labels = Uint16Array.from([300, 300, 0, 300, 300, 0, 300])
    const row = grid([7, 1, 1])
    const plan = findAllButLargestComponent(labels, row)
    expect(Array.from(plan.indices)).toEqual([3, 4, 6])
    expect(Array.from(findSmallIslands(labels, row, { minVoxels: 2 }).indices)).toEqual([6])
  })
})
