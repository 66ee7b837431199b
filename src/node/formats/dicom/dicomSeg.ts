import { randomUUID } from 'node:crypto'
import { data } from 'dcmjs'
import { VoxloopError } from '../../../shared/errors'
import type { LabelArray, Vec3 } from '../../../shared/volume'
import { hexToRgb } from '../labelTables/tableChecks'
import type { RecordedDicomReferences } from './dicomReferences'
import { placeSourceSlices, voxelIndexOf, type LabelGrid, type SliceOnGrid } from './dicomSegGeometry'

/**
 * A label map as a DICOM Segmentation object (PS3.3 A.51, Segmentation IOD; SOP class
 * 1.2.840.10008.5.1.4.1.1.66.4), BINARY: one segment per label value present, one 1-bit frame per
 * segment and source image that segment touches (empty frames are left out), each frame pointing at
 * its source image (DerivationImageSequence) and placed by its ImagePositionPatient. Patient and
 * study come from the recorded references, the FrameOfReferenceUID is the source's, series and
 * instance UIDs are new. Built as a naturalized data set and written by dcmjs's writer (explicit VR
 * little endian), which 3D Slicer (QuantitativeReporting), OHIF and PACS read.
 */

export const SEGMENTATION_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.4'
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'
/** Voxloop's implementation class UID: a fixed 2.25 UUID-derived root. */
const IMPLEMENTATION_CLASS_UID = '2.25.262406528936384372513916520358640651402'
/**
 * No label in a Voxloop table says what it segments, so every segment gets SNOMED CT's generic
 * "Tissue" (85756007) as both category and type: a valid coded entry that readers accept, which a
 * user can refine in Slicer or OHIF. A wrong specific code (an organ) would be worse than a generic one.
 */
export const GENERIC_SEGMENT_CODE = { CodeValue: '85756007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Tissue' } as const

export interface DicomSegSegment {
  labelValue: number
  name: string
  /** '#rrggbb'. */
  color: string
}

export interface DicomSegInput {
  references: RecordedDicomReferences
  grid: LabelGrid
  labels: LabelArray
  /** The label table's entries; a value present but not in it is named "Label <n>". */
  segments: readonly DicomSegSegment[]
  /** Names the case in every error. */
  what: string
  seriesDescription?: string
  now?: Date
  /** Software version written to (0018,1020). */
  softwareVersion?: string
}

export interface DicomSegOutput {
  bytes: Uint8Array
  segments: number
  frames: number
  seriesInstanceUid: string
  sopInstanceUid: string
}

