import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti } from '../../../../../src/main/services/volumes/nifti'
import { writeImageNifti } from '../../../../../src/main/services/volumes/nifti/writeImageNifti'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, editOf, makeTempDir, removeDir, snapshotTree, syntheticImage } from './projectFixtures'

const HIPPOCAMPUS = sharedDataPath('labeled', 'msd_task04_hippocampus')
const NOT_NIFTI = sharedDataPath('nifti-suite', 'nifti-reader-js', 'not-nifti.nii')
const hippoImage = (caseId: string): string => path.join(HIPPOCAMPUS, 'imagesTr', `${caseId}.nii.gz`)
const hippoLabel = (caseId: string): string => path.join(HIPPOCAMPUS, 'labelsTr', `${caseId}.nii.gz`)

let base: string
let stores: ProjectStore[] = []

async function newProject(name = 'project'): Promise<ProjectStore> {
  const store = await ProjectStore.create(path.join(base, name), { name: 'Imported' })
  stores.push(store)
  return store
}

async function sourceFolder(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(base, name)
  await mkdir(dir, { recursive: true })
  for (const [target, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, target)), { recursive: true })
    await copyFile(source, path.join(dir, target))
  }
  return dir
}

beforeEach(async () => {
  base = await makeTempDir('import')
})

afterEach(async () => {
  for (const store of stores) await store.dispose()
  stores = []
  await removeDir(base)
})

describeUnless(sharedDataMissing, 'importing the MSD Task04 hippocampus folder', () => {
  it('imports all 41 cases with labels, label names and modality from dataset.json', async () => {
    const store = await newProject()
    const report = await importDataset(store, HIPPOCAMPUS)
    expect(report.format).toBe('msd')
    expect(report.skipped).toEqual([])
    expect(report.imported).toHaveLength(41)
    const manifest = store.getManifest()
    expect(manifest.modality).toBe('MR')
    expect(manifest.channelNames).toEqual(['MRI'])
    expect(manifest.labels.map((label) => [label.id, label.name])).toEqual([
      [1, 'Anterior'],
      [2, 'Posterior']
    ])
    expect(store.listCases().every((c) => c.status === 'done' && c.hasLabel)).toBe(true)
    // Voxel counts from MANIFEST.md; _003 has a float32 label cast to integers.
    expect(store.getCase('hippocampus_001').labelStats.map((s) => s.voxels)).toEqual([1324, 1624])
    expect(store.getCase('hippocampus_003').labelStats.map((s) => s.voxels)).toEqual([1550, 1803])
    expect(store.getCase('hippocampus_003').labelStats[0]?.volumeMl).toBeCloseTo(1.55)
    // Images are copied byte for byte; labels are integer maps on the image grid.
    expect(await readFile(path.join(store.root, 'images', 'hippocampus_243.nii.gz'))).toEqual(await readFile(hippoImage('hippocampus_243')))
    const label = await readLabelNifti(path.join(store.root, 'labels', 'hippocampus_003.nii.gz'))
    expect(label.header.storedDatatype).toBe('uint8')
    expect(label.data).toEqual((await readLabelNifti(hippoLabel('hippocampus_003'))).data)
    const audit = (await store.readAudit()).filter((entry) => entry.type === 'import')
    expect(audit).toHaveLength(1)
  })

  it('skips cases that already exist and imports the rest', async () => {
    const store = await newProject()
    const subset = await sourceFolder('subset', {
      'imagesTr/hippocampus_001.nii.gz': hippoImage('hippocampus_001'),
      'labelsTr/hippocampus_001.nii.gz': hippoLabel('hippocampus_001')
    })
    await importDataset(store, subset)
    const report = await importDataset(store, HIPPOCAMPUS)
    expect(report.imported).toHaveLength(40)
    expect(report.skipped).toEqual([
      { file: hippoImage('hippocampus_001'), reason: 'case hippocampus_001 already exists in the project' },
      { file: hippoLabel('hippocampus_001'), reason: 'case hippocampus_001 already exists in the project' }
    ])
  })
})

