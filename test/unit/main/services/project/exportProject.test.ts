import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportLabels, exportMsd, exportNnunetV2, exportProject } from '../../../../../src/main/services/project/exportProject'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti, readNifti } from '../../../../../src/node/formats/nifti'
import { imageHeaderForGrid } from '../../../../../src/node/formats/nifti/writeImageNifti'
import { parseItkSnapLabels } from '../../../../../src/node/formats/labelTables/itkSnap'
import type { LabelDef } from '../../../../../src/shared/project'
import type { Mat4, Volume } from '../../../../../src/shared/volume'
import { parseNrrd, parseNrrdVectors } from '../../../../helpers/nrrdReader'
import { createProjectWithCases, editOf, makeTempDir, removeDir, snapshotTree, syntheticImage, TEST_LABELS } from './projectFixtures'

let base: string
let store: ProjectStore
const others: ProjectStore[] = []

beforeEach(async () => {
  base = await makeTempDir('export')
  store = await createProjectWithCases(path.join(base, 'project'), { cases: 3, spacing: [0.8, 0.8, 2] })
  await store.applyLabelEdit('case-0', editOf([0, 1, 2], [1, 2, 3]))
  await store.saveLabel('case-0')
  await store.setStatus('case-0', 'done')
  // case-1: only unsaved edits; case-2: no label at all.
  await store.applyLabelEdit('case-1', editOf([7], [2]))
})

afterEach(async () => {
  await store.dispose()
  for (const other of others.splice(0)) await other.dispose()
  await removeDir(base)
})

