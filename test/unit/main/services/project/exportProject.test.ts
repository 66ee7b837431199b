import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportLabels, exportMsd } from '../../../../../src/main/services/project/exportProject'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti } from '../../../../../src/main/services/volumes/nifti'
import { createProjectWithCases, editOf, makeTempDir, removeDir, syntheticImage } from './projectFixtures'

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
    expect(report.files).toEqual(['case-0.nii.gz', 'case-1.nii.gz'])
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
    expect(again.skipped).toEqual([{ file: 'case-0.nii.gz', reason: 'already in the destination; not overwritten' }])
    expect((await exportLabels(store, destination, { caseIds: ['case-0'], overwrite: true })).files).toEqual(['case-0.nii.gz'])
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
