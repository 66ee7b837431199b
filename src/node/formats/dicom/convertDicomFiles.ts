import path from 'node:path'
import type { DicomSource, SkippedFile } from '../../../shared/project'
import type { ReadNiftiOptions } from '../nifti'
import type { NiftiDataLayout } from '../nifti/niftiHeaderValidation'
import type { Dcm2niixProgress } from './dcm2niixCore'
import { parseDcm2niixLog } from './dcm2niixLog'
import { dcm2niixFiles, DCM2NIIX_VERSION } from './dcm2niixPackage'
import { parseDcm2niixSidecar } from './dcm2niixSidecar'
import type { DicomFileSearch } from './findDicomFiles'
import { niftiLayoutFromBytes } from './niftiFromBytes'
import { runDcm2niix } from './runDcm2niix'

/**
 * DICOM files → one NIfTI volume per series (and per echo, phase part, … where dcm2niix splits a
 * series), by dcm2niix itself: series grouped by SeriesInstanceUID and SeriesNumber (and the other
 * fields dcm2niix compares), slices ordered by their position along the slice normal, Siemens
 * mosaics unpacked, every compressed transfer syntax decoded, RescaleSlope/Intercept kept as the
 * NIfTI scl_slope/scl_inter, and the geometry turned from DICOM's LPS into NIfTI's RAS
 * (qform = sform, code 1). The volumes are dcm2niix's bytes, unchanged.
 */

export const CONVERTER = `dcm2niix ${DCM2NIIX_VERSION} (WebAssembly)`

/**
 * dcm2niix's defaults spelt out (a defaults file cannot change them), plus: a sidecar with the
 * identifiers (-b y -ba n) to describe each series, no gzip (the import compresses), the verbose
 * log that names each file (-v 1), and outputs named by series number (-f %s) with dcm2niix's own
 * suffixes for what it split apart (-w 2).
 */
export const DCM2NIIX_OPTIONS = ['-b', 'y', '-ba', 'n', '-z', 'n', '-v', '1', '-f', '%s', '-w', '2', '-i', 'n', '-l', 'o', '-x', 'n', '-m', '2', '-p', 'y']

export const NO_IMAGE_REASON = 'a DICOM file without an image dcm2niix can convert (a report, presentation state or other object without pixel data, or a damaged file)'
const NOT_TAKEN_REASON = 'dcm2niix did not read it as DICOM'

export interface ConvertedSeries {
  /** dcm2niix's name for the volume (series number and its suffixes, e.g. '4', '4_e2', '1a'). */
  outputName: string
  /** The uncompressed .nii that dcm2niix wrote. */
  nifti: Uint8Array
  /** Its header, checked as readNifti checks it. */
  layout: NiftiDataLayout
  /** What the series says of itself (sidecar), with the converter and the number of files used. */
  source: DicomSource
  /**
   * dcm2niix's words when it found the images unevenly spaced (its volume then stacks them at one
   * spacing, so the importer must put them on even slices or refuse them: evenSlices.ts).
   */
  unevenSlices?: string
}

export interface DicomConversion {
  series: ConvertedSeries[]
  /** Files not converted, with the reason (including those the search already set aside). */
  skipped: SkippedFile[]
  /** Everything dcm2niix printed, for diagnosis. */
  log: string[]
}

export interface ConvertDicomOptions extends ReadNiftiOptions {
  signal?: AbortSignal
  onProgress?: (progress: Dcm2niixProgress) => void
}

function withProblems(reason: string, problems: readonly string[]): string {
  return problems.length === 0 ? reason : `${reason}; dcm2niix: ${problems.join(' ')}`
}

/**
 * Converts the DICOM files found in `folder` (findDicomFiles) in one dcm2niix run. Series are
 * returned sorted by series number, then dcm2niix's name.
 */
