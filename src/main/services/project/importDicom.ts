import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import type { DicomSeriesEntry, DicomSeriesList, ImportReport, ImportedCase, SkippedFile } from '../../../shared/project'
import {
  convertDicomFiles,
  dcm2niixFiles,
  describeSeries,
  checkSliceSpacing,
  describeEvenSlices,
  evenOutSlices,
  findDicomFiles,
  niftiFromBytes,
  prewarmDcm2niix,
  readDicomFileHeaders,
  referencesForSeries,
  sliceGeometryForSeries,
  type ConvertedSeries,
  type DicomFileSearch,
  type DicomHeaderScan,
  type DicomReferencesFile,
  type SliceGeometry,
  type SliceSpacing
} from '../../../node/formats/dicom'
import type { VolumeHeader } from '../../../shared/volume'
import { newCaseRecord } from './caseRecord'
import { chooseModality } from './chooseModality'
import { caseIdFromStem } from './datasetDiscovery'
import type { ImportOptions } from './importDataset'
import { writeDicomReferences } from './dicomReferenceStore'
import { defaultLabelTable } from './importLabels'
import { ImportStaging } from './importStaging'
import { guessModalityFromIntensities, summarizeIntensities, type IntensitySummary } from './modalityGuess'
import type { ProjectStore, StagedCase } from './ProjectStore'

/**
 * Imports the DICOM series of a folder (searched recursively) into the project, one case per
 * volume dcm2niix makes (convertDicomFiles), or only the series `options.dicomSeries` names. Each
 * case's image is dcm2niix's NIfTI, gzipped (its slices evened out where the images are unevenly
 * spaced: evenSlices.ts; localizers left out unless chosen); its record keeps the series' identifiers
 * (CaseRecord.dicom) and the project's modality comes from (0008,0060) unless the user set one.
 * Like importDataset: everything is staged first and committed at the end, so a failure changes
 * nothing, and every file or series not imported is reported with the reason.
 */

const gzip = promisify(gzipCallback)
/** As writeImageNifti: images are noisy, higher levels gain little and cost a lot of time. */
const GZIP_LEVEL = 3
/** Room in a case id (128 characters) for the series number, dcm2niix's suffix and the UID tag. */
const MAX_DESCRIPTION_IN_ID = 64

/**
 * The case id of a converted volume: its series description (or protocol name) and number, the
 * suffix dcm2niix gave a volume split off a series (echo `_e2`, phase `_ph`, …), and six hex digits
 * of a hash of the SeriesInstanceUID, so that the same description in two studies (every patient's
 * "t1_mprage") gives two cases while importing the same series again gives the same id (and is
 * refused as a duplicate). Never made from patient fields: ids are file names.
 */
