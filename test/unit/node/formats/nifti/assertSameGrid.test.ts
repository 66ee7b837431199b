import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertSameGrid, readNiftiHeader } from '../../../../../src/node/formats/nifti'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { Mat4, VolumeHeader } from '../../../../../src/shared/volume'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

type Grid = Pick<VolumeHeader, 'dims' | 'rasFromIjk' | 'spacing' | 'orientation'>

const grid: Grid = {
  dims: [100, 100, 50],
  spacing: [0.5, 0.5, 2],
  orientation: 'RAS',
  rasFromIjk: [
    [0.5, 0, 0, -25],
    [0, 0.5, 0, -25],
    [0, 0, 2, -50],
    [0, 0, 0, 1]
  ]
}

function withAffine(edit: (m: Mat4) => void, orientation = 'RAS'): Grid {
  const m = grid.rasFromIjk.map((row) => [...row]) as Mat4
  edit(m)
  return { ...grid, rasFromIjk: m, orientation }
}

function mismatch(label: Grid): VoxloopError {
  try {
    assertSameGrid(grid, label, '/project/labels/case.nii.gz')
  } catch (error) {
    expect(error).toBeInstanceOf(VoxloopError)
    return error as VoxloopError
  }
  throw new Error('expected GRID_MISMATCH')
}

describe('assertSameGrid', () => {
  it('accepts the same grid, and float32 rounding of it', () => {
    expect(() => assertSameGrid(grid, grid, 'x')).not.toThrow()
    expect(() => assertSameGrid(grid, withAffine((m) => (m[0][3] = Math.fround(-25.000001))), 'x')).not.toThrow()
    expect(() => assertSameGrid(grid, withAffine((m) => (m[1][0] = 1e-8)), 'x')).not.toThrow()
  })

  it('names the file and both grids when dims differ', () => {
    const error = mismatch({ ...grid, dims: [100, 100, 49] })
    expect(error.code).toBe('GRID_MISMATCH')
    expect(error.message).toBe('/project/labels/case.nii.gz: label grid 100x100x49 does not match its image grid 100x100x50')
  })

  it('refuses a shifted, flipped, rotated or NaN affine', () => {
    expect(mismatch(withAffine((m) => (m[2][3] = -49))).message).toMatch(/displaced by up to 1\.00 mm/)
    expect(mismatch(withAffine((m) => ((m[0][0] = -0.5), (m[0][3] = 24.5)), 'LAS')).message).toMatch(/label orientation LAS, image RAS/)
    // Rotating the j axis by 0.01° moves its far end (49.5 mm away) by 0.009 mm: 18× the tolerance.
    const t = (0.01 * Math.PI) / 180
    expect(mismatch(withAffine((m) => ((m[0][1] = -0.5 * Math.sin(t)), (m[1][1] = 0.5 * Math.cos(t))))).code).toBe('GRID_MISMATCH')
    expect(mismatch(withAffine((m) => (m[0][0] = Number.NaN))).code).toBe('GRID_MISMATCH')
  })

  it('takes a tolerance in voxels', () => {
    const shifted = withAffine((m) => (m[0][3] = -25.01))
    expect(() => assertSameGrid(grid, shifted, 'x')).toThrow(VoxloopError)
    expect(() => assertSameGrid(grid, shifted, 'x', { toleranceVoxels: 0.05 })).not.toThrow()
  })

  itUnless(sharedDataMissing, 'accepts every image/label pair of the shared labeled data sets', async () => {
    const root = sharedDataPath('labeled')
    let pairs = 0
    for (const dataset of readdirSync(root)) {
      const labelsDir = path.join(root, dataset, 'labelsTr')
      for (const name of readdirSync(labelsDir).filter((n) => n.endsWith('.nii.gz'))) {
        const labelPath = path.join(labelsDir, name)
        const image = await readNiftiHeader(path.join(root, dataset, 'imagesTr', name))
        assertSameGrid(image, await readNiftiHeader(labelPath), labelPath)
        pairs++
      }
    }
    expect(pairs).toBe(41 + 1 + 2)
  })
})
