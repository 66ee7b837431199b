import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { importDataset, type ImportOptions } from '../../../../../src/main/services/project/importDataset'
import { type ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti, readNifti } from '../../../../../src/node/formats/nifti'
import { imageHeaderForGrid, writeImageNifti } from '../../../../../src/node/formats/nifti/writeImageNifti'
import type { ImportReport } from '../../../../../src/shared/project'
import type { VoxelArray } from '../../../../../src/shared/volume'
import { buildNifti, buildNiftiGz } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, snapshotTree } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

/** What an import does with a 4D NIfTI's 4th dimension: channels, or time points (issue #14). */

const DIMS = [5, 4, 3] as const
const VOXELS = DIMS[0] * DIMS[1] * DIMS[2]
/** An oblique-free but permuted, shifted affine (pixdim 2, 2, 3), so "same affine" is not the identity. */
const SROW: [[number, number, number, number], [number, number, number, number], [number, number, number, number]] = [
  [0, -2, 0, 10],
  [2, 0, 0, -5],
  [0, 0, 3, 7]
]
const NIFTI_INT16 = 4
const NIFTI_UINT8 = 2
/** xyzt_units: mm (2) + seconds (8), as dcm2niix writes; mm alone says nothing about dim[4]. */
const MM_SEC = 10
const MM = 2

const scratch = scratchProjects('import-4d')

interface SeriesSpec {
  points: number
  xyztUnits?: number
  pixdim4?: number
}

/** Voxel n of time point t holds 100·t + n: every time point differs from every other. */
function seriesVoxels(points: number): Int16Array {
  return Int16Array.from({ length: VOXELS * points }, (_, index) => 100 * Math.floor(index / VOXELS) + (index % VOXELS))
}

function seriesBytes(spec: SeriesSpec): Uint8Array {
  return buildNifti(
    {
      dims: [...DIMS, spec.points],
      datatype: NIFTI_INT16,
      bitpix: 16,
      pixdim: [1, 2, 2, 3, spec.pixdim4 ?? 1.5],
      sformCode: 1,
      srow: SROW,
      xyztUnits: spec.xyztUnits ?? MM_SEC
    },
    seriesVoxels(spec.points)
  )
}

/** A label with `points` volumes (3D when 1): time point t labels its first t + 1 voxels as 1. */
function labelBytes(points: number): Uint8Array {
  const data = Uint8Array.from({ length: VOXELS * points }, (_, index) => (index % VOXELS <= Math.floor(index / VOXELS) ? 1 : 0))
  return buildNifti({ dims: points === 1 ? [...DIMS] : [...DIMS, points], datatype: NIFTI_UINT8, bitpix: 8, pixdim: [1, 2, 2, 3, 1.5], sformCode: 1, srow: SROW }, data)
}

async function folderWith(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = path.join(scratch.base, name)
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), content)
  }
  return dir
}

function sameVoxels(actual: VoxelArray, expected: VoxelArray): void {
  expect(actual.constructor).toBe(expected.constructor)
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0)
}

/** Every imported case is one time point of `source`: its voxels, its grid and affine, one channel. */
async function expectTimePointCases(store: ProjectStore, report: ImportReport, source: string, caseId: string): Promise<void> {
  const series = await readNifti(source)
  const points = series.header.channels
  const ids = Array.from({ length: points }, (_, t) => `${caseId}_t${String(t).padStart(3, '0')}`)
  expect(report.imported.map((imported) => imported.caseId)).toEqual(ids)
  expect(report.imported.map((imported) => imported.imageFile)).toEqual(ids.map((_, t) => `${source} (time point ${t} of ${points})`))
  for (const [t, id] of ids.entries()) {
    const stored = await readNifti(path.join(store.root, 'images', `${id}.nii.gz`))
    expect(stored.header.dims).toEqual(series.header.dims)
    expect(stored.header.channels).toBe(1)
    expect(stored.header.rasFromIjk).toEqual(series.header.rasFromIjk)
    sameVoxels(stored.data, series.data.subarray(t * stored.data.length, (t + 1) * stored.data.length))
    expect(store.getCase(id)).toMatchObject({ channels: 1, dims: series.header.dims })
  }
  expect(store.getManifest().channelNames).toEqual(['image'])
}