/** A new UID under 2.25 (PS3.5 B.2): a random UUID read as one decimal integer. */
export function newDicomUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`
}

/**
 * sRGB (0–255) to CIELab (D65 white, as dcmjs and 3D Slicer convert) scaled as DICOM's
 * RecommendedDisplayCIELabValue: L 0–100 → 0–65535, a and b −128–127 → 0–65535 (PS3.3 C.10.7.1.1).
 */
export function rgbToDicomLab(rgb: readonly [number, number, number]): [number, number, number] {
  const linear = rgb.map((value) => {
    const c = value / 255
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }) as Vec3
  const [r, g, b] = linear
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116)
  const L = 116 * f(y) - 16
  const A = 500 * (f(x) - f(y))
  const B = 200 * (f(y) - f(z))
  const clamp = (value: number): number => Math.min(65535, Math.max(0, Math.round(value)))
  return [clamp((L * 65535) / 100), clamp(((A + 128) * 65535) / 255), clamp(((B + 128) * 65535) / 255)]
}

/** DICOM DA and TM of a date (local fields are not known here: UTC, as the content's timestamp). */
function dicomDateTime(date: Date): { date: string; time: string } {
  const iso = date.toISOString()
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') }
}

/** LO and PN values are at most 64 characters and may not hold backslashes (the value separator). */
function lo(text: string): string {
  return text.replace(/\\/g, '/').slice(0, 64)
}

/** The label values present in `labels`, ascending. */
function presentValues(labels: LabelArray): number[] {
  const seen = new Uint8Array(65536)
  for (let n = 0; n < labels.length; n++) seen[labels[n] as number] = 1
  const values: number[] = []
  for (let value = 1; value < seen.length; value++) if (seen[value] === 1) values.push(value)
  return values
}

interface Frame {
  segmentNumber: number
  slice: SliceOnGrid
  sliceNumber: number
  bits: Uint8Array
}

/**
 * The masks of every label value on one source image, pixel (r, c) at r·columns + c: one pass over
 * the image for all segments (a pass per segment would cost segments × voxels: 117 TotalSegmentator
 * labels × 300 CT slices of 512² is 9 G reads).
 */
function sliceMasks(slice: SliceOnGrid, grid: LabelGrid, labels: LabelArray): Map<number, Uint8Array> {
  const { rows, columns } = slice.instance
  const masks = new Map<number, Uint8Array>()
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const value = labels[voxelIndexOf(slice, grid.dims, row, column)] as number
      if (value === 0) continue
      let mask = masks.get(value)
      if (!mask) {
        mask = new Uint8Array(rows * columns)
        masks.set(value, mask)
      }
      mask[row * columns + column] = 1
    }
  }
  return masks
}

/** 1-bit pixel data: frames back to back without padding between them, first pixel in bit 0 (PS3.5 8.1.1), padded to even length. */
function packFrames(frames: readonly Frame[], pixelsPerFrame: number): Uint8Array {
  const totalBits = frames.length * pixelsPerFrame
  const bytes = new Uint8Array(Math.ceil(Math.ceil(totalBits / 8) / 2) * 2)
  let bit = 0
  for (const frame of frames) {
    for (let n = 0; n < pixelsPerFrame; n++, bit++) {
      if (frame.bits[n] === 1) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (1 << (bit & 7))
    }
  }
  return bytes
}

function code(value: string, scheme: string, meaning: string): Record<string, string> {
  return { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning }
}

/** Encodes the label map of a case as a DICOM SEG file (Part 10 bytes). Throws INVALID_ARGUMENT, naming the case, when it cannot. */
export function encodeDicomSeg(input: DicomSegInput): DicomSegOutput {
  const { references, grid, labels, what } = input
  const refuse = (reason: string): never => {
    throw new VoxloopError('INVALID_ARGUMENT', `${what}: ${reason}; not exported as DICOM SEG`)
  }
  if (!references.frameOfReferenceUid) refuse('the source images have no FrameOfReferenceUID, which a segmentation must share with them')
  const slices = placeSourceSlices(references.instances, grid, what)
  const values = presentValues(labels)
  if (values.length === 0) refuse('the label is empty (a DICOM SEG holds at least one segment)')
  const table = new Map(input.segments.map((segment) => [segment.labelValue, segment]))
  const segments = values.map((value, n) => {
    const known = table.get(value)
    return { number: n + 1, value, name: known?.name ?? `Label ${value}`, color: known?.color ?? '#808080' }
  })

  // Frames segment by segment, each segment's in slice order (the dimension index order).
  const framesOf = new Map(segments.map((segment) => [segment.value, [] as Frame[]]))
  slices.forEach((slice, n) => {
    for (const [value, bits] of sliceMasks(slice, grid, labels)) {
      const segment = segments.find((s) => s.value === value)
      if (segment) framesOf.get(value)?.push({ segmentNumber: segment.number, slice, sliceNumber: n + 1, bits })
    }
  })
  const frames = segments.flatMap((segment) => framesOf.get(segment.value) ?? [])
  const first = slices[0]
  if (!first) return refuse('no source images')
  const { rows, columns, pixelSpacing, imageOrientationPatient } = first.instance
  const sliceSpacing = slices.length > 1 ? Math.abs(((slices[slices.length - 1]?.normalPosition ?? 0) - first.normalPosition) / (slices.length - 1)) : undefined
  const thickness = first.instance.sliceThickness ?? sliceSpacing ?? 1

  const now = dicomDateTime(input.now ?? new Date())
  const seriesInstanceUid = newDicomUid()
  const sopInstanceUid = newDicomUid()
  const sourceSeriesUid = references.seriesInstanceUid
  const derivation = code('113076', 'DCM', 'Segmentation')
  const sourcePurpose = code('121322', 'DCM', 'Source image for image processing operation')

  const dataset: Record<string, unknown> = {
    // SOP Common, General Series / Segmentation Series, General Equipment and Enhanced General Equipment.
    SOPClassUID: SEGMENTATION_SOP_CLASS_UID,
    SOPInstanceUID: sopInstanceUid,
    SpecificCharacterSet: 'ISO_IR 192',
    InstanceCreationDate: now.date,
    InstanceCreationTime: now.time,
    Modality: 'SEG',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: 300,
    SeriesDate: now.date,
    SeriesTime: now.time,
    SeriesDescription: lo(input.seriesDescription ?? 'Voxloop segmentation'),
    InstanceNumber: 1,
    Manufacturer: 'Voxloop',
    ManufacturerModelName: 'Voxloop',
    DeviceSerialNumber: '1',
    SoftwareVersions: lo(input.softwareVersion ?? 'unknown'),
    // Patient and General Study, copied (type 2 fields present, empty when the source lacked them).
    PatientName: references.patientName ? [{ Alphabetic: references.patientName }] : '',
    PatientID: references.patientId ?? '',
    PatientBirthDate: references.patientBirthDate ?? '',
    PatientSex: references.patientSex ?? '',
    StudyInstanceUID: references.studyInstanceUid,
    StudyDate: references.studyDate ?? '',
    StudyTime: references.studyTime ?? '',
    ReferringPhysicianName: references.referringPhysicianName ? [{ Alphabetic: references.referringPhysicianName }] : '',
    StudyID: references.studyId ?? '',
    AccessionNumber: references.accessionNumber ?? '',
    // Frame of Reference: the source's, so the segmentation overlays it.
    FrameOfReferenceUID: references.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    // General Image, Image Pixel, Segmentation Image.
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentDate: now.date,
    ContentTime: now.time,
    ContentLabel: 'VOXLOOP',
    ContentDescription: 'Labels drawn in Voxloop',
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    NumberOfFrames: frames.length,
    // Multi-frame Dimension: frames indexed by segment, then by position.
    DimensionOrganizationType: '3D',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: newDicomUid() }],
    DimensionIndexSequence: [],
    SegmentSequence: segments.map((segment) => ({
      SegmentNumber: segment.number,
      SegmentLabel: lo(segment.name),
      SegmentAlgorithmType: 'MANUAL',
      SegmentedPropertyCategoryCodeSequence: [{ ...GENERIC_SEGMENT_CODE }],
      SegmentedPropertyTypeCodeSequence: [{ ...GENERIC_SEGMENT_CODE }],
      RecommendedDisplayCIELabValue: rgbToDicomLab(hexToRgb(segment.color))
    })),
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: sourceSeriesUid,
        ReferencedInstanceSequence: slices.map((slice) => ({
          ReferencedSOPClassUID: slice.instance.sopClassUid,
          ReferencedSOPInstanceUID: slice.instance.sopInstanceUid
        }))
      }
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [
          { PixelSpacing: [...pixelSpacing], SliceThickness: thickness, ...(sliceSpacing === undefined ? {} : { SpacingBetweenSlices: sliceSpacing }) }
        ],
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...imageOrientationPatient] }]
      }
    ],
    PerFrameFunctionalGroupsSequence: frames.map((frame) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [
            {
              ReferencedSOPClassUID: frame.slice.instance.sopClassUid,
              ReferencedSOPInstanceUID: frame.slice.instance.sopInstanceUid,
              PurposeOfReferenceCodeSequence: [sourcePurpose]
            }
          ],
          DerivationCodeSequence: [derivation]
        }
      ],
      FrameContentSequence: [{ DimensionIndexValues: [frame.segmentNumber, frame.sliceNumber] }],
      PlanePositionSequence: [{ ImagePositionPatient: [...frame.slice.instance.imagePositionPatient] }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: frame.segmentNumber }]
    })),
    PixelData: packFrames(frames, rows * columns).buffer,
    _vrMap: { PixelData: 'OB' }
  }
  const organization = (dataset.DimensionOrganizationSequence as { DimensionOrganizationUID: string }[])[0]?.DimensionOrganizationUID
  dataset.DimensionIndexSequence = [
    // AT values as tag numbers: (0062,000B) ReferencedSegmentNumber in (0062,000A) SegmentIdentificationSequence…
    { DimensionOrganizationUID: organization, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'ReferencedSegmentNumber' },
    // …and (0020,0032) ImagePositionPatient in (0020,9113) PlanePositionSequence.
    { DimensionOrganizationUID: organization, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'ImagePositionPatient' }
  ]
  if (frames.length === 0) refuse('no labelled voxel lies on a source image')

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEGMENTATION_SOP_CLASS_UID,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'VOXLOOP'
  }
  const dict = new data.DicomDict(data.DicomMetaDictionary.denaturalizeDataset(meta))
  dict.dict = data.DicomMetaDictionary.denaturalizeDataset(dataset)
  return { bytes: new Uint8Array(dict.write()), segments: segments.length, frames: frames.length, seriesInstanceUid, sopInstanceUid }
}
