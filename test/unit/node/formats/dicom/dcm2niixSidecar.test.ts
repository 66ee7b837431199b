import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseDcm2niixSidecar } from '../../../../../src/node/formats/dicom/dcm2niixSidecar'
import { DicomSourceSchema } from '../../../../../src/shared/project'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

const CONVERTER = 'dcm2niix v1.0.20241231 (WebAssembly)'

describe('parseDcm2niixSidecar', () => {
  itUnless(sharedDataMissing, "reads the series fields of dcm2niix's own sidecar (dcm_qa_ts reference) into a valid case record field", () => {
    const json = readFileSync(sharedDataPath('dicom', '_reference', 'dcm_qa_ts_dcm2niix.json'), 'utf8')
    const source = parseDcm2niixSidecar(json, CONVERTER)
    expect(source).toMatchObject({ modality: 'MR', manufacturer: 'Siemens', manufacturerModel: 'TrioTim', seriesNumber: 1, seriesDescription: 'ax_asc_35sl', converter: CONVERTER })
    expect(DicomSourceSchema.parse(source)).toEqual(source)
  })

  it('keeps identifiers when present, drops fields of the wrong type, and leaves absent ones absent', () => {
    const source = parseDcm2niixSidecar(JSON.stringify({ Modality: 'CT', PatientID: 'P1', SeriesNumber: 'four', SeriesInstanceUID: '1.2.3', SeriesDescription: '' }), CONVERTER)
    expect(source).toEqual({ modality: 'CT', patientId: 'P1', seriesInstanceUid: '1.2.3', converter: CONVERTER })
    const scout = parseDcm2niixSidecar(JSON.stringify({ ImageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'], SeriesNumber: 1 }), CONVERTER)
    expect(scout).toEqual({ imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'], seriesNumber: 1, converter: CONVERTER })
    expect(parseDcm2niixSidecar(JSON.stringify({ ImageType: 'LOCALIZER' }), CONVERTER)).toEqual({ converter: CONVERTER })
  })

  it('gives null for a sidecar that is not JSON (dcm2niix does not escape every byte of a name) or missing', () => {
    expect(parseDcm2niixSidecar('{"PatientName": "M\u0000ller",', CONVERTER)).toBeNull()
    expect(parseDcm2niixSidecar(null, CONVERTER)).toBeNull()
  })
})
