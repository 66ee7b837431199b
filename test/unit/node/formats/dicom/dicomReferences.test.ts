import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { data } from 'dcmjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  readDicomFileHeader,
  readDicomFileHeaders,
  referencesForSeries,
  type DicomFileHeader,
  type DicomHeaderScan
} from '../../../../../src/node/formats/dicom/dicomReferences'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from '../../../main/services/project/projectFixtures'

function header(sopInstanceUid: string, seriesInstanceUid: string, seriesNumber: number | undefined): DicomFileHeader {
  return {
    file: `/data/${sopInstanceUid}.dcm`,
    seriesNumber,
    series: { studyInstanceUid: '1.2', seriesInstanceUid, frameOfReferenceUid: '1.2.9', patientId: 'P1' },
    slice: {
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid,
      imagePositionPatient: [0, 0, Number(sopInstanceUid.split('.').pop())],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [1, 1],
      rows: 2,
      columns: 2
    }
  }
}

describe('referencesForSeries', () => {
  // Two series that share one SeriesInstanceUID (as real exports do) and differ in series number.
  const scan: DicomHeaderScan = {
    headers: [header('1.1.1', '7.7', 3), header('1.1.2', '7.7', 3), header('1.1.3', '7.7', 4), header('1.1.4', '8.8', 5)],
    unreadable: []
  }

  it("takes the files of the volume's SeriesInstanceUID and series number, with the study, patient and frame of reference", () => {
    const references = referencesForSeries(scan, { seriesInstanceUid: '7.7', seriesNumber: 3, files: 2, split: false })
    if (references.status !== 'recorded') throw new Error(references.reason)
    expect(references.instances.map((instance) => instance.sopInstanceUid)).toEqual(['1.1.1', '1.1.2'])
    expect([references.studyInstanceUid, references.seriesInstanceUid, references.frameOfReferenceUid, references.patientId, references.seriesNumber]).toEqual([
      '1.2',
      '7.7',
      '1.2.9',
      'P1',
      3
    ])
  })

  it('without identifiers from dcm2niix, takes the files only when they hold one series', () => {
    const one: DicomHeaderScan = { headers: [header('1.1.1', '7.7', 3), header('1.1.2', '7.7', 3)], unreadable: [] }
    const references = referencesForSeries(one, { seriesInstanceUid: undefined, seriesNumber: undefined, files: 2, split: false })
    expect(references).toMatchObject({ status: 'recorded', seriesInstanceUid: '7.7', seriesNumber: 3 })
    expect(referencesForSeries(scan, { seriesInstanceUid: undefined, seriesNumber: undefined, files: 2, split: false })).toEqual({
      status: 'unavailable',
      reason: "dcm2niix did not report the volume's SeriesInstanceUID, and the files hold 3 series"
    })
  })

  it('records why there are no references: a split series, a count that disagrees with dcm2niix, several series, no header read', () => {
    expect(referencesForSeries(scan, { seriesInstanceUid: '7.7', seriesNumber: 3, files: 2, split: true })).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/dcm2niix split the series/)
    })
    expect(referencesForSeries(scan, { seriesInstanceUid: '7.7', seriesNumber: 3, files: 3, split: false })).toEqual({
      status: 'unavailable',
      reason: 'dcm2niix made the volume from 3 file(s) but 2 file header(s) of the series were read'
    })
    expect(referencesForSeries(scan, { seriesInstanceUid: '7.7', seriesNumber: undefined, files: 3, split: false })).toEqual({
      status: 'unavailable',
      reason: "dcm2niix did not report the volume's series number, and the files hold 2 series"
    })
    expect(referencesForSeries({ headers: [], unreadable: [{ file: 'x', reason: 'x: no SOPInstanceUID' }] }, { seriesInstanceUid: '7.7', seriesNumber: 3, files: 1, split: false })).toEqual({
      status: 'unavailable',
      reason: 'no file header of the series could be read (1 header(s) not readable, e.g. x: no SOPInstanceUID)'
    })
  })
})

