import { describe, expect, it } from 'vitest'
import { applyFill, DEFAULT_FILL_CONFIG, floodRegion, type FillConfig } from '../../../../../src/renderer/src/tools/fill/fill'
import { OVERWRITE_BACKGROUND } from '../../../../../src/renderer/src/tools/core/paintRules'
import { VoxelEditor } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { grid, ijkKeys, paintWhere } from '../helpers'

/**
 * 5×5×3 grid. On every slice a ring of label 1 encloses the 3×3 centre... except slice k = 1 where the
 * ring is only the 4-connected wall with its corners missing (a diagonal gap, which 4-connected filling
 * must not cross). The centre voxel (2,2) of slice 1 holds label 2.
 *
 *   slice 0 and 2:      slice 1:
 *   1 1 1 1 1           0 1 1 1 0
 *   1 0 0 0 1           1 0 0 0 1
 *   1 0 0 0 1           1 0 2 0 1
 *   1 0 0 0 1           1 0 0 0 1
 *   1 1 1 1 1           0 1 1 1 0
 */
const g = grid([5, 5, 3])
function rings(): Uint8Array {
  const labels = new Uint8Array(75)
  paintWhere(labels, g, 1, (i, j, k) => {
    const edge = i === 0 || i === 4 || j === 0 || j === 4
    const corner = (i === 0 || i === 4) && (j === 0 || j === 4)
    return edge && !(k === 1 && corner)
  })
  labels[2 + 5 * (2 + 5 * 1)] = 2
  return labels
}

const fill = (overrides: Partial<FillConfig>): FillConfig => ({ ...DEFAULT_FILL_CONFIG, ...overrides })

describe('flood fill', () => {
  it('fills the 4-connected region of the seed label in one slice, not through diagonal gaps', () => {
    const labels = rings()
    const region = floodRegion(labels, g, { seedIjk: [1, 1, 1], dimension: '2d', axis: 'axial', bound: { kind: 'label' }, maxVoxels: 1000 })
    expect(region.aborted).toBe(false)
    expect(region.seedLabel).toBe(0)
    // The 3×3 interior minus the label-2 centre.
    expect(ijkKeys(g, region.indices)).toEqual(['1,1,1', '1,2,1', '1,3,1', '2,1,1', '2,3,1', '3,1,1', '3,2,1', '3,3,1'])
  })

  it('fills in 3D with 6-connectivity across slices', () => {
    const labels = rings()
    const region = floodRegion(labels, g, { seedIjk: [1, 1, 1], dimension: '3d', axis: 'axial', bound: { kind: 'label' }, maxVoxels: 1000 })
    // Interiors of all three slices (9 + 8 + 9): the missing corners of slice 1 are reachable only
    // diagonally from the interior, and from slices 0/2 only through ring voxels (label 1).
    expect(region.indices.length).toBe(26)
    expect(ijkKeys(g, region.indices)).not.toContain('0,0,1')
  })

  it.each(['axial', 'coronal', 'sagittal'] as const)('fills the %s slice through the seed only', (axis) => {
    const labels = new Uint8Array(27)
    const cube = grid([3, 3, 3])
    const region = floodRegion(labels, cube, { seedIjk: [1, 1, 1], dimension: '2d', axis, bound: { kind: 'label' }, maxVoxels: 1000 })
    const normal = axis === 'axial' ? 2 : axis === 'coronal' ? 1 : 0
    expect(region.indices.length).toBe(9)
    for (const key of ijkKeys(cube, region.indices)) expect(key.split(',')[normal]).toBe('1')
  })

  it('fills an intensity range, bounded by intensity rather than labels', () => {
    // A 5×1×1 row: intensities 100 110 300 120 105, all background. Range 90..150 from seed 0 stops at 300.
    const row = grid([5, 1, 1])
    const labels = new Uint8Array(5)
    const image = Int16Array.from([100, 110, 300, 120, 105])
    const bound = { kind: 'intensity', range: { min: 90, max: 150 } } as const
    const region = floodRegion(labels, row, { seedIjk: [0, 0, 0], dimension: '3d', axis: 'axial', bound, image, maxVoxels: 100 })
    expect(Array.from(region.indices).sort()).toEqual([0, 1])
    // The intensity fill crosses label edges unless the overwrite rule protects them.
    labels[1] = 7
    const crossing = floodRegion(labels, row, { seedIjk: [0, 0, 0], dimension: '3d', axis: 'axial', bound, image, maxVoxels: 100 })
    expect(Array.from(crossing.indices).sort()).toEqual([0, 1])
    const walled = floodRegion(labels, row, { seedIjk: [0, 0, 0], dimension: '3d', axis: 'axial', bound, image, overwrite: OVERWRITE_BACKGROUND, maxVoxels: 100 })
    expect(Array.from(walled.indices)).toEqual([0])
    // A seed outside the range fills nothing.
    const outside = floodRegion(labels, row, { seedIjk: [2, 0, 0], dimension: '3d', axis: 'axial', bound, image, maxVoxels: 100 })
    expect(outside).toEqual({ indices: new Uint32Array(0), aborted: false, seedLabel: 0 })
    expect(() => floodRegion(labels, row, { seedIjk: [0, 0, 0], dimension: '3d', axis: 'axial', bound, maxVoxels: 100 })).toThrow(/image channel/)
  })

  it('aborts cleanly past the voxel cap: no change, no undo unit', () => {
    const labels = rings()
    const before = labels.slice()
    const editor = new VoxelEditor(labels, g)
    const result = applyFill(editor, { seedIjk: [1, 1, 1], axis: 'axial', value: 3, config: fill({ dimension: '3d', maxVoxels: 25 }) })
    expect(result).toEqual({ voxelCount: 0, aborted: true })
    expect(labels).toEqual(before)
    expect(editor.canUndo).toBe(false)
    // Exactly at the cap it fills.
    const ok = applyFill(editor, { seedIjk: [1, 1, 1], axis: 'axial', value: 3, config: fill({ dimension: '3d', maxVoxels: 26 }) })
    expect(ok).toEqual({ voxelCount: 26, aborted: false })
    const capped2d = floodRegion(labels, g, { seedIjk: [0, 0, 1], dimension: '2d', axis: 'axial', bound: { kind: 'label' }, maxVoxels: 1 })
    expect(capped2d.aborted).toBe(false)
  })

  it('fills through the editor as one undo unit, replacing the seed label', () => {
    const labels = rings()
    const before = labels.slice()
    const editor = new VoxelEditor(labels, g)
    // Clicking the ring of slice 0 in 2D turns that ring (label 1) into 4.
    const result = applyFill(editor, { seedIjk: [0, 0, 0], axis: 'axial', value: 4, config: fill({}) })
    expect(result.voxelCount).toBe(16)
    expect(labels.subarray(0, 25).filter((v) => v === 4).length).toBe(16)
    expect(labels.subarray(25)).toEqual(before.subarray(25))
    expect(editor.undoDepth).toBe(1)
    expect(editor.undoDescription).toBe('Fill')
    editor.undo()
    expect(labels).toEqual(before)
    expect(() => floodRegion(labels, g, { seedIjk: [5, 0, 0], dimension: '2d', axis: 'axial', bound: { kind: 'label' }, maxVoxels: 10 })).toThrow(/not a voxel/)
  })
})
