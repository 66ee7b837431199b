import { createHash } from 'node:crypto'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { data } from 'dcmjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { caseIdForSeries, listDicomSeries, seriesMatches } from '../../../../../src/main/services/project/importDicom'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { convertDicomFiles, findDicomFiles, readDicomFileHeaders } from '../../../../../src/node/formats/dicom'
import { readNifti } from '../../../../../src/node/formats/nifti'
import { CaseIndexSchema, defaultLabelColor, isValidCaseId, type DicomSource } from '../../../../../src/shared/project'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, makeTempDir, removeDir, snapshotTree } from './projectFixtures'

const CONVERTER = 'dcm2niix v1.0.20241231 (WebAssembly)'
const sha6 = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 6)

function volume(outputName: string, source: Partial<DicomSource>): { outputName: string; source: DicomSource } {
  return { outputName, source: { converter: CONVERTER, ...source } }
}

describe('caseIdForSeries', () => {
  it('is the series description and number plus a tag of the SeriesInstanceUID', () => {
    expect(caseIdForSeries(volume('7', { seriesDescription: 'ax_asc_35sl', seriesNumber: 7, seriesInstanceUid: '1.2.3' }))).toBe(`ax_asc_35sl_7_${sha6('1.2.3')}`)
  })

  it("keeps the suffix dcm2niix gives a volume split off a series (echo 2), so both volumes get a case", () => {
    const uid = { seriesDescription: 'gre_me', seriesNumber: 4, seriesInstanceUid: '9.8' }
    expect(caseIdForSeries(volume('4_e2', uid))).toBe(`gre_me_4_e2_${sha6('9.8')}`)
    expect(caseIdForSeries(volume('4', uid))).not.toBe(caseIdForSeries(volume('4_e2', uid)))
  })

  it('tells apart the same description in two studies, and gives the same id to the same series again', () => {
    const a = caseIdForSeries(volume('-1381334831', { seriesDescription: 'HippoCrop', seriesInstanceUid: '1.2.826.1' }))
    const b = caseIdForSeries(volume('-1381334831', { seriesDescription: 'HippoCrop', seriesInstanceUid: '1.2.826.2' }))
    expect(a).not.toBe(b)
    expect(caseIdForSeries(volume('-1381334831', { seriesDescription: 'HippoCrop', seriesInstanceUid: '1.2.826.1' }))).toBe(a)
    // No series number in the sidecar: the CRC dcm2niix printed instead is not part of the id.
    expect(a).toBe(`HippoCrop_${sha6('1.2.826.1')}`)
  })

  it('is confined to the case id rules whatever the description holds, and never uses the patient fields', () => {
    const id = caseIdForSeries(volume('3', { seriesDescription: '../T1 MPRAGE/sag (1mm) ÄÖ', seriesNumber: 3, patientName: 'Doe^John', patientId: 'MRN12345' }))
    expect(isValidCaseId(id)).toBe(true)
    expect(id).toBe('T1_MPRAGE_sag_1mm_3')
    expect(caseIdForSeries(volume('0', { protocolName: 'FDG_TK_KM' }))).toBe('FDG_TK_KM')
    expect(caseIdForSeries(volume('0', {}))).toBe('series')
    expect(caseIdForSeries(volume('2', { seriesDescription: '***', seriesNumber: 2 }))).toBe('series_2')
    expect(caseIdForSeries(volume('1', { seriesDescription: 'x'.repeat(300), seriesNumber: 1, seriesInstanceUid: '5' }))).toBe(`${'x'.repeat(64)}_1_${sha6('5')}`)
  })
})

describe('seriesMatches (--series)', () => {
  const series = volume('7_e2', { seriesNumber: 7, seriesInstanceUid: '1.2.840.7' })
  it.each([
    ['7', true],
    ['1.2.840.7', true],
    ['7_e2', true],
    ['70', false],
    ['1.2.840', false]
  ])('%s → %s', (wanted, expected) => {
    expect(seriesMatches(series, wanted)).toBe(expected)
  })
})