describe('a 4D NIfTI whose header makes dim[4] time', () => {
  it('is skipped without --4d, with the file, its time points, the TR and what to pass; nothing is stored', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 4 }) })
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([])
    expect(report.skipped).toEqual([
      {
        file: path.join(source, 'fmri.nii'),
        reason:
          'a 4D time series of 4 time points (TR 1.5 s; the header gives dim[4] a time step of 1.5 s (xyzt_units, pixdim[4])), and Voxloop labels 3D volumes: ' +
          'pass --4d time to import each time point as its own case (fmri_t000 … fmri_t003, same affine), or --4d channels if the 4th dimension holds channels (sequences) of one image'
      }
    ])
    expect(store.listCases()).toEqual([])
    expect(await snapshotTree(store.root)).toEqual(before)
  })

  it('becomes one case per time point with --4d time: that time point’s voxels, the same grid and affine', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 4 }) })
    const store = await scratch.newProject()
    const report = await importDataset(store, source, { fourD: 'time' })
    expect(report.skipped).toEqual([])
    await expectTimePointCases(store, report, path.join(source, 'fmri.nii'), 'fmri')
    expect(store.listCases().every((c) => c.status === 'unlabeled')).toBe(true)
  })

  it('stays one case with one channel per volume with --4d channels (where without it it is skipped)', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 4 }) })
    const store = await scratch.newProject()
    expect((await importDataset(store, source)).imported).toEqual([])
    const report = await importDataset(store, source, { fourD: 'channels' })
    expect(report.imported.map((imported) => imported.caseId)).toEqual(['fmri'])
    expect(store.getCase('fmri').channels).toBe(4)
    expect(store.getManifest().channelNames).toEqual(['channel 0', 'channel 1', 'channel 2', 'channel 3'])
    const stored = await readNifti(path.join(store.root, 'images', 'fmri.nii.gz'))
    sameVoxels(stored.data, seriesVoxels(4))
  })

  it('reports progress per file handled, not per time point, so it never passes the total', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 4 }), 'broken.nii': 'not a NIfTI file' })
    const store = await scratch.newProject()
    const progress: { done: number; total: number; caseId: string }[] = []
    const report = await importDataset(store, source, { fourD: 'time', onProgress: (step) => progress.push(step) })
    expect(report.imported).toHaveLength(4)
    expect(progress.map((step) => [step.done, step.total])).toEqual([
      [1, 2],
      [2, 2]
    ])
    expect(progress.map((step) => step.caseId).sort()).toEqual(['broken', 'fmri'])
  })

  it('skips only the time points whose case already exists', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 3 }) })
    const store = await scratch.newProject()
    await importDataset(store, source, { fourD: 'time' })
    const later = await folderWith('later', { 'fmri.nii': seriesBytes({ points: 4 }) })
    const report = await importDataset(store, later, { fourD: 'time' })
    expect(report.imported.map((imported) => imported.caseId)).toEqual(['fmri_t003'])
    expect(report.skipped.map((skip) => skip.reason)).toEqual([0, 1, 2].map((t) => `time point ${t} of 4: case fmri_t00${t} already exists in the project`))
  })
})

describe('labels with a time series (--4d time)', () => {
  it('splits a 4D label with the same time points: each case gets its own time point’s label', async () => {
    const source = await folderWith('fmri', { 'fmri.nii': seriesBytes({ points: 3 }), 'fmri_seg.nii': labelBytes(3) })
    const store = await scratch.newProject()
    const report = await importDataset(store, source, { fourD: 'time' })
    expect(report.skipped).toEqual([])
    expect(report.imported.map((imported) => imported.labelFile)).toEqual([0, 1, 2].map((t) => `${path.join(source, 'fmri_seg.nii')} (time point ${t} of 3)`))
    for (const t of [0, 1, 2]) {
      const id = `fmri_t00${t}`
      expect(store.getCase(id)).toMatchObject({ status: 'done', hasLabel: true })
      const label = await readLabelNifti(path.join(store.root, 'labels', `${id}.nii.gz`))
      expect(Array.from(label.data)).toEqual(Array.from({ length: VOXELS }, (_, n) => (n <= t ? 1 : 0)))
      expect(label.header.rasFromIjk).toEqual((await readNifti(path.join(store.root, 'images', `${id}.nii.gz`))).header.rasFromIjk)
    }
  })

  it('refuses a 3D label or one with other time points, and imports the time points without it', async () => {
    for (const [name, labelPoints, has] of [
      ['three-d', 1, 'a single 3D volume'],
      ['short', 2, '2 volumes']
    ] as const) {
      const source = await folderWith(name, { 'fmri.nii': seriesBytes({ points: 3 }), 'fmri_seg.nii': labelBytes(labelPoints) })
      const store = await scratch.newProject(`project-${name}`)
      const report = await importDataset(store, source, { fourD: 'time' })
      const labelFile = path.join(source, 'fmri_seg.nii')
      expect(report.skipped).toEqual([
        {
          file: labelFile,
          reason: `${labelFile}: its image is a time series of 3 time points, so its label must be 4D with one label volume per time point; this one has ${has}; the time points were imported without label`
        }
      ])
      expect(report.imported.map((imported) => [imported.caseId, imported.labelFile])).toEqual([
        ['fmri_t000', null],
        ['fmri_t001', null],
        ['fmri_t002', null]
      ])
      expect(store.listCases().every((c) => c.status === 'unlabeled' && !c.hasLabel)).toBe(true)
    }
  })
})

