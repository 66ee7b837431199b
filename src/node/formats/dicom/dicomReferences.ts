import { open, readFile } from 'node:fs/promises'
import { data, log, type DicomDataset } from 'dcmjs'
import { z } from 'zod'
import { VoxloopError } from '../../../shared/errors'

/**
 * Per-slice references of an imported DICOM series: what a DICOM Segmentation written later needs
 * to point back at its source images (dicomSeg.ts). dcm2niix reports no per-file identifiers, so
 * each file's header is read here with dcmjs (pure JavaScript, no network, no native code), up to
 * the pixel data and no further. Stored per case as `<project>/dicom/<caseId>.json`.
 */

// dcmjs logs every vendor quirk it tolerates (to the console); a folder of such files would flood a CLI run.
log.setLevel('error')
// Its validation logger reports, as errors, private elements whose VR it guesses: nothing to act on when reading headers.
log.getLogger('validation.dcmjs').setLevel('silent')

const PIXEL_DATA_TAG = '7FE00010'
/** Headers are small: most end well within this, so a large image file is not read whole. */
const HEAD_BYTES = 64 * 1024

const Uid = z.string().min(1).max(64)
const Text = z.string().max(1024).optional()
const Finite = z.number().finite()

export const DicomSliceReferenceSchema = z.object({
  sopClassUid: Uid,
  sopInstanceUid: Uid,
  /** (0020,0032), mm in LPS: the centre of the first pixel transmitted. */
  imagePositionPatient: z.tuple([Finite, Finite, Finite]),
  /** (0020,0037): the row direction (along a row, increasing column) then the column direction. */
  imageOrientationPatient: z.tuple([Finite, Finite, Finite, Finite, Finite, Finite]),
  /** (0028,0030): the spacing between rows, then between columns (mm). */
  pixelSpacing: z.tuple([Finite.positive(), Finite.positive()]),
  rows: z.number().int().min(1),
  columns: z.number().int().min(1),
  /** Only when the file holds more than one frame (an enhanced multi-frame object). */
  numberOfFrames: z.number().int().min(2).optional(),
  /** (0008,0008), which marks a Siemens mosaic ('MOSAIC'). */
  imageType: z.array(z.string().max(64)).max(16).optional(),
  sliceThickness: Finite.positive().optional()
})
export type DicomSliceReference = z.infer<typeof DicomSliceReferenceSchema>

export const RecordedDicomReferencesSchema = z.object({
  status: z.literal('recorded'),
  studyInstanceUid: Uid,
  seriesInstanceUid: Uid,
  frameOfReferenceUid: Uid.optional(),
  patientName: Text,
  patientId: Text,
  /** As DICOM writes it (DA, YYYYMMDD), to be copied unchanged. */
  patientBirthDate: Text,
  patientSex: Text,
  studyDate: Text,
  studyTime: Text,
  studyId: Text,
  accessionNumber: Text,
  referringPhysicianName: Text,
  modality: Text,
  seriesNumber: z.number().int().optional(),
  instances: z.array(DicomSliceReferenceSchema).min(1)
})
export type RecordedDicomReferences = z.infer<typeof RecordedDicomReferencesSchema>

/** `<project>/dicom/<caseId>.json`: the references, or why none could be recorded for the case. */
export const DicomReferencesFileSchema = z.object({
  formatVersion: z.literal(1),
  references: z.discriminatedUnion('status', [RecordedDicomReferencesSchema, z.object({ status: z.literal('unavailable'), reason: z.string().max(2000) })])
})
export type DicomReferencesFile = z.infer<typeof DicomReferencesFileSchema>

/** Where a file's image lies: all the slice-spacing check (evenSlices.ts) needs of it. */
export type SliceGeometry = Pick<DicomSliceReference, 'imagePositionPatient' | 'imageOrientationPatient' | 'numberOfFrames' | 'imageType'>

/** A file's series and image geometry, read even where a DICOM SEG could not reference the file (UIDs anonymised away). */
export interface DicomFileGeometry {
  seriesInstanceUid: string | undefined
  seriesNumber: number | undefined
  slice: SliceGeometry
}

/** A header readDicomFileHeader refused, with the geometry it could still read (or null). */
class DicomHeaderError extends Error {
  constructor(
    message: string,
    readonly geometry: DicomFileGeometry | null
  ) {
    super(message)
  }
}

