import type { DicomSource } from '../../../../shared/project'

export interface SourceRow {
  term: string
  value: string
}

/** "A · B · C" of the parts that are there. */
function joined(...parts: (string | number | undefined | null)[]): string {
  return parts.filter((part) => part !== undefined && part !== null && String(part).trim() !== '').join(' · ')
}

/**
 * The rows the workspace shows for a case imported from DICOM, in the order a radiologist checks
 * them (who, which study, which series, how acquired); a row whose fields are all empty is left out,
 * as anonymised exports blank most of them.
 */
export function dicomSourceRows(source: DicomSource): SourceRow[] {
  const patient = joined(source.patientName, source.patientId && `ID ${source.patientId}`, source.patientSex, source.patientBirthDate && `born ${source.patientBirthDate}`)
  const study = joined(source.studyDescription, source.studyId && `study ${source.studyId}`, source.accessionNumber && `accession ${source.accessionNumber}`)
  const series = joined(source.seriesNumber !== undefined ? `#${source.seriesNumber}` : undefined, source.seriesDescription ?? source.protocolName, source.files !== undefined ? `${source.files} file(s)` : undefined)
  const acquisition = joined(source.modality, source.manufacturer, source.manufacturerModel, source.acquisitionDateTime)
  const rows: SourceRow[] = [
    { term: 'Patient', value: patient },
    { term: 'Study', value: study },
    { term: 'Series', value: series },
    { term: 'Acquisition', value: acquisition },
    { term: 'Series UID', value: source.seriesInstanceUid ?? '' }
  ]
  return rows.filter((row) => row.value !== '')
}
