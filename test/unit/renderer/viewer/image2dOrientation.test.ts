import { describe, expect, it } from 'vitest'
import { rasFromIjkFor2d } from '../../../../src/shared/geometry/image2dAffine'
import { axisCodesFromRasFromIjk } from '../../../../src/shared/geometry/orientation'
import type { Mat4 } from '../../../../src/shared/volume'
import { extractSlice } from '../../../../src/renderer/src/viewer/sliceExtraction'
import { viewMapping, voxelFromScreen } from '../../../../src/renderer/src/viewer/viewOrientation'

/**
 * A one-slice case from a 2D image stores pixel (column c, row r) at voxel (c, r, 0), row 0 being the
 * file's top row (importImage2d.ts). Here the viewer's own mapping shows such a case: it must appear
 * as an image viewer shows the file, row 0 on top and column 0 on the left.
 */
describe('the axial view of a one-slice case from a 2D image', () => {
  // 3 × 2 picture, every pixel different: row 0 = 1 2 3, row 1 = 4 5 6 (row-major, as stored).
  const dims: [number, number, number] = [3, 2, 1]
  const voxels = Float32Array.from([1, 2, 3, 4, 5, 6])

  for (const spacing of [
    [1, 1],
    [0.143, 0.2]
  ] as const) {
    it(`shows it upright and not mirrored (spacing ${spacing.join(' × ')} mm)`, () => {
      const mapping = viewMapping('axial', rasFromIjkFor2d(spacing))
      expect(mapping.sliceAxis).toBe(2)
      // extractSlice fills the texture from the screen's bottom row up, each row from the left.
      const screen = Array.from(extractSlice(voxels, dims, mapping, 0, new Float32Array(6)))
      expect(screen).toEqual([4, 5, 6, 1, 2, 3])
      // Clicks: the top-left screen pixel is the file's first pixel, the bottom-right its last.
      expect(voxelFromScreen(mapping, dims, 0, 1)).toEqual({ x: 0, y: 0 })
      expect(voxelFromScreen(mapping, dims, 2, 0)).toEqual({ x: 2, y: 1 })
    })
  }

  it('is LPS, so a chest film reads as radiographs are read (the image left is the patient right)', () => {
    const affine = rasFromIjkFor2d([0.5, 0.5])
    expect(axisCodesFromRasFromIjk(affine)).toBe('LPS')
    expect(viewMapping('axial', affine).letters).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' })
  })

  it('would be mirrored and upside down with the identity affine (why the signs matter)', () => {
    const identity: Mat4 = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ]
    const screen = Array.from(extractSlice(voxels, dims, viewMapping('axial', identity), 0, new Float32Array(6)))
    expect(screen).toEqual([3, 2, 1, 6, 5, 4])
  })
})
