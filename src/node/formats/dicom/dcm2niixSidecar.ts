import { z } from 'zod'
import type { DicomSource } from '../../../shared/project'

/**
 * The fields Voxloop keeps from dcm2niix's BIDS sidecar (the .json it writes beside each NIfTI,
 * with `-ba n` so that the identifiers are in it). Each field is read on its own: a value of an
 * unexpected type is dropped, not fatal, since the sidecar only describes a volume that was
 * converted anyway.
 */

const text = z.string().trim().min(1).max(1024).optional().catch(undefined)
const SidecarSchema = z.object({
  Modality: text,
  Manufacturer: text,
  ManufacturersModelName: text,
  PatientName: text,
  PatientID: text,
  PatientBirthDate: text,
  PatientSex: text,
  StudyInstanceUID: text,
  StudyID: text,
  StudyDescription: text,
  AccessionNumber: text,
  SeriesInstanceUID: text,
  // Written only when the series number is positive (dcm2niix's nii_SaveBIDSX).
  SeriesNumber: z.number().int().optional().catch(undefined),
  SeriesDescription: text,
  ProtocolName: text,
  AcquisitionDateTime: text,
  // (0008,0008): the import leaves out localizers (scouts) unless a series is chosen by name.
  ImageType: z.array(z.string().trim().min(1).max(64)).min(1).max(16).optional().catch(undefined)
})

/** The series description of a sidecar, or null when its text is not JSON (dcm2niix does not escape every byte). */
export function parseDcm2niixSidecar(json: string | null, converter: string): DicomSource | null {
  if (json === null) return null
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    return null
  }
  const parsed = SidecarSchema.safeParse(raw)
  if (!parsed.success) return null
  const s = parsed.data
  const source: DicomSource = {
    modality: s.Modality,
    manufacturer: s.Manufacturer,
    manufacturerModel: s.ManufacturersModelName,
    patientName: s.PatientName,
    patientId: s.PatientID,
    patientBirthDate: s.PatientBirthDate,
    patientSex: s.PatientSex,
    studyInstanceUid: s.StudyInstanceUID,
    studyId: s.StudyID,
    studyDescription: s.StudyDescription,
    accessionNumber: s.AccessionNumber,
    seriesInstanceUid: s.SeriesInstanceUID,
    seriesNumber: s.SeriesNumber,
    seriesDescription: s.SeriesDescription,
    protocolName: s.ProtocolName,
    acquisitionDateTime: s.AcquisitionDateTime,
    imageType: s.ImageType,
    converter
  }
  // Absent, not undefined: cases.json keeps only what the series said.
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined)) as DicomSource
}