describeUnless(sharedDataMissing, 'readDicomFileHeader on real files', () => {
  let base: string
  beforeEach(async () => {
    base = await makeTempDir('dicom-headers')
  })
  afterEach(async () => {
    await removeDir(base)
  })

  it('reads the identifiers and the geometry of a slice up to its pixel data', async () => {
    const file = sharedDataPath('dicom', 'udacity_hcrop_study1_13', '1.dcm')
    const read = await readDicomFileHeader(file)
    expect(read.slice).toEqual({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
      sopInstanceUid: '1.2.826.0.1.3680043.8.498.11676343796944751401139076219903216239',
      imagePositionPatient: [0, 0, 1],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      imageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
      pixelSpacing: [1, 1],
      rows: 51,
      columns: 35,
      sliceThickness: 1
    })
    expect(read.series).toMatchObject({ patientName: 'Chrisjen^Avasarala', patientId: 'PGBM-002', modality: 'MR', studyId: '4' })
  })

  it("falls back to the file meta's SOP UIDs, and names a StudyInstanceUID that anonymisation emptied", async () => {
    // totalseg_example_ct_j2k: SOP, study and series UIDs are empty in the data set (MediaStorage UIDs remain).
    const folder = sharedDataPath('dicom', 'totalseg_example_ct_j2k')
    const file = path.join(folder, 'CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573')
    await expect(readDicomFileHeader(file)).rejects.toThrow(`${file}: no StudyInstanceUID (a DICOM SEG must reference it)`)
  })

  it('names the file that is not a Part 10 DICOM file, and goes on with the others', async () => {
    const bad = path.join(base, 'bad.dcm')
    await writeFile(bad, Buffer.alloc(400))
    const scan = await readDicomFileHeaders([bad, sharedDataPath('dicom', 'udacity_hcrop_study1_13', '2.dcm')])
    expect(scan.headers).toHaveLength(1)
    expect(scan.unreadable).toEqual([{ file: bad, reason: expect.stringMatching(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: DICOM header not readable`)) }])
  })
})

describe('readDicomFileHeader: every element it records', () => {
  let base: string
  beforeEach(async () => {
    base = await makeTempDir('dicom-header-elements')
  })
  afterEach(async () => {
    await removeDir(base)
  })

  it('reads each of them from a file that holds them all (only those elements are naturalized, by tag)', async () => {
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      MediaStorageSOPInstanceUID: '1.2.3.4.5',
      TransferSyntaxUID: '1.2.840.10008.1.2.1',
      ImplementationClassUID: '1.2.3.99'
    }
    const dataset = {
      SpecificCharacterSet: 'ISO_IR 192',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: '1.2.3.4.5',
      StudyDate: '20240102',
      StudyTime: '101500',
      AccessionNumber: 'ACC7',
      Modality: 'CT',
      ReferringPhysicianName: 'Ref^Doc',
      PatientName: 'Doe^Jane',
      PatientID: 'P42',
      PatientBirthDate: '19700101',
      PatientSex: 'F',
      SliceThickness: 2.5,
      StudyInstanceUID: '1.2.3.1',
      SeriesInstanceUID: '1.2.3.2',
      StudyID: 'S9',
      SeriesNumber: 7,
      ImagePositionPatient: [1, 2, 3],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      FrameOfReferenceUID: '1.2.3.3',
      NumberOfFrames: 2,
      Rows: 2,
      Columns: 3,
      PixelSpacing: [0.5, 0.75]
    }
    const dict = new data.DicomDict(data.DicomMetaDictionary.denaturalizeDataset(meta))
    dict.dict = data.DicomMetaDictionary.denaturalizeDataset(dataset)
    const file = path.join(base, 'all.dcm')
    await writeFile(file, new Uint8Array(dict.write()))

    const read = await readDicomFileHeader(file)
    expect(read.seriesNumber).toBe(7)
    expect(read.series).toEqual({
      studyInstanceUid: '1.2.3.1',
      seriesInstanceUid: '1.2.3.2',
      frameOfReferenceUid: '1.2.3.3',
      patientName: 'Doe^Jane',
      patientId: 'P42',
      patientBirthDate: '19700101',
      patientSex: 'F',
      studyDate: '20240102',
      studyTime: '101500',
      studyId: 'S9',
      accessionNumber: 'ACC7',
      referringPhysicianName: 'Ref^Doc',
      modality: 'CT'
    })
    expect(read.slice).toEqual({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4.5',
      imagePositionPatient: [1, 2, 3],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.5, 0.75],
      rows: 2,
      columns: 3,
      numberOfFrames: 2,
      imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      sliceThickness: 2.5
    })
  })
})
