import { describe, expect, it } from 'vitest'
import {
  gridCornersRas,
  ijkFromRasMatrix,
  pointIjkFromRas,
  pointRasFromIjk,
  voxelIndexFromRas
} from '../../../../src/shared/geometry'
import type { Mat4, Vec3 } from '../../../../src/shared/volume'

// LPS-stored grid (as example_mr_sm): x and y steps negative, 3 mm voxels.
const rasFromIjk: Mat4 = [
  [-3, 0, 0, 174],
  [0, -3, 0, 136],
  [0, 0, 3, -30],
  [0, 0, 0, 1]
]

describe('ijk ⇄ ras', () => {
  it('maps voxel indices to RAS mm and back', () => {
    const pointRas = pointRasFromIjk(rasFromIjk, [10, 20, 5])
    expect(pointRas).toEqual([144, 76, -15])
    const ijkFromRas = ijkFromRasMatrix(rasFromIjk)
    const back = pointIjkFromRas(ijkFromRas, pointRas)
    back.forEach((v, axis) => expect(v).toBeCloseTo([10, 20, 5][axis], 12))
  })

  it('finds the voxel containing a RAS point, or null outside the grid', () => {
    const ijkFromRas = ijkFromRasMatrix(rasFromIjk)
    const dims: Vec3 = [117, 91, 20]
    // 1 mm off voxel (10, 20, 5)'s centre still lands in it (half a voxel is 1.5 mm).
    expect(voxelIndexFromRas(ijkFromRas, [143, 77, -14], dims)).toEqual([10, 20, 5])
    expect(voxelIndexFromRas(ijkFromRas, [174 + 3, 136, -30], dims)).toBeNull()
    expect(voxelIndexFromRas(ijkFromRas, [174, 136, -30 + 3 * 20], dims)).toBeNull()
  })

  it('lists the 8 corner voxel centres', () => {
    const corners = gridCornersRas(rasFromIjk, [2, 3, 4])
    expect(corners).toHaveLength(8)
    expect(corners[0]).toEqual([174, 136, -30])
    expect(corners[7]).toEqual([174 - 3, 136 - 6, -30 + 9])
  })
})
