import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_PREDICTION_FOLDER, predictionFiles } from '../../../../src/main/cli/predictionDestination'
import { readNiftiHeader, writeLabelNifti } from '../../../../src/node/formats/nifti'
import { sharedDataPath } from '../../../helpers/sharedData'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'

const HIPPOCAMPUS = 'msd_task04_hippocampus'
let dir: string
let scan: string
beforeAll(async () => {
  dir = await makeTempDir('prediction-destination')
  scan = path.join(dir, 'scans', 'hippocampus_004.nii.gz')
  await mkdir(path.dirname(scan))
  await copyFile(sharedDataPath('labeled', HIPPOCAMPUS, 'imagesTr', 'hippocampus_004.nii.gz'), scan)
})
afterAll(async () => {
  await removeDir(dir)
})

describe('predictionFiles', () => {
  it('puts a file\'s predictions in a folder beside it by default, named by the case', async () => {
    const out = path.join(path.dirname(scan), DEFAULT_PREDICTION_FOLDER)
    expect(await predictionFiles(out, ['hippocampus_004'], [scan])).toEqual([{
      labels: path.join(out, 'hippocampus_004.nii.gz'),
      uncertainty: path.join(out, 'hippocampus_004.uncertainty.nii.gz')
    }])
  })

  it('refuses to write over the image being predicted, also through a link to its folder', async () => {
    const before = await readFile(scan)
    await expect(predictionFiles(path.dirname(scan), ['hippocampus_004'], [scan])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `writing hippocampus_004.nii.gz into ${path.dirname(scan)} would replace the image being predicted, ${scan}: give --out another folder`
    })
    const link = path.join(dir, 'link-to-scans')
    await symlink(path.dirname(scan), link)
    await expect(predictionFiles(link, ['hippocampus_004'], [scan])).rejects.toThrow('would replace the image being predicted')
    expect(await readFile(scan)).toEqual(before)
  })

  it('refuses a folder in a Voxloop project, one not made yet included', async () => {
    const project = path.join(dir, 'project')
    await mkdir(path.join(project, 'images'), { recursive: true })
    await writeFile(path.join(project, 'voxloop.json'), '{}')
    for (const out of [project, path.join(project, 'images'), path.join(project, 'not', 'yet')]) {
      await expect(predictionFiles(out, ['case-1'], [scan])).rejects.toThrow(`--out ${out} is inside the Voxloop project ${project}: write predictions to a folder outside it`)
    }
  })

  it('replaces a label map Voxloop wrote, never another file such as a reference segmentation', async () => {
    const labelsTr = path.join(dir, 'labelsTr')
    await mkdir(labelsTr)
    const reference = path.join(labelsTr, 'hippocampus_004.nii.gz')
    await copyFile(sharedDataPath('labeled', HIPPOCAMPUS, 'labelsTr', 'hippocampus_004.nii.gz'), reference)
    await expect(predictionFiles(labelsTr, ['hippocampus_004'], [scan])).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: `${reference} exists and is not a label map Voxloop wrote (its description: "5.0.10"); give --out another folder, or remove the file`
    })
    const earlier = path.join(dir, 'earlier')
    await mkdir(earlier)
    const header = await readNiftiHeader(scan)
    await writeLabelNifti(path.join(earlier, 'hippocampus_004.nii.gz'), new Uint8Array(header.dims[0] * header.dims[1] * header.dims[2]), header)
    expect((await predictionFiles(earlier, ['hippocampus_004'], [scan]))[0]?.labels).toBe(path.join(earlier, 'hippocampus_004.nii.gz'))
    await writeFile(path.join(earlier, 'other.nii.gz'), 'not a NIfTI file')
    await expect(predictionFiles(earlier, ['other'], [scan])).rejects.toThrow(/other\.nii\.gz exists and is not a label map Voxloop wrote; give --out/)
  })
})
