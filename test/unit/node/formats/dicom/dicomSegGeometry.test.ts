import { describe, expect, it } from 'vitest'
import type { DicomSliceReference } from '../../../../../src/node/formats/dicom/dicomReferences'
import { placeSourceSlices, voxelIndexOf, type LabelGrid } from '../../../../../src/node/formats/dicom/dicomSegGeometry'
import { DIMS, FLIPPED_GRID, index, SLICE_Z, slice } from './syntheticSeries'

describe('placeSourceSlices: source pixels on the label grid by geometry', () => {
  it('undoes a row flip and a reversed slice order (z ascending in the files, k descending on the grid)', () => {
    const placed = placeSourceSlices(SLICE_Z.map((z) => slice(z)), FLIPPED_GRID, 'case A')
    // Sorted along the normal (row × column = +z): z = 0 first, which is k = 4.
    expect(placed.map((s) => s.instance.imagePositionPatient[2])).toEqual([0, 2.5, 5, 7.5, 10])
    expect(placed[0]?.origin).toEqual([0, 2, 4])
    expect(placed[0]?.alongRow).toEqual([1, 0, 0])
    expect(placed[0]?.alongColumn).toEqual([0, -1, 0])
    const first = placed[0]
    const last = placed[4]
    if (!first || !last) throw new Error('slices missing')
    // Pixel (r 1, c 3) of z = 0: LPS (6, 1.5, 0) → RAS (−6, −1.5, 0) → i 3, j 1, k 4.
    expect(voxelIndexOf(first, DIMS, 1, 3)).toBe(index(3, 1, 4))
    // Pixel (r 0, c 0) of z = 10: RAS (0, 0, 10) → i 0, j 2, k 0.
    expect(voxelIndexOf(last, DIMS, 0, 0)).toBe(index(0, 2, 0))
    // Every voxel is reached exactly once.
    const hits = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2])
    for (const s of placed) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) hits[voxelIndexOf(s, DIMS, r, c)] = (hits[voxelIndexOf(s, DIMS, r, c)] ?? 0) + 1
    expect(hits.every((count) => count === 1)).toBe(true)
  })

  it('maps a row-flipped series (column direction towards anterior) the other way round, in the same files order', () => {
    // Column direction (0, −1, 0): pixel (r, c) is at LPS y = 3 − 1.5r, RAS y = 1.5r − 3, so j = r.
    const placed = placeSourceSlices([10, 7.5, 5, 2.5, 0].map((z) => slice(z, { y0: 3, imageOrientationPatient: [1, 0, 0, 0, -1, 0] })), FLIPPED_GRID, 'case B')
    expect(placed[0]?.alongColumn).toEqual([0, 1, 0])
    // The normal is now −z: frames run from z = 10 down to z = 0.
    expect(placed.map((s) => s.instance.imagePositionPatient[2])).toEqual([10, 7.5, 5, 2.5, 0])
    const atZ0 = placed.find((s) => s.instance.imagePositionPatient[2] === 0)
    if (!atZ0) throw new Error('slice z = 0 missing')
    expect(atZ0.origin).toEqual([0, 0, 4])
    // Pixel (r 1, c 3) of z = 0: LPS (6, 1.5, 0) → the same voxel as in the first series.
    expect(voxelIndexOf(atZ0, DIMS, 1, 3)).toBe(index(3, 1, 4))
  })
})

describe('placeSourceSlices: what it refuses, naming the case', () => {
  const series = (change: (z: number) => Partial<DicomSliceReference> = () => ({})): DicomSliceReference[] => SLICE_Z.map((z) => slice(z, change(z)))

  it('a Siemens mosaic', () => {
    expect(() => placeSourceSlices(series(() => ({ imageType: ['ORIGINAL', 'PRIMARY', 'M', 'MOSAIC'] })), FLIPPED_GRID, 'case M')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^case M: source image .* is a Siemens mosaic/) })
    )
  })

  it('a multi-frame source', () => {
    expect(() => placeSourceSlices([slice(0, { numberOfFrames: 5 })], FLIPPED_GRID, 'case F')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^case F: .*multi-frame object \(5 frames\)/) })
    )
  })

  it('a resampled case (voxels half the pixel size)', () => {
    const halved: LabelGrid = {
      dims: [8, 6, 5],
      rasFromIjk: [
        [-1, 0, 0, 0],
        [0, 0.75, 0, -3],
        [0, 0, -2.5, 10],
        [0, 0, 0, 1]
      ]
    }
    expect(() => placeSourceSlices(series(), halved, 'case R')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^case R: a step of one source pixel moves \(2, 0, 0\)/) }))
  })

  it('an off-grid case (shifted by half a voxel)', () => {
    const shifted: LabelGrid = { ...FLIPPED_GRID, rasFromIjk: FLIPPED_GRID.rasFromIjk.map((row, n) => (n === 0 ? [row[0], row[1], row[2], 1] : row)) as LabelGrid['rasFromIjk'] }
    expect(() => placeSourceSlices(series(), shifted, 'case S')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^case S: the first pixel of source image .* lands at voxel \(0\.5, 2, 4\), more than 0\.1 voxel/) })
    )
  })

  it('two images at one position (4D), a source slice outside the grid, and too few slices', () => {
    const twice = [...series(), slice(5, { sopInstanceUid: '9.9' })]
    expect(() => placeSourceSlices(twice, FLIPPED_GRID, 'case D')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^case D: two source images lie on the same plane/) }))
    expect(() => placeSourceSlices([...series().slice(1), slice(12.5)], FLIPPED_GRID, 'case O')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^case O: .*outside the label's 4×3×5 grid/) }))
    expect(() => placeSourceSlices(series().slice(1), FLIPPED_GRID, 'case C')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^case C: 1 of the label's 5 slices has no source image \(slices interpolated on import .*; not exported as DICOM SEG$/) })
    )
  })

  it('no source images at all', () => {
    expect(() => placeSourceSlices([], FLIPPED_GRID, 'case N')).toThrow(expect.objectContaining({ message: 'case N: no source images are recorded; not exported as DICOM SEG' }))
  })
})
