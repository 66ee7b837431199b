import { describe, expect, it } from 'vitest'
import type { Mat4 } from '../../../../src/shared/volume'
import { flatAxisOf, shownLayout, singleSliceCaption, singleSliceView } from '../../../../src/renderer/src/viewer/singleSlice'
import { extractSlice } from '../../../../src/renderer/src/viewer/sliceExtraction'
import { viewMapping } from '../../../../src/renderer/src/viewer/viewOrientation'

const diag = (x: number, y: number, z: number): Mat4 => [
  [x, 0, 0, 0],
  [0, y, 0, 0],
  [0, 0, z, 0],
  [0, 0, 0, 1]
]
/** The affine ITK (SimpleITK, nibabel via ITK) gives a 2D image: LPS with an identity direction, in RAS. */
const ITK_2D = diag(-1, -1, 1)
const RAS = diag(1, 1, 1)

describe('flatAxisOf', () => {
  it.each([
    { dims: [256, 192, 1], axis: 2 },
    { dims: [256, 1, 192], axis: 1 },
    { dims: [1, 256, 192], axis: 0 },
    { dims: [2, 2, 1], axis: 2 }
  ])('finds axis $axis of size 1 in $dims', ({ dims, axis }) => {
    expect(flatAxisOf(dims)).toBe(axis)
  })

  it.each([
    { dims: [256, 192, 64], why: 'a 3D volume' },
    { dims: [256, 1, 1], why: 'a line (two axes of size 1)' },
    { dims: [1, 1, 1], why: 'a single voxel' },
    { dims: [256, 0, 1], why: 'a broken header (an axis of size 0)' }
  ])('gives null for $why', ({ dims }) => {
    expect(flatAxisOf(dims)).toBeNull()
  })
})

describe('singleSliceView', () => {
  it('is the axial view for a W×H×1 image whose k axis runs superior (RAS or ITK affine)', () => {
    expect(singleSliceView([256, 192, 1], ITK_2D)).toBe('axial')
    expect(singleSliceView([256, 192, 1], RAS)).toBe('axial')
  })

  it('follows the affine, not the storage order: a flat j axis is coronal, a flat i axis sagittal', () => {
    expect(singleSliceView([256, 1, 192], RAS)).toBe('coronal')
    expect(singleSliceView([1, 256, 192], RAS)).toBe('sagittal')
    // Permuted: k runs anterior, so a flat k axis is a coronal image.
    const kAnterior: Mat4 = [
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1]
    ]
    expect(singleSliceView([256, 192, 1], kAnterior)).toBe('coronal')
  })

  it('is null for a 3D case', () => {
    expect(singleSliceView([64, 64, 32], RAS)).toBeNull()
    expect(singleSliceView([64, 1, 1], RAS)).toBeNull()
  })

  it('shows an image stored with the ITK 2D affine upright: pixel (0, 0) at the top-left, row 0 on top', () => {
    // 4 × 3 × 1, values = 10·row + column, as an image file stores it (row 0 is the top row).
    const width = 4
    const height = 3
    const image = new Float32Array(width * height)
    for (let row = 0; row < height; row++) for (let column = 0; column < width; column++) image[column + width * row] = 10 * row + column
    const view = singleSliceView([width, height, 1], ITK_2D)
    if (!view) throw new Error('no single view')
    const mapping = viewMapping(view, ITK_2D)
    const shown = extractSlice(image, [width, height, 1], mapping, 0, new Float32Array(width * height))
    // extractSlice writes screen rows from the bottom up: the last row is the top of the screen.
    const screenRow = (fromTop: number): number[] => [...shown.subarray((height - 1 - fromTop) * width, (height - fromTop) * width)]
    expect(screenRow(0)).toEqual([0, 1, 2, 3])
    expect(screenRow(2)).toEqual([20, 21, 22, 23])
  })
})

describe('shownLayout', () => {
  it('shows the single view of a one-slice case whatever the choice, and the choice otherwise', () => {
    expect(shownLayout('1x3', 'axial')).toBe('axial')
    expect(shownLayout('grid', 'coronal')).toBe('coronal')
    expect(shownLayout('1x3', null)).toBe('1x3')
    expect(shownLayout('3d', null)).toBe('3d')
  })
})

describe('singleSliceCaption', () => {
  it('gives the image size as shown instead of a slice number', () => {
    expect(singleSliceCaption(256, 192)).toBe('2D image 256 × 192')
  })
})
