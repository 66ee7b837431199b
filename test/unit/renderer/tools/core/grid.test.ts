import { describe, expect, it } from 'vitest'
import {
  assertArrayFitsGrid,
  extractSlice,
  gridFromHeader,
  ijkFromIndex,
  indexFromIjk,
  indexInSlice,
  isInsideGrid,
  makeGrid,
  slicePlane,
  voxelContaining
} from '../../../../../src/renderer/src/tools/core/grid'
import { VoxloopError } from '../../../../../src/shared/errors'

const g = makeGrid([4, 3, 2], [0.5, 1, 3])

describe('voxel grid', () => {
  it('maps index ⇄ ijk in NIfTI order (i fastest)', () => {
    expect(indexFromIjk(g, 0, 0, 0)).toBe(0)
    expect(indexFromIjk(g, 1, 0, 0)).toBe(1)
    expect(indexFromIjk(g, 0, 1, 0)).toBe(4)
    expect(indexFromIjk(g, 0, 0, 1)).toBe(12)
    expect(indexFromIjk(g, 3, 2, 1)).toBe(23)
    for (let index = 0; index < 24; index++) {
      const [i, j, k] = ijkFromIndex(g, index)
      expect(indexFromIjk(g, i, j, k)).toBe(index)
    }
    const out: [number, number, number] = [9, 9, 9]
    expect(ijkFromIndex(g, 17, out)).toBe(out)
    expect(out).toEqual([1, 1, 1])
  })

  it('checks bounds and rounds continuous points to the containing voxel', () => {
    expect(isInsideGrid(g, 3, 2, 1)).toBe(true)
    expect(isInsideGrid(g, 4, 0, 0)).toBe(false)
    expect(isInsideGrid(g, 0, -1, 0)).toBe(false)
    expect(voxelContaining(g, [2.4, 0.6, 1.49])).toEqual([2, 1, 1])
    expect(voxelContaining(g, [-0.4, 0, 0])).toEqual([0, 0, 0])
    expect(voxelContaining(g, [-0.6, 0, 0])).toBeNull()
  })

  it('refuses empty dims, bad spacing and arrays of the wrong size', () => {
    expect(() => makeGrid([0, 1, 1])).toThrow(VoxloopError)
    expect(() => makeGrid([2, 2, 2], [1, 0, 1])).toThrow(/spacing/)
    expect(() => makeGrid([2, 2.5, 2])).toThrow(/dims/)
    expect(() => assertArrayFitsGrid(g, new Uint8Array(23), 'labels')).toThrow(/23 voxels/)
    expect(gridFromHeader({ dims: [4, 3, 2], spacing: [0.5, 1, 3] })).toEqual(g)
  })

  it.each([
    ['axial', 2, 0, 1, 4, 3, 2, 1, 4, 12, 0.5, 1, 3],
    ['coronal', 1, 0, 2, 4, 2, 3, 1, 12, 4, 0.5, 3, 1],
    ['sagittal', 0, 1, 2, 3, 2, 4, 4, 12, 1, 1, 3, 0.5]
  ] as const)(
    '%s slices fix voxel axis %i, with u = axis %i and v = axis %i',
    (axis, normalAxis, uAxis, vAxis, width, height, sliceCount, uStride, vStride, sliceStride, uSpacing, vSpacing, sliceSpacing) => {
      const plane = slicePlane(g, axis)
      expect(plane).toMatchObject({ normalAxis, uAxis, vAxis, width, height, sliceCount, uStride, vStride, sliceStride, uSpacing, vSpacing, sliceSpacing })
    }
  )

  it('extracts a slice row-major with u fastest', () => {
    const volume = Uint8Array.from({ length: 24 }, (_, index) => index)
    // Coronal slice j = 1: (u, v) = (i, k) → index i + 4 + 12k.
    const coronal = extractSlice(slicePlane(g, 'coronal'), volume, 1, new Uint8Array(8))
    expect(Array.from(coronal)).toEqual([4, 5, 6, 7, 16, 17, 18, 19])
    // Sagittal slice i = 2: (u, v) = (j, k) → 2 + 4j + 12k.
    const sagittal = extractSlice(slicePlane(g, 'sagittal'), volume, 2, new Float32Array(6))
    expect(Array.from(sagittal)).toEqual([2, 6, 10, 14, 18, 22])
    expect(indexInSlice(slicePlane(g, 'sagittal'), 1, 1, 2)).toBe(18)
    expect(() => extractSlice(slicePlane(g, 'axial'), volume, 0, new Uint8Array(5))).toThrow(/needs 12/)
  })
})