/** One file's header: the series-level fields and its slice reference. */
export interface DicomFileHeader {
  file: string
  seriesNumber: number | undefined
  series: Omit<RecordedDicomReferences, 'status' | 'instances' | 'seriesNumber'>
  slice: DicomSliceReference
}

/** The first text value of a naturalized element (a PN gives its alphabetic form), or undefined. */
function textOf(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value
  if (typeof first === 'string') return first.trim() === '' ? undefined : first.trim()
  if (typeof first === 'number') return String(first)
  if (first !== null && typeof first === 'object' && 'Alphabetic' in first) return textOf((first as { Alphabetic: unknown }).Alphabetic)
  return undefined
}

function numbersOf(value: unknown): number[] {
  const list: unknown[] = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  return list.map((item) => (typeof item === 'number' ? item : typeof item === 'string' ? Number(item) : Number.NaN))
}

function firstNumber(value: unknown): number | undefined {
  const [first] = numbersOf(value)
  return first !== undefined && Number.isFinite(first) ? first : undefined
}

function textsOf(value: unknown): string[] | undefined {
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value]
  const texts = list.filter((item): item is string => typeof item === 'string').map((item) => item.trim())
  return texts.length > 0 ? texts : undefined
}

/**
 * The elements readDicomFileHeader uses, by tag (as dcmjs keys them) and keyword. Only these are
 * naturalized: a GE or Siemens header holds 300+ elements, most of them private, and naturalizing
 * them all took about a third of the time spent on each header.
 */
const USED_ELEMENTS: Readonly<Record<string, string>> = {
  '00020002': 'MediaStorageSOPClassUID',
  '00020003': 'MediaStorageSOPInstanceUID',
  '00080008': 'ImageType',
  '00080016': 'SOPClassUID',
  '00080018': 'SOPInstanceUID',
  '00080020': 'StudyDate',
  '00080030': 'StudyTime',
  '00080050': 'AccessionNumber',
  '00080060': 'Modality',
  '00080090': 'ReferringPhysicianName',
  '00100010': 'PatientName',
  '00100020': 'PatientID',
  '00100030': 'PatientBirthDate',
  '00100040': 'PatientSex',
  '00180050': 'SliceThickness',
  '0020000D': 'StudyInstanceUID',
  '0020000E': 'SeriesInstanceUID',
  '00200010': 'StudyID',
  '00200011': 'SeriesNumber',
  '00200032': 'ImagePositionPatient',
  '00200037': 'ImageOrientationPatient',
  '00200052': 'FrameOfReferenceUID',
  '00280008': 'NumberOfFrames',
  '00280010': 'Rows',
  '00280011': 'Columns',
  '00280030': 'PixelSpacing'
}

function usedElements(dataset: DicomDataset): DicomDataset {
  const used: DicomDataset = {}
  for (const tag of Object.keys(USED_ELEMENTS)) {
    const element = dataset[tag]
    if (element) used[tag] = element
  }
  return used
}