export async function convertDicomFiles(folder: string, search: DicomFileSearch, options: ConvertDicomOptions = {}): Promise<DicomConversion> {
  const skipped = [...search.skipped]
  if (search.dicom.length === 0) return { series: [], skipped, log: [] }
  const result = await runDcm2niix(
    { files: dcm2niixFiles(), inputs: search.dicom, options: DCM2NIIX_OPTIONS },
    { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }
  )
  const log = parseDcm2niixLog(result.log)
  let validInputs = 0
  search.dicom.forEach((file, index) => {
    const verdict = log.inputs.get(index)
    if (verdict?.valid) validInputs++
    else if (verdict) skipped.push({ file, reason: withProblems(NO_IMAGE_REASON, verdict.problems) })
    // Only when the log names files at all: otherwise its wording changed, and counts must do.
    else if (log.inputs.size > 0) skipped.push({ file, reason: NOT_TAKEN_REASON })
  })

  const byName = new Map(result.outputs.map((output) => [output.name, output.bytes]))
  // dcm2niix's `<name>_Eq_<n>` is its own equidistant copy of an unevenly spaced `<name>`, without a
  // sidecar and one image short (evenSlices.ts): never a case of its own; it marks `<name>` as uneven.
  const equidistantOf = (name: string): string | null => /^(.+)_Eq_\d+\.nii$/.exec(name)?.[1] ?? null
  const unevenByEq = new Set([...byName.keys()].map(equidistantOf).filter((base): base is string => base !== null && byName.has(`${base}.nii`)))
  const decoder = new TextDecoder()
  const series: ConvertedSeries[] = []
  let filesUsed = 0
  for (const [name, nifti] of byName) {
    if (!name.endsWith('.nii')) continue
    const base = equidistantOf(name)
    if (base !== null && byName.has(`${base}.nii`)) continue
    const outputName = name.slice(0, -'.nii'.length)
    const files = log.filesPerOutput.get(outputName)
    filesUsed += files ?? 0
    const where = `${folder} (dcm2niix output ${outputName})`
    let layout: NiftiDataLayout
    try {
      layout = niftiLayoutFromBytes(nifti, where, options)
    } catch (error) {
      skipped.push({ file: where, reason: error instanceof Error ? error.message : String(error) })
      continue
    }
    const sidecar = byName.get(`${outputName}.json`)
    const described = parseDcm2niixSidecar(sidecar ? decoder.decode(sidecar) : null, CONVERTER) ?? { converter: CONVERTER }
    const problems = log.problemsPerOutput.get(outputName) ?? []
    const spacingWarnings = problems.some((line) => /interslice distance varies/i.test(line)) ? problems.filter((line) => /interslice distance varies|missing images/i.test(line)) : []
    const unevenSlices = spacingWarnings.length > 0 ? `dcm2niix: ${spacingWarnings.join(' ')}` : unevenByEq.has(outputName) ? 'dcm2niix wrote an equidistant copy (_Eq) of the volume' : undefined
    series.push({ outputName, nifti, layout, source: { ...described, ...(files === undefined ? {} : { files }) }, ...(unevenSlices === undefined ? {} : { unevenSlices }) })
  }
  // Two files of one image: dcm2niix converts one and names the pair in its log.
  for (const [first, second] of log.duplicates) {
    const [kept, dropped] = [search.dicom[first], search.dicom[second]]
    if (kept !== undefined && dropped !== undefined) {
      skipped.push({ file: dropped, reason: `the same image as ${kept} (identical time, series, acquisition and instance number): only one of the two was converted` })
    }
  }
  // A file that is an image but went into no volume: dcm2niix says why only in its error lines.
  const unconverted = log.inputs.size > 0 ? validInputs - filesUsed - log.duplicates.length : 0
  if (unconverted > 0) {
    skipped.push({ file: folder, reason: withProblems(`${unconverted} DICOM image file(s) were not converted into any volume`, log.errors) })
  } else if (series.length === 0 && result.exitCode !== 0 && log.inputs.size === 0) {
    skipped.push({ file: folder, reason: withProblems(`dcm2niix converted nothing (exit status ${result.exitCode})`, result.log.filter((line) => /^(Error|Warning)/.test(line))) })
  }
  series.sort((a, b) => (a.source.seriesNumber ?? 0) - (b.source.seriesNumber ?? 0) || a.outputName.localeCompare(b.outputName, 'en', { numeric: true }))
  return { series, skipped, log: result.log }
}

/** A short description of a series for reports: `series 4 "ax_asc_35sl"` (what it has of the two). */
export function describeSeries(series: ConvertedSeries, folder: string): string {
  const { seriesNumber, seriesDescription, protocolName } = series.source
  const text = seriesDescription ?? protocolName
  const parts = [seriesNumber === undefined ? 'series' : `series ${seriesNumber}`, text === undefined ? '' : `"${text}"`].filter(Boolean)
  const files = series.source.files === undefined ? '' : `, ${series.source.files} DICOM file(s)`
  return `${path.basename(folder)}: ${parts.join(' ')}${files}`
}