describe('a 4D NIfTI whose dim[4] is channels', () => {
  it('is read as channels when dataset.json lists that many, though the header gives dim[4] seconds (BraTS); alone it is a time series', async () => {
    const image = buildNiftiGz(
      { dims: [...DIMS, 2], datatype: NIFTI_INT16, bitpix: 16, pixdim: [1, 2, 2, 3, 1], sformCode: 1, srow: SROW, xyztUnits: MM_SEC },
      seriesVoxels(2)
    )
    const datasetJson = JSON.stringify({ name: 'BrainTumour', modality: { '0': 'FLAIR', '1': 'T2w' }, labels: { '0': 'background', '1': 'edema' } })
    const msd = await folderWith('msd', { 'dataset.json': datasetJson, 'imagesTr/BRATS_001.nii.gz': image })
    const store = await scratch.newProject()
    const report = await importDataset(store, msd)
    expect(report.skipped).toEqual([])
    expect(report.imported.map((imported) => imported.caseId)).toEqual(['BRATS_001'])
    expect(store.getCase('BRATS_001').channels).toBe(2)
    expect(store.getManifest().channelNames).toEqual(['FLAIR', 'T2w'])

    const flat = await folderWith('flat', { 'BRATS_001.nii.gz': image })
    const alone = await importDataset(await scratch.newProject('alone'), flat)
    expect(alone.imported).toEqual([])
    expect(alone.skipped[0]?.reason).toMatch(/^a 4D time series of 2 time points \(TR 1 s;/)
  })

  it('is read as channels when nothing says what dim[4] is, and a channel mismatch then names --4d time', async () => {
    const source = await folderWith('plain', { 'multi.nii': seriesBytes({ points: 3, xyztUnits: MM }) })
    const empty = await scratch.newProject('empty')
    const report = await importDataset(empty, source)
    expect(report.imported.map((imported) => imported.caseId)).toEqual(['multi'])
    expect(empty.getCase('multi').channels).toBe(3)

    const oneChannel = await createProjectWithCases(path.join(scratch.base, 'one-channel'), { cases: 1 })
    scratch.track(oneChannel)
    const mismatch = await importDataset(oneChannel, source)
    expect(mismatch.skipped).toEqual([
      {
        file: path.join(source, 'multi.nii'),
        reason: "the image has 3 channel(s); the project's images have 1; if its 4th dimension is time, pass --4d time to import each time point as a case"
      }
    ])
  })
})

describe('a multi-channel image Voxloop wrote', () => {
  it('imports back as channels from a plain folder (its header gives dim[4] no time unit)', async () => {
    const grid = imageHeaderForGrid({ dims: [...DIMS], channels: 2, datatype: 'int16', rasFromIjk: [[2, 0, 0, 1], [0, 2, 0, 2], [0, 0, 3, 3], [0, 0, 0, 1]] })
    const source = path.join(scratch.base, 'written')
    await mkdir(source, { recursive: true })
    await writeImageNifti(path.join(source, 'two.nii.gz'), { header: grid, data: seriesVoxels(2) })
    const store = await scratch.newProject('written-back')
    const report = await importDataset(store, source)
    expect(report.skipped).toEqual([])
    expect(store.getCase('two').channels).toBe(2)
  })
})

describeUnless(sharedDataMissing, 'the 4D files of the shared data (nibabel test files)', () => {
  const EXAMPLE4D = sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz')
  const FUNCTIONAL = sharedDataPath('nifti-suite', 'nibabel', 'functional.nii')

  async function folderOf(file: string): Promise<string> {
    const dir = path.join(scratch.base, path.basename(file).replace(/\..*$/, ''))
    await mkdir(dir, { recursive: true })
    await copyFile(file, path.join(dir, path.basename(file)))
    return dir
  }

  for (const [file, caseId, points, tr] of [
    [EXAMPLE4D, 'example4d', 2, '2000 s'],
    [FUNCTIONAL, 'functional', 20, '2 s']
  ] as const) {
    it(`skips ${caseId} without --4d (${points} time points, TR ${tr} as its header says) and imports its time points with --4d time`, async () => {
      const source = await folderOf(file)
      const copy = path.join(source, path.basename(file))
      const store = await scratch.newProject()
      const refused = await importDataset(store, source)
      expect(refused.imported).toEqual([])
      expect(refused.skipped).toHaveLength(1)
      expect(refused.skipped[0]?.file).toBe(copy)
      expect(refused.skipped[0]?.reason).toContain(`a 4D time series of ${points} time points (TR ${tr};`)
      const options: ImportOptions = { fourD: 'time' }
      const report = await importDataset(store, source, options)
      expect(report.skipped).toEqual([])
      await expectTimePointCases(store, report, copy, caseId)
    })
  }

  it('refuses --4d for a DICOM folder, whose 4D series it does not split, and stores nothing', async () => {
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    await expect(importDataset(store, sharedDataPath('dicom', 'udacity_hcrop_study1_13'), { fourD: 'time' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('--4d applies to 4D NIfTI files, but this folder holds DICOM files')
    })
    expect(await snapshotTree(store.root)).toEqual(before)
  })
})