describeUnless(sharedDataMissing, 'importDataset on DICOM folders', () => {
  let base: string
  beforeEach(async () => {
    base = await makeTempDir('import-dicom')
  })
  afterEach(async () => {
    await removeDir(base)
  })

  it("imports a series as one case: dcm2niix's NIfTI stored gzipped, its identifiers kept in cases.json, MR from (0008,0060)", async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const store = await ProjectStore.create(path.join(base, 'p'), { name: 'p' })
    try {
      const report = await importDataset(store, folder)
      expect(report.format).toBe('dicom')
      expect(report.skipped).toEqual([])
      expect(report.imported).toHaveLength(1)
      const caseId = report.imported[0]?.caseId ?? ''
      expect(caseId).toMatch(/^HippoCrop_[0-9a-f]{6}$/)
      expect(report.modality).toMatchObject({ modality: 'MR', source: 'dicom', applied: true })
      expect(store.getManifest()).toMatchObject({ modality: 'MR', modalitySource: 'dicom', channelNames: ['image'] })
      // DICOM brings no label table: the new project gets label 1 to paint with (importLabels.ts).
      const label1 = { id: 1, name: 'Label 1', color: defaultLabelColor(1) }
      expect(report.labelsAdded).toEqual([label1])
      expect(store.getManifest().labels).toEqual([label1])
      expect(store.getCase(caseId)).toMatchObject({ dims: [35, 51, 32], spacing: [1, 1, 1], channels: 1, status: 'unlabeled', sourceFile: folder })

      const index = CaseIndexSchema.parse(JSON.parse(await readFile(path.join(store.root, 'cases.json'), 'utf8')))
      expect(index.cases[0]?.dicom).toMatchObject({
        modality: 'MR',
        patientName: 'Chrisjen^Avasarala',
        patientId: 'PGBM-002',
        seriesDescription: 'HippoCrop',
        studyInstanceUid: '1.3.6.1.4.1.14519.5.2.1.4429.7055.290332099546120305394775536058',
        files: 32,
        converter: CONVERTER
      })
      // What the workspace shows (cases:dicomSource): the same record, and null for a case not from DICOM.
      expect(store.getDicomSource(caseId)).toEqual(index.cases[0]?.dicom)
      const conversion = await convertDicomFiles(folder, await findDicomFiles(folder))
      const stored = await readFile(path.join(store.root, 'images', `${caseId}.nii.gz`))
      expect(Buffer.compare(gunzipSync(stored), Buffer.from(conversion.series[0]?.nifti ?? []))).toBe(0)
    } finally {
      await store.dispose()
    }
  })

  it('stores the CT in Hounsfield units (RescaleIntercept −1024 in the stored header) and makes the project CT', async () => {
    const store = await ProjectStore.create(path.join(base, 'ct'), { name: 'ct' })
    try {
      const report = await importDataset(store, sharedDataPath('dicom', 'totalseg_example_ct_j2k'))
      expect(report.imported.map((c) => c.caseId)).toEqual(['CT_Body_3.0'])
      expect(report.modality).toMatchObject({ modality: 'CT', source: 'dicom', warning: null })
      const image = await store.loadImage('CT_Body_3.0')
      expect(image.header.sclInter).toBe(-1024)
      let min = Infinity
      for (const value of image.data) min = Math.min(min, value)
      expect(min).toBe(-1024)
      expect(store.getCase('CT_Body_3.0').spacing[2]).toBeCloseTo(2, 5)
      expect(store.getDicomSource('CT_Body_3.0')).toMatchObject({ modality: 'CT' })
    } finally {
      await store.dispose()
    }
  })

  it('imports each of several series as a case, or only the one --series names (dcm_qa_ts: 9 series, one UID)', async () => {
    const folder = sharedDataPath('dicom', 'dcm_qa_ts')
    const all = await ProjectStore.create(path.join(base, 'all'), { name: 'all' })
    try {
      const report = await importDataset(all, folder)
      expect(report.imported.map((c) => c.caseId.replace(/_[0-9a-f]{6}$/, ''))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `ax_asc_35sl_${n}`))
    } finally {
      await all.dispose()
    }
    const one = await ProjectStore.create(path.join(base, 'one'), { name: 'one' })
    try {
      const report = await importDataset(one, folder, { dicomSeries: '9' })
      expect(report.imported).toEqual([{ caseId: expect.stringMatching(/^ax_asc_35sl_9_/), imageFile: 'dcm_qa_ts: series 9 "ax_asc_35sl", 1 DICOM file(s)', labelFile: null }])
      expect(report.skipped).toHaveLength(8)
      expect(new Set(report.skipped.map((s) => s.reason))).toEqual(new Set(['not the series chosen (--series 9)']))
      const before = await snapshotTree(one.root)
      await expect(importDataset(one, folder, { dicomSeries: '12' })).rejects.toThrow(/no series "12".*found: series 1 "ax_asc_35sl"/)
      expect(await snapshotTree(one.root)).toEqual(before)
    } finally {
      await one.dispose()
    }
  })

  it('lists the series of a folder to choose from, and importing a listed choice imports that series only', async () => {
    const folder = sharedDataPath('dicom', 'dcm_qa_ts')
    const list = await listDicomSeries(folder)
    expect(list.source).toBe(folder)
    expect(list.series.map((s) => [s.choice, s.seriesNumber, s.description, s.modality, s.dims, s.timePoints, s.files])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [String(n), n, 'ax_asc_35sl', 'MR', [64, 64, 35], 1, 1])
    )
    const store = await ProjectStore.create(path.join(base, 'chosen'), { name: 'chosen' })
    try {
      const choice = list.series[4]?.choice ?? ''
      const report = await importDataset(store, folder, { dicomSeries: choice })
      expect(report.imported.map((c) => c.caseId)).toEqual([expect.stringMatching(/^ax_asc_35sl_5_/)])
    } finally {
      await store.dispose()
    }
  })

  it('lists a 4D series with its time points (the import skips it), and refuses a folder without DICOM files by name', async () => {
    const list = await listDicomSeries(sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'))
    expect(list.series).toEqual([
      {
        choice: '4',
        seriesNumber: 4,
        // As pydicom reads (0020,000E) from the files.
        seriesInstanceUid: '1.2.840.113619.2.408.5282380.4562341.27283.1537222031.341',
        description: 'Axial EPI-FMRI (Interleaved I to S)',
        modality: 'MR',
        dims: [64, 64, 15],
        timePoints: 10,
        files: 150
      }
    ])
    const empty = path.join(base, 'empty')
    await mkdir(empty)
    await expect(listDicomSeries(empty)).rejects.toThrow(`${empty}: holds no DICOM files`)
  })

  it('refuses the 4D GE series with a reason that names it, and leaves the project as it was', async () => {
    const store = await createProjectWithCases(path.join(base, 'has-cases'), { cases: 1 })
    try {
      const before = await snapshotTree(store.root)
      const report = await importDataset(store, sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'))
      expect(report.imported).toEqual([])
      expect(report.skipped).toEqual([
        {
          file: 'dcm_qa_nih_ge_epi_mr_0004: series 4 "Axial EPI-FMRI (Interleaved I to S)", 150 DICOM file(s)',
          reason: expect.stringMatching(/^holds 10 volumes of 64×64×15 \(a time series/)
        }
      ])
      expect(await snapshotTree(store.root)).toEqual(before)
    } finally {
      await store.dispose()
    }
  })

  it('does not import the same series twice', async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study2_14')
    const store = await ProjectStore.create(path.join(base, 'twice'), { name: 'twice' })
    try {
      const first = await importDataset(store, folder)
      const again = await importDataset(store, folder)
      expect(again.imported).toEqual([])
      expect(again.skipped).toEqual([{ file: expect.stringMatching(/^udacity_hcrop_study2_14: series "HippoCrop"/), reason: `case ${first.imported[0]?.caseId} already exists in the project (the same series imported before)` }])
    } finally {
      await store.dispose()
    }
  })

  it('puts a series with an image missing on even slices: every image on its own plane, the gap interpolated and said so, one case', async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const gap = path.join(base, 'gap')
    await mkdir(gap)
    for (let n = 1; n <= 32; n++) if (n !== 16) await symlink(path.join(folder, `${n}.dcm`), path.join(gap, `${n}.dcm`))
    const complete = await ProjectStore.create(path.join(base, 'complete'), { name: 'complete' })
    const store = await ProjectStore.create(path.join(base, 'gapped'), { name: 'gapped' })
    try {
      const whole = await complete.loadImage((await importDataset(complete, folder)).imported[0]?.caseId ?? '')
      const report = await importDataset(store, gap)
      // Before: the 31 images stacked 1 mm apart (the 16 past the gap 1 mm off), and dcm2niix's _Eq copy as a second case.
      expect(report.imported).toHaveLength(1)
      expect(report.skipped).toEqual([])
      const caseId = report.imported[0]?.caseId ?? ''
      expect(caseId).toMatch(/^HippoCrop_[0-9a-f]{6}$/)
      expect(report.notes).toEqual([
        `${caseId} ← gap: series "HippoCrop", 31 DICOM file(s): the slice spacing varies (gaps of 1 mm to 2 mm between its 31 images), which one NIfTI volume cannot hold: ` +
          'placed on 32 evenly spaced slices of 1 mm; 1 of them has no image of its own (an image missing from the series?) and was interpolated between the neighbouring images'
      ])
      expect(store.getCase(caseId)).toMatchObject({ dims: [35, 51, 32], spacing: [1, 1, 1] })
      const image = await store.loadImage(caseId)
      expect(image.header.rasFromIjk).toEqual(whole.header.rasFromIjk)
      const plane = 35 * 51
      const slice = (data: ArrayLike<number>, k: number): number[] => Array.from({ length: plane }, (_, n) => data[k * plane + n] as number)
      for (let k = 0; k < 32; k++) if (k !== 15) expect(slice(image.data, k), `slice ${k}`).toEqual(slice(whole.data, k))
      // The missing image (z = 16 mm) is the mean of its neighbours, rounded to the stored int16.
      const below = slice(whole.data, 14)
      const above = slice(whole.data, 16)
      expect(slice(image.data, 15).every((value, n) => Math.abs(value - ((below[n] as number) + (above[n] as number)) / 2) <= 0.5)).toBe(true)
    } finally {
      await store.dispose()
      await complete.dispose()
    }
  })

  it('evens out the CT with two images missing, from positions read where a DICOM SEG could not reference the files (no StudyInstanceUID)', async () => {
    const folder = sharedDataPath('dicom', 'totalseg_example_ct_j2k')
    const complete = await ProjectStore.create(path.join(base, 'ct-complete'), { name: 'ct' })
    const store = await ProjectStore.create(path.join(base, 'ct-gapped'), { name: 'ct' })
    try {
      await importDataset(complete, folder)
      const whole = await complete.loadImage('CT_Body_3.0')
      // Without the images at the 13th and 14th positions along z (file names say nothing of the order).
      const scan = await readDicomFileHeaders((await findDicomFiles(folder)).dicom)
      expect(scan.headers).toEqual([])
      const byZ = scan.unreadable.map((entry) => ({ file: entry.file, z: entry.geometry?.slice.imagePositionPatient[2] ?? Number.NaN })).sort((a, b) => a.z - b.z)
      expect(byZ).toHaveLength(20)
      const gap = path.join(base, 'ct-gap')
      await mkdir(gap)
      for (const [k, { file }] of byZ.entries()) if (k !== 12 && k !== 13) await symlink(file, path.join(gap, path.basename(file)))
      const report = await importDataset(store, gap)
      expect(report.imported.map((c) => c.caseId)).toEqual(['CT_Body_3.0'])
      expect(report.notes?.[0]).toMatch(/gaps of 2 mm to 6 mm between its 18 images\), .*placed on 20 evenly spaced slices of 2 mm; 2 of them have no image of their own/)
      const image = await store.loadImage('CT_Body_3.0')
      // (x + 0 turns −0 into 0: the two headers' zeros differ in sign only.)
      const affine = (m: readonly (readonly number[])[]): number[][] => m.map((row) => row.map((x) => x + 0))
      expect(affine(image.header.rasFromIjk)).toEqual(affine(whole.header.rasFromIjk))
      expect(image.header.sclInter).toBe(-1024)
      const plane = 512 * 512
      const differs = (k: number): boolean => image.data.subarray(k * plane, (k + 1) * plane).some((value, n) => value !== whole.data[k * plane + n])
      expect(Array.from({ length: 20 }, (_, k) => k).filter(differs)).toEqual([12, 13])
    } finally {
      await store.dispose()
      await complete.dispose()
    }
  })

  it('leaves out a localizer (scout) with the reason unless its series is named, and imports it when it is', async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const study = path.join(base, 'study')
    await mkdir(study)
    for (let n = 1; n <= 32; n++) await symlink(path.join(folder, `${n}.dcm`), path.join(study, `${n}.dcm`))
    // A one-image scout of its own series: 1.dcm with ImageType …\LOCALIZER and new UIDs.
    const scout = data.DicomMessage.readFile(new Uint8Array(await readFile(path.join(folder, '1.dcm'))).buffer)
    scout.dict['00080008'] = { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] }
    scout.dict['0020000E'] = { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.1'] }
    scout.dict['00200011'] = { vr: 'IS', Value: [1] }
    scout.dict['0008103E'] = { vr: 'LO', Value: ['Scout'] }
    scout.dict['00080018'] = { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.2'] }
    scout.meta['00020003'] = { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.2'] }
    await writeFile(path.join(study, 'scout.dcm'), new Uint8Array(scout.write()))
    const store = await ProjectStore.create(path.join(base, 'scouted'), { name: 'scouted' })
    try {
      const report = await importDataset(store, study)
      expect(report.imported.map((c) => c.caseId)).toEqual([expect.stringMatching(/^HippoCrop_[0-9a-f]{6}$/)])
      expect(report.skipped).toEqual([
        { file: 'study: series 1 "Scout", 1 DICOM file(s)', reason: 'a localizer (scout) image, not a volume to label; import it with --series 1 (or choose it in the app) if it is wanted' }
      ])
      const chosen = await importDataset(store, study, { dicomSeries: '1' })
      expect(chosen.imported.map((c) => c.caseId)).toEqual([expect.stringMatching(/^Scout_1_[0-9a-f]{6}$/)])
      expect(store.getDicomSource(chosen.imported[0]?.caseId ?? '')).toMatchObject({ imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] })
    } finally {
      await store.dispose()
    }
  })

  it('keeps a stored image readable by the NIfTI reader with the geometry dcm2niix gave it', async () => {
    const store = await ProjectStore.create(path.join(base, 'geo'), { name: 'geo' })
    try {
      const report = await importDataset(store, sharedDataPath('dicom', 'udacity_hcrop_study3_11'))
      const stored = await readNifti(path.join(store.root, 'images', `${report.imported[0]?.caseId}.nii.gz`))
      expect(stored.header.orientation).toBe('LAS')
      expect(stored.header.rasFromIjk[2]).toEqual([0, 0, 1, 1])
    } finally {
      await store.dispose()
    }
  })
})