describe('exportLabels', () => {
  it('writes current labels on their image grids and reports cases without one', async () => {
    const destination = path.join(base, 'out')
    const report = await exportLabels(store, destination)
    expect(report.files).toEqual(['case-0.nii.gz', 'case-1.nii.gz', 'labels.itksnap.txt'])
    expect(report.skipped).toEqual([{ file: 'case-2', reason: 'no label yet' }])
    for (const caseId of ['case-0', 'case-1']) {
      const exported = await readLabelNifti(path.join(destination, `${caseId}.nii.gz`))
      expect(exported.data).toEqual((await store.loadLabel(caseId)).data)
      const image = await store.loadImageHeader(caseId)
      expect(exported.header.rasFromIjk).toEqual(image.rasFromIjk)
      expect(exported.header.geometry.sformCode).toBe(image.geometry.sformCode)
    }
  })

  it('adds predictions on request and does not overwrite unless asked', async () => {
    await store.savePrediction('case-2', new Uint8Array(8 * 6 * 5).fill(3), { modelVersion: 'v1' })
    const destination = path.join(base, 'out')
    const first = await exportLabels(store, destination, { includePredictions: true })
    expect(first.files).toContain(path.join('predictions', 'case-2.nii.gz'))
    const again = await exportLabels(store, destination, { caseIds: ['case-0'] })
    expect(again.files).toEqual([])
    expect(again.skipped).toEqual([
      { file: 'case-0.nii.gz', reason: 'already in the destination; not overwritten' },
      { file: 'labels.itksnap.txt', reason: 'already in the destination; not overwritten' }
    ])
    expect((await exportLabels(store, destination, { caseIds: ['case-0'], overwrite: true })).files).toEqual(['case-0.nii.gz', 'labels.itksnap.txt'])
  })

  it('refuses destinations inside the project', async () => {
    await expect(exportLabels(store, path.join(store.root, 'labels'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(exportMsd(store, store.root)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('exportMsd', () => {
  it('round-trips through an MSD folder: images byte for byte, labels, label table, modality', async () => {
    await store.addCase({ id: 'big', image: syntheticImage([5, 5, 5], [1, 1, 1]), labels: new Uint8Array(125).fill(2, 0, 30) })
    const destination = path.join(base, 'msd')
    const report = await exportMsd(store, destination)
    expect(report.files).toContain('dataset.json')
    const datasetJson = JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8')) as Record<string, unknown>
    expect(datasetJson).toMatchObject({
      modality: { '0': 'MRI' },
      labels: { '0': 'background', '1': 'Organ', '2': 'Lesion', '3': 'Vessel' },
      numTraining: 3,
      numTest: 1,
      test: ['./imagesTs/case-2.nii.gz']
    })
    expect((await readdir(path.join(destination, 'labelsTr'))).sort()).toEqual(['big.nii.gz', 'case-0.nii.gz', 'case-1.nii.gz'])

    const copy = await ProjectStore.create(path.join(base, 'copy'), { name: 'Copy' })
    others.push(copy)
    const imported = await importDataset(copy, destination)
    expect(imported.skipped).toEqual([])
    expect(copy.listCases().map((c) => [c.id, c.hasLabel])).toEqual([
      ['big', true],
      ['case-0', true],
      ['case-1', true],
      ['case-2', false]
    ])
    expect(copy.getManifest()).toMatchObject({ modality: 'MR', labels: store.getManifest().labels.map(({ id, name }) => expect.objectContaining({ id, name })) })
    for (const summary of copy.listCases()) {
      const original = path.join(store.root, 'images', `${summary.id}.nii.gz`)
      expect(await readFile(path.join(copy.root, 'images', `${summary.id}.nii.gz`))).toEqual(await readFile(original))
      expect((await copy.loadLabel(summary.id)).data).toEqual((await store.loadLabel(summary.id)).data)
      expect(summary.labelStats).toEqual(store.getCase(summary.id).labelStats)
    }
  })

  it('puts only cases of the chosen statuses in the training set', async () => {
    const report = await exportMsd(store, path.join(base, 'curated'), { trainingStatuses: ['done'] })
    expect(report.files.filter((file) => file.startsWith('labelsTr'))).toEqual([path.join('labelsTr', 'case-0.nii.gz')])
    await expect(exportMsd(store, path.join(base, 'curated'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
  })
})

describe('exportLabels as NIfTI: the label table for ITK-SNAP', () => {
  it('writes labels.itksnap.txt beside the labels, naming every label with its colour', async () => {
    const destination = path.join(base, 'out')
    await exportProject(store, destination, { format: 'nifti' })
    const text = await readFile(path.join(destination, 'labels.itksnap.txt'), 'utf8')
    expect(text).toMatch(/^#.*ITK-SnAP Label Description File/m)
    expect(text).toMatch(/^ +1 +255 +0 +0 +1 +1 +1 +"Organ"$/m)
    expect(parseItkSnapLabels(text, 'labels.itksnap.txt')).toEqual(TEST_LABELS)
  })
})

/** [x, y, z, 1]ᵀ_lps = lpsFromIjk · [i, j, k, 1]ᵀ from a seg.nrrd's space directions and origin. */
function lpsFromNrrd(fields: Map<string, string>): number[][] {
  const directions = parseNrrdVectors(fields.get('space directions') ?? '')
  const [origin = []] = parseNrrdVectors(fields.get('space origin') ?? '')
  return [0, 1, 2].map((row) => [directions[0]?.[row], directions[1]?.[row], directions[2]?.[row], origin[row]] as number[])
}

describe('exportLabels as 3D Slicer .seg.nrrd', () => {
  it('writes <case>.seg.nrrd with the current label, the image geometry in LPS and the table as segments', async () => {
    const destination = path.join(base, 'slicer')
    const report = await exportProject(store, destination, { format: 'seg-nrrd' })
    expect(report.files).toEqual(['case-0.seg.nrrd', 'case-1.seg.nrrd'])
    expect(report.skipped).toEqual([{ file: 'case-2', reason: 'no label yet' }])
    expect((await readdir(destination)).sort()).toEqual(['case-0.seg.nrrd', 'case-1.seg.nrrd'])
    for (const caseId of ['case-0', 'case-1']) {
      const nrrd = parseNrrd(await readFile(path.join(destination, `${caseId}.seg.nrrd`)))
      const image = await store.loadImageHeader(caseId)
      expect(nrrd.fields.get('sizes')).toBe(image.dims.join(' '))
      const ras = image.rasFromIjk
      expect(lpsFromNrrd(nrrd.fields)).toEqual([ras[0].map((v) => -v || 0), ras[1].map((v) => -v || 0), ras[2].map((v) => v || 0)])
      expect(new Uint8Array(nrrd.data)).toEqual((await store.loadLabel(caseId)).data)
      expect(TEST_LABELS.map((_, n) => [nrrd.keyValues.get(`Segment${n}_Name`), Number(nrrd.keyValues.get(`Segment${n}_LabelValue`))])).toEqual(
        TEST_LABELS.map((label) => [label.name, label.id])
      )
    }
  })

  it('converts predictions too, keeping the uncertainty map as NIfTI', async () => {
    const prediction = new Uint8Array(8 * 6 * 5).fill(2, 0, 40)
    await store.savePrediction('case-2', prediction, { modelVersion: 'v1', uncertainty: { map: new Float32Array(8 * 6 * 5).fill(0.25), score: 0.25 } })
    const destination = path.join(base, 'slicer')
    const report = await exportProject(store, destination, { format: 'seg-nrrd', includePredictions: true, caseIds: ['case-2'] })
    expect(report.files).toEqual([path.join('predictions', 'case-2.seg.nrrd'), path.join('predictions', 'case-2.uncertainty.nii.gz')])
    expect(new Uint8Array(parseNrrd(await readFile(path.join(destination, 'predictions', 'case-2.seg.nrrd'))).data)).toEqual(prediction)
    expect((await readNifti(path.join(destination, 'predictions', 'case-2.uncertainty.nii.gz'))).data).toEqual(new Float32Array(8 * 6 * 5).fill(0.25))
  })
})

describe('exportNnunetV2', () => {
  it('writes nnU-Net v2\'s raw layout, file by file: dataset.json, _0000 images, labels equal to the project\'s', async () => {
    const destination = path.join(base, 'Dataset501_Test')
    const report = await exportNnunetV2(store, destination)
    expect([...(await snapshotTree(destination)).keys()]).toEqual([
      'dataset.json',
      'imagesTr/',
      'imagesTr/case-0_0000.nii.gz',
      'imagesTr/case-1_0000.nii.gz',
      'imagesTs/',
      'imagesTs/case-2_0000.nii.gz',
      'labelsTr/',
      'labelsTr/case-0.nii.gz',
      'labelsTr/case-1.nii.gz'
    ])
    expect(report.files.sort()).toEqual(
      ['dataset.json', 'imagesTr/case-0_0000.nii.gz', 'imagesTr/case-1_0000.nii.gz', 'imagesTs/case-2_0000.nii.gz', 'labelsTr/case-0.nii.gz', 'labelsTr/case-1.nii.gz'].map((file) =>
        path.join(...file.split('/'))
      )
    )
    expect(JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8'))).toEqual({
      name: 'Test',
      description: 'Exported from Voxloop project Test',
      channel_names: { '0': 'MRI' },
      labels: { background: 0, Organ: 1, Lesion: 2, Vessel: 3 },
      numTraining: 2,
      file_ending: '.nii.gz'
    })
    for (const [caseId, folder] of [['case-0', 'imagesTr'], ['case-1', 'imagesTr'], ['case-2', 'imagesTs']] as const) {
      expect(await readFile(path.join(destination, folder, `${caseId}_0000.nii.gz`))).toEqual(await readFile(path.join(store.root, 'images', `${caseId}.nii.gz`)))
    }
    for (const caseId of ['case-0', 'case-1']) {
      const label = await readLabelNifti(path.join(destination, 'labelsTr', `${caseId}.nii.gz`))
      expect(label.data).toEqual((await store.loadLabel(caseId)).data)
      expect(label.header.rasFromIjk).toEqual((await store.loadImageHeader(caseId)).rasFromIjk)
    }
  })

  it('splits a multi-channel case into one 3D file per channel, _0000, _0001, on the same grid', async () => {
    const project = await ProjectStore.create(path.join(base, 'brats'), { name: 'Brats', modality: 'MR', channelNames: ['FLAIR', 'T1'], labels: TEST_LABELS })
    others.push(project)
    const rasFromIjk: Mat4 = [
      [-1, 0, 0, 20],
      [0, 1, 0, -4],
      [0, 0, 1.5, 3],
      [0, 0, 0, 1]
    ]
    const header = imageHeaderForGrid({ dims: [4, 3, 2], channels: 2, datatype: 'int16', rasFromIjk })
    const image: Volume = { header, data: Int16Array.from({ length: 48 }, (_, n) => (n < 24 ? n : 1000 + n)) }
    await project.addCase({ id: 'b1', image, labels: new Uint8Array(24).fill(1, 0, 5) })
    const destination = path.join(base, 'Dataset502_Brats')
    await exportNnunetV2(project, destination)
    expect((await readdir(path.join(destination, 'imagesTr'))).sort()).toEqual(['b1_0000.nii.gz', 'b1_0001.nii.gz'])
    for (const channel of [0, 1]) {
      const volume = await readNifti(path.join(destination, 'imagesTr', `b1_000${channel}.nii.gz`))
      expect(volume.header.channels).toBe(1)
      expect(volume.header.dims).toEqual([4, 3, 2])
      expect(volume.header.rasFromIjk).toEqual(header.rasFromIjk)
      expect(Array.from(volume.data)).toEqual(Array.from(image.data.subarray(channel * 24, (channel + 1) * 24)))
    }
    const datasetJson = JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8')) as Record<string, unknown>
    expect(datasetJson.channel_names).toEqual({ '0': 'FLAIR', '1': 'T1' })
  })

  it('renumbers label ids with gaps to the consecutive values nnU-Net requires, in id order', async () => {
    const labels: LabelDef[] = [
      { id: 9, name: 'c', color: '#0000ff' },
      { id: 1, name: 'a', color: '#ff0000' },
      { id: 4, name: 'b', color: '#00ff00' }
    ]
    const project = await createProjectWithCases(path.join(base, 'gaps'), { cases: 1, labels })
    others.push(project)
    await project.applyLabelEdit('case-0', editOf([0, 1, 2, 3], [1, 4, 9, 4]))
    const destination = path.join(base, 'Dataset503_Gaps')
    await exportNnunetV2(project, destination)
    const datasetJson = JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8')) as Record<string, unknown>
    expect(datasetJson.labels).toEqual({ background: 0, a: 1, b: 2, c: 3 })
    const exported = await readLabelNifti(path.join(destination, 'labelsTr', 'case-0.nii.gz'))
    expect(Array.from(exported.data.subarray(0, 5))).toEqual([1, 2, 3, 2, 0])
  })

  it('refuses a label named "background" before writing anything', async () => {
    const project = await createProjectWithCases(path.join(base, 'bg'), { cases: 1, labels: [{ id: 1, name: 'background', color: '#000000' }] })
    others.push(project)
    const destination = path.join(base, 'Dataset504_Bg')
    await expect(exportNnunetV2(project, destination)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/label 1 is named "background"/) })
    expect(existsSync(destination)).toBe(false)
  })
})

describe('exportProject', () => {
  it('refuses predictions for the dataset formats instead of dropping them', async () => {
    for (const format of ['msd', 'nnunet-v2'] as const) {
      const destination = path.join(base, format)
      await expect(exportProject(store, destination, { format, includePredictions: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect(existsSync(destination)).toBe(false)
    }
  })

  it('confines every format to folders outside the project', async () => {
    for (const format of ['nifti', 'seg-nrrd', 'msd', 'nnunet-v2'] as const) {
      await expect(exportProject(store, path.join(store.root, 'export'), { format })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})
