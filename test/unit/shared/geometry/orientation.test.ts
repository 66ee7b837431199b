import { describe, expect, it } from 'vitest'
import { axisCodesFromRasFromIjk, voxelAxisOrientations } from '../../../../src/shared/geometry'
import type { Mat4 } from '../../../../src/shared/volume'

type Mat3 = [[number, number, number], [number, number, number], [number, number, number]]

function affine(linear: Mat3, translation: [number, number, number] = [0, 0, 0]): Mat4 {
  return [
    [...linear[0], translation[0]],
    [...linear[1], translation[1]],
    [...linear[2], translation[2]],
    [0, 0, 0, 1]
  ]
}

const c50 = Math.cos((50 * Math.PI) / 180)
const s50 = Math.sin((50 * Math.PI) / 180)
const h = Math.SQRT1_2

// Every expected code below was checked against nibabel.orientations.aff2axcodes (nibabel 5.0).
describe('axisCodesFromRasFromIjk (nibabel aff2axcodes)', () => {
  it.each([
    ['identity', [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 'RAS'],
    ['x flipped (radiological storage)', [[-2, 0, 0], [0, 2, 0], [0, 0, 2]], 'LAS'],
    ['DICOM-style LPS', [[-3, 0, 0], [0, -3, 0], [0, 0, 3]], 'LPS'],
    ['all flipped', [[-1, 0, 0], [0, -1, 0], [0, 0, -1]], 'LPI'],
    // air.hdr: i → anterior, j → inferior, k → right.
    ['permuted AIR', [[0, 0, 2.4], [2.4, 0, 0], [0, -2.4, 0]], 'AIR'],
    // 5D_small.nii: i → posterior, j → superior, k → right.
    ['permuted PSR', [[0, 0, 1], [-1, 0, 0], [0, 1, 0]], 'PSR'],
    ['oblique 50° about x', [[1, 0, 0], [0, c50, -s50], [0, s50, c50]], 'RSP'],
    ['exact 45° tie about z (first world axis wins)', [[h, -h, 0], [h, h, 0], [0, 0, 1]], 'RAS'],
    ['strong shear', [[1, 0.9, 0], [0, 0.5, 0], [0, 0, 1]], 'RAS'],
    // Column-wise argmax would say RPI; the polar decomposition nibabel uses says PLI.
    ['general matrix where naive argmax differs', [[2.04, -2.56, 0.42], [-0.57, -0.45, -0.22], [-2.02, -0.23, -0.87]], 'PLI']
  ] as [string, Mat3, string][])('%s → %s', (_name, linear, expected) => {
    expect(axisCodesFromRasFromIjk(affine(linear, [12, -7, 30]))).toBe(expected)
  })

  it('does not depend on voxel size or translation', () => {
    const base = axisCodesFromRasFromIjk(affine([[0, 0, 1], [-1, 0, 0], [0, 1, 0]]))
    expect(axisCodesFromRasFromIjk(affine([[0, 0, 0.3], [-7, 0, 0], [0, 100, 0]], [1e4, -1e4, 5]))).toBe(base)
  })

  it('marks a degenerate axis with ? (nibabel: None)', () => {
    expect(axisCodesFromRasFromIjk(affine([[1, 0, 0], [0, 1, 0], [0, 0, 0]]))).toBe('RA?')
    expect(voxelAxisOrientations(affine([[1, 0, 0], [0, 1, 0], [0, 0, 0]]))[2]).toBeNull()
  })

  it('gives ??? for a non-finite matrix instead of guessing', () => {
    expect(axisCodesFromRasFromIjk(affine([[Number.NaN, 0, 0], [0, 1, 0], [0, 0, 1]]))).toBe('???')
  })
})
