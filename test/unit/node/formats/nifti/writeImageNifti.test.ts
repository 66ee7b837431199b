import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Mat4 } from '../../../../../src/shared/volume'
import { readNifti } from '../../../../../src/node/formats/nifti'
import {
  encodeImageNifti,
  imageHeaderForGrid,
  writeImageNifti
} from '../../../../../src/node/formats/nifti/writeImageNifti'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from '../../../main/services/project/projectFixtures'

const LAS: Mat4 = [
  [-0.8, 0, 0, 20],
  [0, 0.8, 0, -10],
  [0, 0, 2, 3],
  [0, 0, 0, 1]
]

let dir: string
beforeEach(async () => {
  dir = await makeTempDir('write-image')
})
afterEach(async () => {
  await removeDir(dir)
})

describe('writeImageNifti', () => {
  it('writes a new image whose header reads back as imageHeaderForGrid says', async () => {
    const header = imageHeaderForGrid({ dims: [5, 4, 3], datatype: 'int16', rasFromIjk: LAS })
    // NIfTI-1 stores float32: the header says what the file will really hold.
    expect(header).toMatchObject({ orientation: 'LAS', spacing: [Math.fround(0.8), Math.fround(0.8), 2], affineSource: 'sform', channels: 1 })
    const data = Int16Array.from({ length: 60 }, (_, n) => n * 100 - 3000)
    const file = path.join(dir, 'new.nii.gz')
    await writeImageNifti(file, { header, data })
    const back = await readNifti(file)
    expect(back.data).toEqual(data)
    expect(back.header).toEqual(header)
  })

  it('writes 4D multi-channel float volumes', async () => {
    const header = { ...imageHeaderForGrid({ dims: [3, 2, 2], channels: 2, datatype: 'float32', rasFromIjk: LAS }) }
    const data = Float32Array.from({ length: 24 }, (_, n) => n / 3)
    const file = path.join(dir, 'multi.nii.gz')
    await writeFile(file, encodeImageNifti({ header, data }))
    const back = await readNifti(file)
    expect(back.header.channels).toBe(2)
    expect(back.data).toEqual(data)
  })

  itUnless(sharedDataMissing, 'keeps a real image\'s geometry and voxels when rewriting it', async () => {
    const original = await readNifti(sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_004.nii.gz'))
    const file = path.join(dir, 'copy.nii.gz')
    await writeImageNifti(file, original)
    const back = await readNifti(file)
    expect(back.data).toEqual(original.data)
    expect(back.header.rasFromIjk).toEqual(original.header.rasFromIjk)
    expect(back.header.geometry).toEqual(original.header.geometry)
  })

  it('refuses data that does not fill the grid and a name without .nii.gz', async () => {
    const header = imageHeaderForGrid({ dims: [2, 2, 2], datatype: 'uint8', rasFromIjk: LAS })
    expect(() => encodeImageNifti({ header, data: new Uint8Array(7) })).toThrow(/7 values/)
    await expect(writeImageNifti(path.join(dir, 'x.nii'), { header, data: new Uint8Array(8) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT'
    })
  })
})
