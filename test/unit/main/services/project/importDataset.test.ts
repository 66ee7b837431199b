import { execFileSync } from 'node:child_process'
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { type ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti } from '../../../../../src/node/formats/nifti'
import { writeImageNifti } from '../../../../../src/node/formats/nifti/writeImageNifti'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { buildNifti, headerBytes } from '../../../../helpers/niftiBuilder'
import { writeSlicerCase } from '../../../../helpers/slicerFiles'
import { describeUnless, itUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, editOf, snapshotTree, syntheticImage } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

const HIPPOCAMPUS = sharedDataPath('labeled', 'msd_task04_hippocampus')
const NOT_NIFTI = sharedDataPath('nifti-suite', 'nifti-reader-js', 'not-nifti.nii')
const hippoImage = (caseId: string): string => path.join(HIPPOCAMPUS, 'imagesTr', `${caseId}.nii.gz`)
const hippoLabel = (caseId: string): string => path.join(HIPPOCAMPUS, 'labelsTr', `${caseId}.nii.gz`)

const scratch = scratchProjects('import')

async function sourceFolder(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(scratch.base, name)
  await mkdir(dir, { recursive: true })
  for (const [target, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, target)), { recursive: true })
    await copyFile(source, path.join(dir, target))
  }
  return dir
}