describeUnless(sharedDataMissing, 'importing a folder of NIfTI files', () => {
  it('skips a file that is not NIfTI with the reason and imports the rest, pairs found by name', async () => {
    const store = await newProject()
    const source = await sourceFolder('mixed', {
      'brain.nii.gz': hippoImage('hippocampus_004'),
      'brain_seg.nii.gz': hippoLabel('hippocampus_004'),
      'other.nii.gz': hippoImage('hippocampus_006'),
      'not-nifti.nii': NOT_NIFTI,
      'orphan_mask.nii.gz': hippoLabel('hippocampus_007')
    })
    await writeFile(path.join(source, 'README.txt'), 'notes')
    const report = await importDataset(store, source)
    expect(report.format).toBe('folder')
    expect(report.imported.map((c) => [c.caseId, c.labelFile && path.basename(c.labelFile)])).toEqual([
      ['brain', 'brain_seg.nii.gz'],
      ['other', null]
    ])
    const reasons = new Map(report.skipped.map((s) => [path.basename(s.file), s.reason]))
    expect(reasons.get('not-nifti.nii')).toMatch(/not-nifti\.nii/)
    expect(reasons.get('orphan_mask.nii.gz')).toMatch(/no image named orphan/)
    expect(reasons.get('README.txt')).toMatch(/not a NIfTI file/)
    expect(report.labelsAdded.map((label) => label.id)).toEqual([1, 2])
    expect(store.getCase('brain')).toMatchObject({ status: 'done', hasLabel: true })
    expect(store.getCase('other')).toMatchObject({ status: 'unlabeled', hasLabel: false })
  })

  it('imports an image without its label when the label is on another grid', async () => {
    const store = await newProject()
    const source = await sourceFolder('mismatch', {
      'a.nii.gz': hippoImage('hippocampus_001'),
      'a_label.nii.gz': hippoLabel('hippocampus_004')
    })
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([{ caseId: 'a', imageFile: path.join(source, 'a.nii.gz'), labelFile: null }])
    expect(report.skipped).toEqual([{ file: path.join(source, 'a_label.nii.gz'), reason: expect.stringMatching(/grid .* does not match/) }])
    expect(store.getCase('a').hasLabel).toBe(false)
  })

  it('gzips a plain .nii image', async () => {
    const store = await newProject()
    const source = path.join(base, 'plain')
    await mkdir(source)
    await writeFile(path.join(source, 'plain.nii'), gunzipSync(await readFile(hippoImage('hippocampus_001'))))
    await importDataset(store, source)
    const stored = await readFile(path.join(store.root, 'images', 'plain.nii.gz'))
    expect(gunzipSync(stored)).toEqual(await readFile(path.join(source, 'plain.nii')))
  })

  it('leaves an existing project byte-identical when nothing can be imported', async () => {
    const store = await createProjectWithCases(path.join(base, 'existing'))
    stores.push(store)
    await store.applyLabelEdit('case-0', editOf([0, 1], [1, 2]))
    await store.saveLabel('case-0')
    const before = await snapshotTree(store.root)
    const source = await sourceFolder('bad', { 'not-nifti.nii': NOT_NIFTI, 'case-0.nii.gz': hippoImage('hippocampus_001') })
    await writeFile(path.join(source, 'truncated.nii.gz'), (await readFile(hippoImage('hippocampus_004'))).subarray(0, 2000))
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([])
    expect(report.skipped.map((s) => path.basename(s.file)).sort()).toEqual(['case-0.nii.gz', 'not-nifti.nii', 'truncated.nii.gz'])
    expect(await snapshotTree(store.root)).toEqual(before)
  })

  it('rolls back every file it moved when the commit fails half way', async () => {
    const store = await createProjectWithCases(path.join(base, 'existing'))
    stores.push(store)
    // A dangling symlink where the second case's label would go makes that move fail.
    await symlink(path.join(base, 'nowhere.nii.gz'), path.join(store.root, 'labels', 'second.nii.gz'))
    const before = await snapshotTree(store.root)
    const source = await sourceFolder('pairs', {
      'first.nii.gz': hippoImage('hippocampus_001'),
      'first_seg.nii.gz': hippoLabel('hippocampus_001'),
      'second.nii.gz': hippoImage('hippocampus_004'),
      'second_seg.nii.gz': hippoLabel('hippocampus_004')
    })
    await expect(importDataset(store, source)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(store.listCases().map((c) => c.id)).toEqual(['case-0', 'case-1'])
    expect(store.getManifest().labels.map((label) => label.id)).toEqual([1, 2, 3])
  })

  it('refuses to import the project into itself', async () => {
    const store = await newProject()
    await expect(importDataset(store, store.root)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(importDataset(store, path.join(store.root, 'images'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(importDataset(store, path.join(base, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('importing nnU-Net style datasets', () => {
  it('stacks <case>_0000, _0001 channel files and reads labels written name → id', async () => {
    const source = path.join(base, 'Dataset001')
    await mkdir(path.join(source, 'imagesTr'), { recursive: true })
    await mkdir(path.join(source, 'labelsTr'))
    await mkdir(path.join(source, 'imagesTs'))
    const t1 = syntheticImage([6, 5, 4])
    const t2 = { header: t1.header, data: t1.data.map((v) => v * 2) }
    await writeImageNifti(path.join(source, 'imagesTr', 'c1_0000.nii.gz'), t1)
    await writeImageNifti(path.join(source, 'imagesTr', 'c1_0001.nii.gz'), t2)
    await writeImageNifti(path.join(source, 'imagesTs', 'c2_0000.nii.gz'), t1)
    await writeImageNifti(path.join(source, 'imagesTs', 'c2_0001.nii.gz'), t2)
    const label = { header: { ...t1.header, datatype: 'uint8' as const }, data: new Uint8Array(120).fill(1, 0, 10) }
    await writeImageNifti(path.join(source, 'labelsTr', 'c1.nii.gz'), label)
    await writeFile(
      path.join(source, 'dataset.json'),
      JSON.stringify({ channel_names: { '0': 'T1', '1': 'T2' }, labels: { background: 0, tumour: 1 }, file_ending: '.nii.gz' })
    )
    await writeFile(path.join(source, 'imagesTr', '._c1_0000.nii.gz'), 'apple double')
    const store = await newProject()
    const report = await importDataset(store, source)
    expect(report.imported.map((c) => c.caseId)).toEqual(['c1', 'c2'])
    expect(report.skipped).toEqual([{ file: path.join(source, 'imagesTr', '._c1_0000.nii.gz'), reason: expect.stringMatching(/resource-fork/) }])
    expect(store.getManifest()).toMatchObject({ modality: 'MR', channelNames: ['T1', 'T2'], labels: [{ id: 1, name: 'tumour' }] })
    const image = await store.loadImage('c1')
    expect(image.header.channels).toBe(2)
    expect(image.data.subarray(120, 130)).toEqual(t2.data.subarray(0, 10))
    expect(store.getCase('c1')).toMatchObject({ status: 'done', labelStats: [{ labelId: 1, voxels: 10 }] })
    expect(store.getCase('c2')).toMatchObject({ status: 'unlabeled', channels: 2 })
  })

  it('does not follow dataset.json paths out of the dataset folder', async () => {
    const source = path.join(base, 'escape')
    await mkdir(path.join(source, 'imagesTr'), { recursive: true })
    await writeImageNifti(path.join(base, 'secret.nii.gz'), syntheticImage([4, 4, 4]))
    await writeFile(
      path.join(source, 'dataset.json'),
      JSON.stringify({ modality: { '0': 'CT' }, labels: { '0': 'background' }, training: [{ image: '../secret.nii.gz', label: '../secret.nii.gz' }] })
    )
    const store = await newProject()
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([])
    expect(report.skipped.map((s) => s.reason)).toEqual([
      'dataset.json points outside the dataset folder',
      'dataset.json points outside the dataset folder'
    ])
    expect(await readdir(path.join(store.root, 'images'))).toEqual([])
  })
})