export function caseIdForSeries(series: Pick<ConvertedSeries, 'outputName' | 'source'>): string {
  const { seriesDescription, protocolName, seriesNumber, seriesInstanceUid } = series.source
  // Runs of characters a case id cannot hold become one '_', none at the ends (so no '__' at the joins).
  const cleaned = (seriesDescription ?? protocolName ?? '')
    .replace(/[^A-Za-z0-9.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '')
    .slice(0, MAX_DESCRIPTION_IN_ID)
  const text = cleaned === '' ? 'series' : cleaned
  // dcm2niix names each output `<series number><suffix>` (-f %s); the number may be a CRC when absent.
  const suffix = (/^-?\d+(.*)$/.exec(series.outputName)?.[1] ?? '').replace(/^_+/, '')
  const tag = seriesInstanceUid ? createHash('sha1').update(seriesInstanceUid).digest('hex').slice(0, 6) : ''
  const parts = [text, seriesNumber === undefined ? '' : String(seriesNumber), suffix, tag].filter((part) => part !== '')
  // Always valid: starts with a letter or digit, only safe characters, well under 128 long.
  return caseIdFromStem(parts.join('_')) ?? 'series'
}

/** Whether `wanted` (from `--series`) names this volume: its series number, SeriesInstanceUID or dcm2niix name. */
export function seriesMatches(series: Pick<ConvertedSeries, 'outputName' | 'source'>, wanted: string): boolean {
  const { seriesNumber, seriesInstanceUid } = series.source
  return wanted === seriesInstanceUid || wanted === series.outputName || (seriesNumber !== undefined && wanted === String(seriesNumber))
}

function fourDimensionalReason(series: ConvertedSeries): string {
  const { dims, channels } = series.layout.header
  return (
    `holds ${channels} volumes of ${dims.join('×')} (a time series such as fMRI, or another 4th dimension); ` +
    'Voxloop labels 3D images, so a 4D series is not imported: split it into 3D volumes first (e.g. fslsplit on the NIfTI dcm2niix makes) and import those'
  )
}

/**
 * The volumes of a DICOM folder, for the user to choose which to import (`choice` is dcm2niix's name,
 * which seriesMatches takes). dcm2niix offers no cheaper listing than converting, so this converts
 * the folder (and drops the voxels): it takes as long as an import's conversion.
 */
export async function listDicomSeries(source: string, options: { signal?: AbortSignal } = {}): Promise<DicomSeriesList> {
  prewarmDcm2niix(dcm2niixFiles())
  const search = await findDicomFiles(source)
  if (search.dicom.length === 0) {
    throw new VoxloopError('INVALID_ARGUMENT', `${source}: holds no DICOM files (sub-folders included); there is no series to choose`)
  }
  const conversion = await convertDicomFiles(source, search, options.signal ? { signal: options.signal } : {})
  const series = conversion.series.map((volume): DicomSeriesEntry => {
    const { dims, channels } = volume.layout.header
    const { seriesNumber, seriesInstanceUid, seriesDescription, protocolName, modality, files } = volume.source
    const description = seriesDescription ?? protocolName
    return {
      choice: volume.outputName,
      ...(seriesNumber === undefined ? {} : { seriesNumber }),
      ...(seriesInstanceUid === undefined ? {} : { seriesInstanceUid }),
      ...(description === undefined ? {} : { description }),
      ...(modality === undefined ? {} : { modality }),
      dims: [dims[0], dims[1], dims[2]],
      timePoints: channels,
      ...(files === undefined ? {} : { files })
    }
  })
  return { source, series, skippedFiles: conversion.skipped.length }
}

/**
 * The volume to store for a converted series: dcm2niix's, or, when the positions of its images show
 * them unevenly spaced, the same images on even slices (evenSlices.ts), with the note that says so;
 * a string is why the series cannot be imported.
 */
function volumeToStore(series: ConvertedSeries, images: SliceGeometry[] | string, described: string): { nifti: Uint8Array; header: VolumeHeader; note: string | null } | string {
  const asConverted = { nifti: series.nifti, header: series.layout.header, note: null }
  const spacing: SliceSpacing = typeof images === 'string' ? { kind: 'unknown', reason: images } : checkSliceSpacing(series.layout.header, images)
  if (spacing.kind === 'uneven') {
    try {
      const even = evenOutSlices(series.nifti, series.layout, spacing.offsets, described)
      return { nifti: even.nifti, header: even.layout.header, note: describeEvenSlices(spacing.offsets.length, even) }
    } catch (error) {
      return `its images are unevenly spaced and could not be put on even slices (${error instanceof Error ? error.message : String(error)})`
    }
  }
  if (spacing.kind === 'unknown' && series.unevenSlices !== undefined) {
    return (
      `its images are unevenly spaced (${series.unevenSlices}) and their positions could not be read to put them on even slices (${spacing.reason}); ` +
      'stacked as they are, every slice past a gap would lie at the wrong place'
    )
  }
  return asConverted
}

export interface DicomImportOptions extends ImportOptions {
  /** `--series`: import only the volumes of this series number, SeriesInstanceUID or dcm2niix name. */
  dicomSeries?: string
}

export async function importDicomFolder(store: ProjectStore, source: string, search: DicomFileSearch, options: DicomImportOptions = {}): Promise<ImportReport> {
  const conversion = await convertDicomFiles(source, search, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxVoxelBytes === undefined ? {} : { maxVoxelBytes: options.maxVoxelBytes })
  })
  const skipped: SkippedFile[] = [...conversion.skipped]
  const wanted = options.dicomSeries
  if (wanted !== undefined && conversion.series.length > 0 && !conversion.series.some((series) => seriesMatches(series, wanted))) {
    const found = conversion.series.map((series) => describeSeries(series, source).replace(/^[^:]*: /, '')).join('; ')
    throw new VoxloopError('INVALID_ARGUMENT', `${source}: no series "${wanted}" (--series takes a series number or SeriesInstanceUID); found: ${found}`)
  }
  const manifest = store.getManifest()
  const projectHadCases = store.listCases().length > 0
  const takenIds = new Set(store.listCases().map((c) => c.id.toLowerCase()))
  const staged: StagedCase[] = []
  const imported: ImportedCase[] = []
  const notes: string[] = []
  const intensities: IntensitySummary[] = []
  const modalities: string[] = []
  const staging = await ImportStaging.create(store.paths)
  // Per-slice references for DICOM SEG export, written once the cases are committed.
  const references = new Map<string, DicomReferencesFile['references']>()
  try {
    // Read once, and only when a volume is staged: a folder whose series are all refused (4D, not
    // chosen, duplicates) reads none (150 GE EPI headers cost about 0.5 s with dcmjs). Started before
    // the first volume's gzip, which runs on libuv's thread pool, so the two overlap.
    let headerScan: Promise<DicomHeaderScan> | null = null
    const headers = (): Promise<DicomHeaderScan> => {
      if (!headerScan) {
        headerScan = readDicomFileHeaders(search.dicom, options.signal)
        // Awaited below; this only keeps a rejection (cancelling) from going unhandled when staging fails first.
        headerScan.catch(() => undefined)
      }
      return headerScan
    }
    for (const series of conversion.series) {
      if (options.signal?.aborted) throw new VoxloopError('CANCELLED', `Import of ${conversion.series.length} DICOM series cancelled`)
      const described = describeSeries(series, source)
      const skip = (reason: string): void => {
        skipped.push({ file: described, reason })
      }
      if (wanted !== undefined && !seriesMatches(series, wanted)) {
        skip(`not the series chosen (--series ${wanted})`)
        continue
      }
      // A localizer (scout) is a plan for the acquisition, not an image to label: left out of an
      // "import everything", imported when the user names its series.
      if (wanted === undefined && series.source.imageType?.some((value) => value.toUpperCase() === 'LOCALIZER')) {
        skip(`a localizer (scout) image, not a volume to label; import it with --series ${series.source.seriesNumber ?? series.outputName} (or choose it in the app) if it is wanted`)
        continue
      }
      const { header } = series.layout
      if (header.channels > 1) {
        skip(fourDimensionalReason(series))
        continue
      }
      if (projectHadCases && manifest.channelNames.length !== 1) {
        skip(`the image has 1 channel; the project's images have ${manifest.channelNames.length}`)
        continue
      }
      const caseId = caseIdForSeries(series)
      if (takenIds.has(caseId.toLowerCase())) {
        skip(`case ${caseId} already exists in the project (the same series imported before)`)
        continue
      }
      const stagedImage = staging.imagePath(caseId)
      const scan = headers()
      // gzip runs on libuv's thread pool: the headers are read meanwhile; only a volume whose
      // images turn out unevenly spaced is compressed again, on its even slices.
      let compressed = gzip(series.nifti, { level: GZIP_LEVEL })
      compressed.catch(() => undefined)
      const toMatch = {
        seriesInstanceUid: series.source.seriesInstanceUid,
        seriesNumber: series.source.seriesNumber,
        files: series.source.files,
        // dcm2niix names a volume by the series number alone (-f %s) unless it split the series.
        split: !/^-?\d+$/.test(series.outputName)
      }
      const scanned = await scan
      const recorded = referencesForSeries(scanned, toMatch)
      const volume = volumeToStore(series, sliceGeometryForSeries(scanned, toMatch), described)
      if (typeof volume === 'string') {
        skip(volume)
        continue
      }
      if (volume.nifti !== series.nifti) {
        compressed = gzip(volume.nifti, { level: GZIP_LEVEL })
        compressed.catch(() => undefined)
        notes.push(`${caseId} ← ${described}: ${volume.note}`)
      }
      // The volume as it will be read back from the stored file: for the modality guess only.
      intensities.push(summarizeIntensities(niftiFromBytes(volume.nifti, described), described))
      await staging.write(stagedImage, await compressed)
      if (series.source.modality) modalities.push(series.source.modality)
      takenIds.add(caseId.toLowerCase())
      const record = {
        ...newCaseRecord(caseId, volume.header, { status: 'unlabeled', sourceFile: source, importedAt: new Date().toISOString(), labelVoxels: null }),
        dicom: series.source
      }
      references.set(caseId, recorded)
      staged.push({ record, stagedImage, stagedLabel: null, imageFile: described, labelFile: null })
      imported.push({ caseId, imageFile: described, labelFile: null })
      options.onProgress?.({ done: staged.length, total: conversion.series.length, caseId })
    }
    const report: ImportReport = { source, format: 'dicom', imported: [], skipped, repaired: [], labelsAdded: [], modality: null }
    if (staged.length === 0) return report
    // DICOM brings no label table: a project without labels gets "Label 1" to paint with (importLabels.ts).
    // Only once something is staged: its colour comes from a palette computed on first use (0.1 s in a fresh process).
    const labelsAdded = manifest.labels.length === 0 ? defaultLabelTable() : []
    const modality = chooseModality({
      requested: options.modality ?? null,
      project: { modality: manifest.modality, source: manifest.modalitySource, hasCases: projectHadCases },
      dicom: modalities.length > 0 ? modalities : null,
      datasetJson: null,
      intensities: guessModalityFromIntensities(intensities)
    })
    await store.commitImport({
      source,
      cases: staged,
      labelsToAdd: labelsAdded,
      skipped: skipped.length,
      ...(projectHadCases ? {} : { describeEmptyProject: { channelNames: manifest.channelNames.length === 1 ? manifest.channelNames : ['image'] } }),
      ...(modality.applied ? { modality: { modality: modality.modality, source: modality.source } } : {})
    })
    for (const [caseId, recorded] of references) {
      try {
        await writeDicomReferences(store, caseId, recorded)
      } catch (error) {
        // The case is committed and stays; only its DICOM SEG export becomes impossible, which the report says.
        const reason = error instanceof Error ? error.message : String(error)
        skipped.push({ file: `dicom/${caseId}.json`, reason: `DICOM references not recorded (${reason}): the case was imported but cannot be exported as DICOM SEG` })
      }
    }
    return { ...report, imported, labelsAdded, modality, ...(notes.length > 0 ? { notes } : {}) }
  } finally {
    await staging.dispose()
  }
}