describeUnless(sharedDataMissing, 'importing the MSD Task04 hippocampus folder', () => {
  it('imports all 41 cases with labels, label names and modality from dataset.json', async () => {
    const store = await scratch.newProject()
    const report = await importDataset(store, HIPPOCAMPUS)
    expect(report.format).toBe('msd')
    expect(report.skipped).toEqual([])
    expect(report.repaired).toEqual([])
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
    const store = await scratch.newProject()
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
  it("imports 3D Slicer's NRRD: an image .nrrd and its .seg.nrrd become the case NIfTI gives, named by the segments", async () => {
    const source = path.join(scratch.base, 'slicer')
    await mkdir(source, { recursive: true })
    const { image, label } = await writeSlicerCase(source, 'hippo', hippoImage('hippocampus_004'), hippoLabel('hippocampus_004'), [
      { labelValue: 1, name: 'Head', color: '#ff0000' },
      { labelValue: 2, name: 'Tail', color: '#0000ff' }
    ])
    // Float32 as the NRRD stores it, so the stored voxels can be compared exactly.
    expect(image.data).toBeInstanceOf(Float32Array)
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.skipped).toEqual([])
    expect(report.imported).toEqual([{ caseId: 'hippo', imageFile: path.join(source, 'hippo.nrrd'), labelFile: path.join(source, 'hippo.seg.nrrd') }])
    expect(report.labelsAdded).toEqual([
      { id: 1, name: 'Head', color: '#ff0000' },
      { id: 2, name: 'Tail', color: '#0000ff' }
    ])
    const stored = await store.loadImage('hippo')
    expect(stored.header.dims).toEqual(image.header.dims)
    for (const [row, values] of stored.header.rasFromIjk.entries()) for (const [column, value] of values.entries()) expect(value).toBeCloseTo(image.header.rasFromIjk[row]?.[column] ?? NaN, 5)
    expect(Array.from(stored.data)).toEqual(Array.from(image.data))
    expect((await readLabelNifti(path.join(store.root, 'labels', 'hippo.nii.gz'))).data).toEqual(label.data)
    expect(store.getCase('hippo')).toMatchObject({ status: 'done', hasLabel: true })
  })

  it('skips a file that is not NIfTI with the reason and imports the rest, pairs found by name', async () => {
    const store = await scratch.newProject()
    const source = await sourceFolder('mixed', {
      'brain.nii.gz': hippoImage('hippocampus_004'),
      'brain_seg.nii.gz': hippoLabel('hippocampus_004'),
      'other.nii.gz': hippoImage('hippocampus_006'),
      'not-nifti.nii': NOT_NIFTI,
      'orphan_mask.nii.gz': hippoLabel('hippocampus_007')
    })
    await writeFile(path.join(source, 'README.txt'), 'notes')
    await writeFile(path.join(source, 'scan.mha'), 'ObjectType = Image\n')
    const report = await importDataset(store, source)
    expect(report.format).toBe('folder')
    expect(report.imported.map((c) => [c.caseId, c.labelFile && path.basename(c.labelFile)])).toEqual([
      ['brain', 'brain_seg.nii.gz'],
      ['other', null]
    ])
    const reasons = new Map(report.skipped.map((s) => [path.basename(s.file), s.reason]))
    expect(reasons.get('not-nifti.nii')).toMatch(/not-nifti\.nii/)
    expect(reasons.get('orphan_mask.nii.gz')).toMatch(/no image named orphan/)
    expect(reasons.get('README.txt')).toMatch(/^not a NIfTI or NRRD file \(\.nii, \.nii\.gz, \.hdr\/\.img, \.nrrd, \.nhdr\)$/)
    // A MetaImage: named as what it is, with what to do.
    expect(reasons.get('scan.mha')).toMatch(/^not a NIfTI file: it is a MetaImage \(\.mha\/\.mhd\) file, which Voxloop does not read: convert it to NIfTI/)
    expect(report.labelsAdded.map((label) => label.id)).toEqual([1, 2])
    expect(store.getCase('brain')).toMatchObject({ status: 'done', hasLabel: true })
    expect(store.getCase('other')).toMatchObject({ status: 'unlabeled', hasLabel: false })
  })

  it('imports an image without its label when the label is on another grid', async () => {
    const store = await scratch.newProject()
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
    const store = await scratch.newProject()
    const source = path.join(scratch.base, 'plain')
    await mkdir(source)
    await writeFile(path.join(source, 'plain.nii'), gunzipSync(await readFile(hippoImage('hippocampus_001'))))
    await importDataset(store, source)
    const stored = await readFile(path.join(store.root, 'images', 'plain.nii.gz'))
    expect(gunzipSync(stored)).toEqual(await readFile(path.join(source, 'plain.nii')))
  })

  it('leaves an existing project byte-identical when nothing can be imported', async () => {
    const store = await createProjectWithCases(path.join(scratch.base, 'existing'))
    scratch.track(store)
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
    const store = await createProjectWithCases(path.join(scratch.base, 'existing'))
    scratch.track(store)
    // A dangling symlink where the second case's label would go makes that move fail.
    await symlink(path.join(scratch.base, 'nowhere.nii.gz'), path.join(store.root, 'labels', 'second.nii.gz'))
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
    const store = await scratch.newProject()
    await expect(importDataset(store, store.root)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(importDataset(store, path.join(store.root, 'images'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(importDataset(store, path.join(scratch.base, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('importing nnU-Net style datasets', () => {
  it('stacks <case>_0000, _0001 channel files and reads labels written name → id', async () => {
    const source = path.join(scratch.base, 'Dataset001')
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
    const store = await scratch.newProject()
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
    const source = path.join(scratch.base, 'escape')
    await mkdir(path.join(source, 'imagesTr'), { recursive: true })
    await writeImageNifti(path.join(scratch.base, 'secret.nii.gz'), syntheticImage([4, 4, 4]))
    await writeFile(
      path.join(source, 'dataset.json'),
      JSON.stringify({ modality: { '0': 'CT' }, labels: { '0': 'background' }, training: [{ image: '../secret.nii.gz', label: '../secret.nii.gz' }] })
    )
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([])
    expect(report.skipped.map((s) => s.reason)).toEqual([
      'dataset.json points outside the dataset folder',
      'dataset.json points outside the dataset folder'
    ])
    expect(await readdir(path.join(store.root, 'images'))).toEqual([])
  })
})

/** Entries of the project folder that an import left behind in staging. */
async function stagingLeftovers(store: ProjectStore): Promise<string[]> {
  return (await readdir(store.root)).filter((name) => name.startsWith('.import-'))
}

const fifoUnavailable = process.platform === 'win32' ? 'Windows has no mkfifo (named pipes there are not files in a folder)' : null

describe('importing files that cannot or should not be read as they are', () => {
  itUnless(fifoUnavailable, 'lists a named pipe called .nii (and a symlink to one) as skipped instead of hanging', async () => {
    const store = await scratch.newProject()
    const source = path.join(scratch.base, 'with-fifo')
    await mkdir(source)
    await writeImageNifti(path.join(source, 'real.nii.gz'), syntheticImage([4, 4, 4]))
    execFileSync('mkfifo', [path.join(source, 'pipe.nii')])
    await symlink(path.join(source, 'pipe.nii'), path.join(source, 'link.nii.gz'))
    const report = await Promise.race([
      importDataset(store, source),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('import still running after 10 s')), 10_000))
    ])
    expect(report.imported.map((c) => c.caseId)).toEqual(['real'])
    expect(report.skipped).toEqual([
      { file: path.join(source, 'link.nii.gz'), reason: 'a named pipe (FIFO), not a regular file' },
      { file: path.join(source, 'pipe.nii'), reason: 'a named pipe (FIFO), not a regular file' }
    ])
    expect(await stagingLeftovers(store)).toEqual([])
  })

  it('skips a 2 GiB volume over the memory limit with a clear reason, and leaves no staging folder', async () => {
    // Exactly 1024^3 int16 = 2^31 bytes: one fs read of that size used to abort the whole process.
    const store = await scratch.newProject()
    const source = path.join(scratch.base, 'huge')
    await mkdir(source)
    await writeImageNifti(path.join(source, 'small.nii.gz'), syntheticImage([4, 4, 4]))
    const huge = path.join(source, 'huge.nii')
    const fd = openSync(huge, 'w')
    try {
      const header = headerBytes({ dims: [1024, 1024, 1024], datatype: 4 }, 352)
      writeSync(fd, header, 0, header.length, 0)
      ftruncateSync(fd, 352 + 2 ** 31) // sparse: no disk used
    } finally {
      closeSync(fd)
    }
    const report = await importDataset(store, source, { maxVoxelBytes: 2 ** 30 })
    expect(report.imported.map((c) => c.caseId)).toEqual(['small'])
    expect(report.skipped).toEqual([
      {
        file: huge,
        reason: `${huge}: volume too large: 1024x1024x1024x1 int16 needs 2,147,483,648 bytes (2.00 GiB); the limit is 1,073,741,824 bytes (1.00 GiB)`
      }
    ])
    expect(await stagingLeftovers(store)).toEqual([])
  })

  it('leaves no staging folder when an import is cancelled half way', async () => {
    const store = await scratch.newProject()
    const source = path.join(scratch.base, 'cancelled')
    await mkdir(source)
    for (const name of ['a', 'b', 'c']) await writeImageNifti(path.join(source, `${name}.nii.gz`), syntheticImage([4, 4, 4]))
    const controller = new AbortController()
    await expect(importDataset(store, source, { signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await stagingLeftovers(store)).toEqual([])
    expect(store.listCases()).toEqual([])
  })

  it('stores an image with broken header extensions repaired, and says so', async () => {
    const store = await scratch.newProject()
    const source = path.join(scratch.base, 'bad-extension')
    await mkdir(source)
    // A valid comment extension, then one whose esize (0) nibabel cannot walk past.
    const extension = new Uint8Array(64)
    const view = new DataView(extension.buffer)
    view.setInt32(0, 32, true)
    view.setInt32(4, 6, true)
    extension.set(new TextEncoder().encode('kept'), 8)
    view.setInt32(36, 6, true)
    const voxels = Int16Array.from({ length: 60 }, (_, i) => i)
    const original = buildNifti({ dims: [3, 4, 5], datatype: 4, extension }, voxels)
    const file = path.join(source, 'scan.nii.gz')
    await writeFile(file, gzipSync(original))
    const report = await importDataset(store, source)
    expect(report.imported.map((c) => c.caseId)).toEqual(['scan'])
    // Imported, so listed as repaired and not as skipped (the UI counts skipped files as not imported).
    expect(report.skipped).toEqual([])
    expect(report.repaired).toEqual([{ file, repairs: [expect.stringMatching(/^header extension at byte 384: esize 0 is not a positive multiple of 16/)] }])
    const stored = gunzipSync(await readFile(path.join(store.root, 'images', 'scan.nii.gz')))
    // Same bytes but for the broken extension's esize/ecode, which now span the rest of the area.
    expect(stored.length).toBe(original.length)
    expect(stored.subarray(0, 384).equals(Buffer.from(original.subarray(0, 384)))).toBe(true)
    expect([stored.readInt32LE(384), stored.readInt32LE(388)]).toEqual([32, 0])
    expect(stored.subarray(392).equals(Buffer.from(original.subarray(392)))).toBe(true)
    expect(Array.from((await store.loadImage('scan')).data)).toEqual(Array.from(voxels))
  })
})

