import { describe, expect, it } from 'vitest'
import { dicomSourceRows } from '../../../../../src/renderer/src/components/workspace/dicomSourceRows'

describe('dicomSourceRows', () => {
  it('shows who, which study, which series and how acquired, from the fields there are', () => {
    const rows = dicomSourceRows({
      modality: 'MR',
      manufacturer: 'SIEMENS',
      manufacturerModel: 'Skyra',
      patientName: 'Chrisjen^Avasarala',
      patientId: 'PGBM-002',
      patientSex: 'F',
      patientBirthDate: '1950-01-02',
      studyDescription: 'MRI brain',
      accessionNumber: 'A123',
      seriesInstanceUid: '1.2.3',
      seriesNumber: 13,
      seriesDescription: 'HippoCrop',
      files: 32,
      converter: 'dcm2niix'
    })
    expect(rows).toEqual([
      { term: 'Patient', value: 'Chrisjen^Avasarala · ID PGBM-002 · F · born 1950-01-02' },
      { term: 'Study', value: 'MRI brain · accession A123' },
      { term: 'Series', value: '#13 · HippoCrop · 32 file(s)' },
      { term: 'Acquisition', value: 'MR · SIEMENS · Skyra' },
      { term: 'Series UID', value: '1.2.3' }
    ])
  })

  it('leaves out rows an anonymised export blanked, and names the series by its protocol when it has no description', () => {
    expect(dicomSourceRows({ modality: 'CT', patientName: ' ', protocolName: 'Abdomen', converter: 'dcm2niix' })).toEqual([
      { term: 'Series', value: 'Abdomen' },
      { term: 'Acquisition', value: 'CT' }
    ])
  })
})
