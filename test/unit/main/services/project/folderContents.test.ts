import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inspectFolder } from '../../../../../src/main/services/project/folderContents'
import { buildNifti } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, makeTempDir, removeDir } from './projectFixtures'

const tiny = (): Uint8Array => buildNifti({ dims: [2, 2, 2], datatype: 4, bitpix: 16 }, new Int16Array(8))

describe('inspectFolder', () => {
  let base: string
  beforeEach(async () => {
    base = await makeTempDir('inspect-folder')
  })
  afterEach(async () => {
    await removeDir(base)
  })

  it('tells a project from a folder of NIfTI files, an MSD dataset and a folder of nothing importable, and suggests <folder>-voxloop', async () => {
    const project = await createProjectWithCases(path.join(base, 'project'), { cases: 1 })
    await project.dispose()
    expect(await inspectFolder(path.join(base, 'project'))).toMatchObject({ kind: 'project' })

    const nifti = path.join(base, 'scans')
    await mkdir(nifti)
    await writeFile(path.join(nifti, 'a.nii'), tiny())
    await writeFile(path.join(nifti, 'b.nii'), tiny())
    expect(await inspectFolder(nifti)).toEqual({ folder: nifti, kind: 'nifti', count: 2, suggestedProjectFolder: `${nifti}-voxloop` })

    const msd = path.join(base, 'Task99')
    await mkdir(path.join(msd, 'imagesTr'), { recursive: true })
    await writeFile(path.join(msd, 'imagesTr', 'x_001.nii'), tiny())
    expect(await inspectFolder(`${msd}/`)).toMatchObject({ kind: 'msd', count: 1, suggestedProjectFolder: `${msd}-voxloop` })

    const other = path.join(base, 'notes')
    await mkdir(other)
    await writeFile(path.join(other, 'readme.txt'), 'hello')
    expect(await inspectFolder(other)).toMatchObject({ kind: 'other', count: 0 })
  })

  it('refuses a missing folder and a file by name', async () => {
    await expect(inspectFolder(path.join(base, 'nope'))).rejects.toThrow(`${path.join(base, 'nope')}: no such folder`)
    await writeFile(path.join(base, 'file.nii'), tiny())
    await expect(inspectFolder(path.join(base, 'file.nii'))).rejects.toThrow('is a file, not a folder')
  })

  itUnless(sharedDataMissing, 'finds the DICOM files of a series folder (searched with its sub-folders)', async () => {
    expect(await inspectFolder(sharedDataPath('dicom'))).toMatchObject({ kind: 'dicom' })
    expect(await inspectFolder(sharedDataPath('dicom', 'udacity_hcrop_study1_13'))).toMatchObject({ kind: 'dicom', count: 32 })
  })
})