/** Parses as much of `bytes` as dcmjs can up to the pixel data; null when it stops short of it. */
function parseHeader(bytes: Uint8Array, whole: boolean): Record<string, unknown> | null {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  try {
    const dict = data.DicomMessage.readFile(buffer, { untilTag: PIXEL_DATA_TAG, includeUntilTagValue: false, ignoreErrors: whole })
    // A truncated read can end cleanly at an element boundary: only reaching the pixel data proves the header whole.
    if (!whole && !(PIXEL_DATA_TAG in dict.dict)) return null
    // The file meta's MediaStorage UIDs stand in for a SOP class or instance UID that anonymisation emptied.
    return { ...data.DicomMetaDictionary.naturalizeDataset(usedElements(dict.meta)), ...data.DicomMetaDictionary.naturalizeDataset(usedElements(dict.dict)) }
  } catch (error) {
    if (whole) throw error
    return null
  }
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r')
  try {
    const head = new Uint8Array(HEAD_BYTES)
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/**
 * The header of one DICOM image file (Part 10, with the "DICM" preamble), read up to its pixel
 * data. Throws an Error naming the file and the missing or unreadable element.
 */
export async function readDicomFileHeader(file: string): Promise<DicomFileHeader> {
  const head = await readHead(file)
  let natural = head.length < HEAD_BYTES ? null : parseHeader(head, false)
  try {
    natural ??= parseHeader(head.length < HEAD_BYTES ? head : await readFile(file), true)
  } catch (error) {
    throw new Error(`${file}: DICOM header not readable (${error instanceof Error ? error.message : String(error)})`)
  }
  if (natural === null) throw new Error(`${file}: DICOM header not readable`)
  const ipp = numbersOf(natural.ImagePositionPatient)
  const iop = numbersOf(natural.ImageOrientationPatient)
  const spacing = numbersOf(natural.PixelSpacing)
  const frames = firstNumber(natural.NumberOfFrames)
  const geometry = DicomSliceReferenceSchema.pick({ imagePositionPatient: true, imageOrientationPatient: true }).safeParse({ imagePositionPatient: ipp, imageOrientationPatient: iop })
  const fileGeometry: DicomFileGeometry | null = geometry.success
    ? {
        seriesInstanceUid: textOf(natural.SeriesInstanceUID),
        seriesNumber: firstNumber(natural.SeriesNumber),
        slice: { ...geometry.data, ...(frames !== undefined && frames > 1 ? { numberOfFrames: frames } : {}), ...(textsOf(natural.ImageType) ? { imageType: textsOf(natural.ImageType) } : {}) }
      }
    : null
  const need = (name: string, fallback?: string): string => {
    const value = textOf(natural[name]) ?? (fallback === undefined ? undefined : textOf(natural[fallback]))
    if (value === undefined) throw new DicomHeaderError(`${file}: no ${name} (a DICOM SEG must reference it)`, fileGeometry)
    return value
  }
  const thickness = firstNumber(natural.SliceThickness)
  const slice = DicomSliceReferenceSchema.safeParse({
    sopClassUid: need('SOPClassUID', 'MediaStorageSOPClassUID'),
    sopInstanceUid: need('SOPInstanceUID', 'MediaStorageSOPInstanceUID'),
    imagePositionPatient: ipp,
    imageOrientationPatient: iop,
    pixelSpacing: spacing,
    rows: firstNumber(natural.Rows),
    columns: firstNumber(natural.Columns),
    ...(frames !== undefined && frames > 1 ? { numberOfFrames: frames } : {}),
    ...(textsOf(natural.ImageType) ? { imageType: textsOf(natural.ImageType) } : {}),
    ...(thickness !== undefined && thickness > 0 ? { sliceThickness: thickness } : {})
  })
  if (!slice.success) {
    const issue = slice.error.issues[0]
    throw new DicomHeaderError(`${file}: no usable ${issue ? issue.path.join('.') : 'image geometry'} (${issue?.message ?? 'invalid'})`, fileGeometry)
  }
  const optional = (name: string, key: keyof DicomFileHeader['series']): Partial<DicomFileHeader['series']> => {
    const value = textOf(natural[name])
    return value === undefined ? {} : { [key]: value.slice(0, 1024) }
  }
  return {
    file,
    seriesNumber: firstNumber(natural.SeriesNumber),
    series: {
      studyInstanceUid: need('StudyInstanceUID'),
      seriesInstanceUid: need('SeriesInstanceUID'),
      ...optional('FrameOfReferenceUID', 'frameOfReferenceUid'),
      ...optional('PatientName', 'patientName'),
      ...optional('PatientID', 'patientId'),
      ...optional('PatientBirthDate', 'patientBirthDate'),
      ...optional('PatientSex', 'patientSex'),
      ...optional('StudyDate', 'studyDate'),
      ...optional('StudyTime', 'studyTime'),
      ...optional('StudyID', 'studyId'),
      ...optional('AccessionNumber', 'accessionNumber'),
      ...optional('ReferringPhysicianName', 'referringPhysicianName'),
      ...optional('Modality', 'modality')
    },
    slice: slice.data
  }
}

export interface DicomHeaderScan {
  headers: DicomFileHeader[]
  /** Files whose header could not be read for a DICOM SEG, with the reason, and their geometry where that was readable. */
  unreadable: { file: string; reason: string; geometry?: DicomFileGeometry }[]
}

/** Reads the headers of `files` one after the other (a study's files, so memory stays one file's worth). */
export async function readDicomFileHeaders(files: readonly string[], signal?: AbortSignal): Promise<DicomHeaderScan> {
  const scan: DicomHeaderScan = { headers: [], unreadable: [] }
  for (const file of files) {
    if (signal?.aborted) throw new VoxloopError('CANCELLED', `Reading the headers of ${files.length} DICOM file(s) cancelled`)
    try {
      scan.headers.push(await readDicomFileHeader(file))
    } catch (error) {
      const geometry = error instanceof DicomHeaderError ? error.geometry : null
      scan.unreadable.push({ file, reason: error instanceof Error ? error.message : String(error), ...(geometry ? { geometry } : {}) })
    }
  }
  return scan
}

/** What dcm2niix says of one volume it made, to find that volume's files among the headers. */
export interface SeriesToMatch {
  seriesInstanceUid: string | undefined
  seriesNumber: number | undefined
  /** DICOM files dcm2niix used for the volume, when its log said. */
  files: number | undefined
  /** Whether dcm2niix split the series into several volumes (echoes, phase parts, …: a suffix on its name). */
  split: boolean
}

/**
 * The files of one converted volume among those read: the same SeriesInstanceUID, and the same
 * SeriesNumber, since exports reuse one UID for several series; or why they cannot be told apart.
 */
function filesOfSeries<T extends { seriesInstanceUid: string | undefined; seriesNumber: number | undefined }>(files: readonly T[], series: SeriesToMatch, unread: string): T[] | string {
  if (series.split) return 'dcm2niix split the series into several volumes (echoes, phase parts or similar), whose files cannot be told apart'
  const { seriesInstanceUid, seriesNumber } = series
  const matching = files.filter(
    (file) => (seriesInstanceUid === undefined || file.seriesInstanceUid === seriesInstanceUid) && (seriesNumber === undefined || file.seriesNumber === seriesNumber)
  )
  // dcm2niix's sidecar may lack both (it is not always valid JSON): then only a folder of one series is unambiguous.
  const seriesFound = new Set(matching.map((file) => `${file.seriesInstanceUid} ${file.seriesNumber ?? ''}`))
  if (seriesFound.size > 1) {
    return `dcm2niix did not report the volume's ${seriesInstanceUid === undefined ? 'SeriesInstanceUID' : 'series number'}, and the files hold ${seriesFound.size} series`
  }
  if (matching.length === 0) return `no file header of the series could be read${unread}`
  if (series.files !== undefined && matching.length !== series.files) {
    return `dcm2niix made the volume from ${series.files} file(s) but ${matching.length} file header(s) of the series were read`
  }
  return matching
}

function unreadSummary(scan: DicomHeaderScan): string {
  return scan.unreadable.length > 0 ? ` (${scan.unreadable.length} header(s) not readable, e.g. ${scan.unreadable[0]?.reason ?? ''})` : ''
}

/**
 * The references of one converted volume: the headers of its series, in the order read. When
 * they cannot be told apart from other volumes' files, the reason instead.
 */
export function referencesForSeries(scan: DicomHeaderScan, series: SeriesToMatch): DicomReferencesFile['references'] {
  const matching = filesOfSeries(
    scan.headers.map((header) => ({ header, seriesInstanceUid: header.series.seriesInstanceUid, seriesNumber: header.seriesNumber })),
    series,
    unreadSummary(scan)
  )
  if (typeof matching === 'string') return { status: 'unavailable', reason: matching }
  const [first] = matching
  if (!first) return { status: 'unavailable', reason: 'no file of the series' }
  return {
    status: 'recorded',
    ...first.header.series,
    ...(first.header.seriesNumber === undefined ? {} : { seriesNumber: first.header.seriesNumber }),
    instances: matching.map(({ header }) => header.slice)
  }
}

/**
 * Where the images of one converted volume lie, from every file whose geometry could be read (a
 * file a DICOM SEG could not reference included), for the slice-spacing check; or why not.
 */
export function sliceGeometryForSeries(scan: DicomHeaderScan, series: SeriesToMatch): SliceGeometry[] | string {
  const files: DicomFileGeometry[] = [
    ...scan.headers.map((header) => ({ seriesInstanceUid: header.series.seriesInstanceUid, seriesNumber: header.seriesNumber, slice: header.slice })),
    ...scan.unreadable.flatMap((entry) => (entry.geometry ? [entry.geometry] : []))
  ]
  const unread = scan.unreadable.filter((entry) => !entry.geometry)
  const matching = filesOfSeries(files, series, unread.length > 0 ? ` (${unread.length} header(s) not readable, e.g. ${unread[0]?.reason ?? ''})` : '')
  return typeof matching === 'string' ? matching : matching.map((file) => file.slice)
}
