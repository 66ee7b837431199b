import { mkdir, readdir } from 'node:fs/promises'
import path from 'node:path'
import { formatItkSnapLabels } from '../../../node/formats/labelTables/itkSnap'
import { encodeSegNrrd, segmentsForLabels } from '../../../node/formats/nrrd/segNrrd'
import { VoxloopError } from '../../../shared/errors'
import type { CaseStatus, CaseSummary, ExportFormat, ExportReport, LabelDef, ProjectManifest } from '../../../shared/project'
import type { LabelArray, Volume, VolumeHeader } from '../../../shared/volume'
import { copyFileAtomic, writeFileAtomic } from '../../../node/storage/durableWrite'
import { encodeLabelNifti } from '../../../node/formats/nifti'
import { writeImageNifti } from '../../../node/formats/nifti/writeImageNifti'
import { encodeDicomSeg } from '../../../node/formats/dicom'
import { encodePngMask } from '../../../node/formats/image2d'
import { readDicomReferences } from './dicomReferenceStore'
import { exportPngMasks } from './exportPngMasks'
import { isErrno } from './fsUtil'
import { isInside } from './projectPaths'
import type { ProjectStore } from './ProjectStore'
import { pathExists } from '../../../node/storage/pathExists'

/** The formats that write one label file per case (and may add predictions). */
export type LabelFileFormat = Extract<ExportFormat, 'nifti' | 'seg-nrrd'>

/** ITK-SNAP's label description file, written beside NIfTI label exports (ITK-SNAP: Import Label Descriptions). */
export const ITK_SNAP_LABELS_FILE = 'labels.itksnap.txt'

export interface ExportLabelsOptions {
  /** Default: every case. */
  caseIds?: string[]
  /** Also write each case's prediction (and uncertainty map) under `predictions/`. */
  includePredictions?: boolean
  /** Replace files already in the destination. Default false: they are reported as skipped. */
  overwrite?: boolean
  /** `nifti` (default): `<case>.nii.gz` plus labels.itksnap.txt; `seg-nrrd`: `<case>.seg.nrrd`. */
  format?: LabelFileFormat
}

export interface ExportMsdOptions {
  caseIds?: string[]
  /**
   * Cases with a non-empty label and one of these statuses go to imagesTr/labelsTr; all others to
   * imagesTs. Default: every status (all labelled cases train).
   */
  trainingStatuses?: CaseStatus[]
  description?: string
}

export type ExportNnunetOptions = ExportMsdOptions

export interface ExportProjectOptions extends Omit<ExportLabelsOptions, 'format'>, ExportMsdOptions {
  format: ExportFormat
}

/** One entry point for the CLI and the app: the format picks the writer. */
export async function exportProject(store: ProjectStore, destDir: string, options: ExportProjectOptions): Promise<ExportReport> {
  const { format, caseIds, includePredictions, overwrite, trainingStatuses, description } = options
  if (format === 'nifti' || format === 'seg-nrrd') return exportLabels(store, destDir, { format, caseIds, includePredictions, overwrite })
  // A dataset folder has a fixed layout with no place for model output; saying so beats dropping it.
  if (includePredictions) throw new VoxloopError('INVALID_ARGUMENT', `predictions are exported with the nifti and seg-nrrd formats, not ${format}`)
  if (format === 'dicom-seg') return exportDicomSeg(store, destDir, { caseIds, overwrite })
  if (format === 'png-masks') return exportPngMasks(store, destDir, { caseIds, overwrite })
  const datasetOptions: ExportMsdOptions = { caseIds, trainingStatuses, description }
  return format === 'msd' ? exportMsd(store, destDir, datasetOptions) : exportNnunetV2(store, destDir, datasetOptions)
}

/**
 * Exports label maps (the current label: saved file plus unsaved edits) on their image's exact grid,
 * so they overlay the source images in 3D Slicer, ITK-SNAP or nnU-Net: as `<case>.nii.gz` with the
 * project's label table as an ITK-SNAP label description file, or as Slicer's `<case>.seg.nrrd`
 * (which carries segment names and colours itself).
 */
export async function exportLabels(store: ProjectStore, destDir: string, options: ExportLabelsOptions = {}): Promise<ExportReport> {
  const format = options.format ?? 'nifti'
  const overwrite = options.overwrite ?? false
  const destination = checkDestination(store, destDir)
  await mkdir(destination, { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  for (const summary of selectCases(store, options.caseIds)) {
    if (summary.hasLabel || summary.hasUnsavedEdits) {
      const name = labelFileName(summary.id, format)
      await writeUnlessPresent(path.join(destination, name), name, overwrite, report, async (target) => {
        const [label, header] = await Promise.all([store.loadLabel(summary.id), store.loadImageHeader(summary.id)])
        await writeFileAtomic(target, await encodeLabelFile(store, format, label.data, header))
      })
    } else {
      report.skipped.push({ file: summary.id, reason: 'no label yet' })
    }
    if (options.includePredictions && summary.hasPrediction) await exportPrediction(store, summary.id, destination, format, overwrite, report)
  }
  if (format === 'nifti') {
    await writeUnlessPresent(path.join(destination, ITK_SNAP_LABELS_FILE), ITK_SNAP_LABELS_FILE, overwrite, report, (target) =>
      writeFileAtomic(target, formatItkSnapLabels(store.getManifest().labels))
    )
  }
  return report
}

/** The file name of a case's DICOM SEG export. */
export function dicomSegFileName(caseId: string): string {
  return `${caseId}.seg.dcm`
}

/**
 * Exports each labelled case that was imported from DICOM as a DICOM Segmentation object,
 * `<case>.seg.dcm`, referencing its source images (node/formats/dicom/dicomSeg.ts; docs/DATASTORE.md).
 * A case without recorded references, with an empty label, or whose grid is not its source images'
 * (resampled, mosaic, multi-frame, 4D) is skipped with the reason; a refusal names the case.
 */
export async function exportDicomSeg(store: ProjectStore, destDir: string, options: { caseIds?: string[]; overwrite?: boolean } = {}): Promise<ExportReport> {
  const destination = checkDestination(store, destDir)
  await mkdir(destination, { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  const segments = store.getManifest().labels.map((label) => ({ labelValue: label.id, name: label.name, color: label.color }))
  for (const summary of selectCases(store, options.caseIds)) {
    if (!summary.hasLabel && !summary.hasUnsavedEdits) {
      report.skipped.push({ file: summary.id, reason: 'no label yet' })
      continue
    }
    const references = await readDicomReferences(store, summary.id)
    if (references === null) {
      report.skipped.push({
        file: summary.id,
        reason: 'no DICOM references recorded: the case was not imported from a DICOM series, or was imported before Voxloop recorded the source images a DICOM SEG must reference'
      })
      continue
    }
    if (references.status === 'unavailable') {
      report.skipped.push({ file: summary.id, reason: `the source images could not be recorded at import: ${references.reason}` })
      continue
    }
    const name = dicomSegFileName(summary.id)
    const [label, header] = await Promise.all([store.loadLabel(summary.id), store.loadImageHeader(summary.id)])
    let bytes: Uint8Array
    try {
      bytes = encodeDicomSeg({
        references,
        grid: { dims: header.dims, rasFromIjk: header.rasFromIjk },
        labels: label.data,
        segments,
        what: `case ${summary.id}`,
        seriesDescription: `Voxloop labels of ${summary.id}`
      }).bytes
    } catch (error) {
      // A case that cannot be written is reported and the others still exported.
      if (!(error instanceof VoxloopError) || error.code !== 'INVALID_ARGUMENT') throw error
      report.skipped.push({ file: summary.id, reason: error.message })
      continue
    }
    await writeUnlessPresent(path.join(destination, name), name, options.overwrite ?? false, report, (target) => writeFileAtomic(target, bytes))
  }
  return report
}

/**
 * Exports the project as a Medical Segmentation Decathlon folder: dataset.json, imagesTr/,
 * labelsTr/, imagesTs/. Images are copied byte for byte. The destination must be new or empty.
 */
export async function exportMsd(store: ProjectStore, destDir: string, options: ExportMsdOptions = {}): Promise<ExportReport> {
  return exportDataset(store, destDir, MSD_LAYOUT, options)
}

/**
 * Exports the project as an nnU-Net v2 raw dataset folder (nnU-Net's documentation/dataset_format.md):
 * dataset.json, imagesTr/<case>_0000.nii.gz (one file per channel: _0000, _0001, …), labelsTr/,
 * imagesTs/. Label values are renumbered 1..n in id order when the project's ids have gaps, as
 * nnU-Net requires consecutive values. The destination must be new or empty.
 * A project whose exported cases are all 2D pictures (one-slice cases imported from PNG, JPEG or
 * TIFF) is written as nnU-Net's 2D datasets are: grey PNGs `imagesTr/<case>_0000.png` (one per
 * channel, 8- or 16-bit as stored), label PNGs `labelsTr/<case>.png`, "file_ending": ".png", which
 * nnU-Net reads with its natural-image reader; any other case keeps the NIfTI form for all.
 */
export async function exportNnunetV2(store: ProjectStore, destDir: string, options: ExportNnunetOptions = {}): Promise<ExportReport> {
  const ending = allPictureCases(store, options.caseIds) ? '.png' : '.nii.gz'
  return exportDataset(store, destDir, nnunetLayout(store.getManifest(), ending), options)
}

/** Whether every case to export is a one-slice case imported from a 2D picture (and there is one). */
function allPictureCases(store: ProjectStore, caseIds: string[] | undefined): boolean {
  const cases = selectCases(store, caseIds)
  return cases.length > 0 && cases.every((summary) => summary.dims[2] === 1 && store.getImage2dSource(summary.id) !== null)
}

/**
 * One channel of a one-slice case as a grey PNG of its own bit depth. Voxel (i, j, 0) is pixel
 * (column i, row j from the top), as the 2D import stored it, so the PNG is the imported picture's
 * layout. encodePngMask's 'ids' form is a lossless grey writer (8-bit, or 16-bit above 255).
 */
function pictureChannelPng(data: Volume['data'], width: number, height: number, caseId: string): Uint8Array {
  if (!(data instanceof Uint8Array) && !(data instanceof Uint16Array)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${caseId}: its image is not 8- or 16-bit unsigned, which a PNG cannot hold; export it with another format`)
  }
  return encodePngMask(data, width, height, 'ids')
}

function checkDestination(store: ProjectStore, destDir: string): string {
  const destination = path.resolve(destDir)
  if (destination === store.root || isInside(store.root, destination) || isInside(destination, store.root)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${destination}: export to a folder outside the project`)
  }
  return destination
}

async function assertEmptyOrMissing(destination: string): Promise<void> {
  try {
    const entries = await readdir(destination)
    if (entries.length > 0) throw new VoxloopError('ALREADY_EXISTS', `${destination} is not empty; choose a new or empty folder`)
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error
  }
}

function selectCases(store: ProjectStore, caseIds: string[] | undefined): CaseSummary[] {
  return caseIds ? caseIds.map((caseId) => store.getCase(caseId)) : store.listCases()
}

function isTrainingCase(summary: CaseSummary, statuses: CaseStatus[] | undefined): boolean {
  const labelled = summary.labelStats.length > 0
  return labelled && (statuses === undefined || statuses.includes(summary.status))
}

async function writeUnlessPresent(
  file: string,
  relative: string,
  overwrite: boolean,
  report: ExportReport,
  write: (file: string) => Promise<void>
): Promise<void> {
  if (!overwrite && (await pathExists(file))) {
    report.skipped.push({ file: relative, reason: 'already in the destination; not overwritten' })
    return
  }
  await mkdir(path.dirname(file), { recursive: true })
  await write(file)
  report.files.push(relative)
}

function labelFileName(caseId: string, format: LabelFileFormat): string {
  return format === 'nifti' ? `${caseId}.nii.gz` : `${caseId}.seg.nrrd`
}

function encodeLabelFile(store: ProjectStore, format: LabelFileFormat, labels: LabelArray, imageHeader: VolumeHeader): Promise<Uint8Array> | Uint8Array {
  if (format === 'nifti') return encodeLabelNifti(labels, imageHeader)
  return encodeSegNrrd({ dims: imageHeader.dims, labels, rasFromIjk: imageHeader.rasFromIjk, segments: segmentsForLabels(store.getManifest().labels, labels) })
}

/**
 * predictions/<case>.nii.gz (copied) or predictions/<case>.seg.nrrd (converted), and the
 * uncertainty map as predictions/<case>.uncertainty.nii.gz: a float volume, not a segmentation,
 * so it stays NIfTI in both formats (Slicer and ITK-SNAP load it as an image).
 */
async function exportPrediction(
  store: ProjectStore,
  caseId: string,
  destination: string,
  format: LabelFileFormat,
  overwrite: boolean,
  report: ExportReport
): Promise<void> {
  const labelName = path.join('predictions', labelFileName(caseId, format))
  if (format === 'nifti') {
    const source = store.paths.prediction(caseId)
    if (await pathExists(source)) {
      const confined = await store.paths.confine(source)
      await writeUnlessPresent(path.join(destination, labelName), labelName, overwrite, report, (target) => copyFileAtomic(confined, target))
    }
  } else {
    await writeUnlessPresent(path.join(destination, labelName), labelName, overwrite, report, async (target) => {
      const [prediction, header] = await Promise.all([store.loadPrediction(caseId), store.loadImageHeader(caseId)])
      if (!prediction) throw new VoxloopError('NOT_FOUND', `${caseId}: the case has no prediction to export`)
      await writeFileAtomic(target, await encodeLabelFile(store, format, prediction.data, header))
    })
  }
  const uncertainty = store.paths.uncertainty(caseId)
  if (await pathExists(uncertainty)) {
    const relative = path.join('predictions', `${caseId}.uncertainty.nii.gz`)
    const confined = await store.paths.confine(uncertainty)
    await writeUnlessPresent(path.join(destination, relative), relative, overwrite, report, (target) => copyFileAtomic(confined, target))
  }
}

// ---- Dataset folders (MSD, nnU-Net v2): one walk over the cases, two layouts --------------------

/** A case as dataset.json lists it: paths relative to the dataset folder, with '/' separators. */
interface DatasetCase {
  caseId: string
  images: string[]
  label: string | null
}

/** What differs between the MSD and nnU-Net v2 folders; the walk, the checks and the writes are shared. */
interface DatasetLayout {
  /** Writes the case's image file(s) into `folder` (imagesTr or imagesTs); returns their relative paths. */
  writeImages(store: ProjectStore, caseId: string, destination: string, folder: string): Promise<string[]>
  /** Writes the case's label into labelsTr/; returns its relative path. */
  writeLabel(store: ProjectStore, caseId: string, destination: string): Promise<string>
  datasetJson(manifest: ProjectManifest, training: DatasetCase[], test: DatasetCase[], description: string | undefined): Record<string, unknown>
}

async function exportDataset(store: ProjectStore, destDir: string, layout: DatasetLayout, options: ExportMsdOptions): Promise<ExportReport> {
  const destination = checkDestination(store, destDir)
  await assertEmptyOrMissing(destination)
  for (const folder of ['imagesTr', 'labelsTr', 'imagesTs']) await mkdir(path.join(destination, folder), { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  const training: DatasetCase[] = []
  const test: DatasetCase[] = []
  for (const summary of selectCases(store, options.caseIds)) {
    if (isTrainingCase(summary, options.trainingStatuses)) {
      const images = await layout.writeImages(store, summary.id, destination, 'imagesTr')
      const label = await layout.writeLabel(store, summary.id, destination)
      training.push({ caseId: summary.id, images, label })
      report.files.push(...images, label)
    } else {
      const images = await layout.writeImages(store, summary.id, destination, 'imagesTs')
      test.push({ caseId: summary.id, images, label: null })
      report.files.push(...images)
    }
  }
  const datasetJson = layout.datasetJson(store.getManifest(), training, test, options.description)
  await writeFileAtomic(path.join(destination, 'dataset.json'), `${JSON.stringify(datasetJson, null, 2)}\n`)
  report.files.push('dataset.json')
  return report
}

/** `relative` under the destination: the report's path (platform separators). */
function reportPath(...parts: string[]): string {
  return path.join(...parts)
}

/** dataset.json's spelling of a relative path: "./imagesTr/x.nii.gz" whatever the platform. */
function datasetPath(relative: string): string {
  return `./${relative.split(path.sep).join('/')}`
}

async function copyImage(store: ProjectStore, caseId: string, target: string): Promise<void> {
  await copyFileAtomic(await store.paths.confine(store.paths.image(caseId)), target)
}

async function writeDatasetLabel(store: ProjectStore, caseId: string, destination: string, relabel: (labels: LabelArray) => LabelArray): Promise<string> {
  const relative = reportPath('labelsTr', `${caseId}.nii.gz`)
  const [label, header] = await Promise.all([store.loadLabel(caseId), store.loadImageHeader(caseId)])
  await writeFileAtomic(path.join(destination, relative), encodeLabelNifti(relabel(label.data), header))
  return relative
}

/** What MSD calls a channel: "MRI" / "CT" for a project's generic single channel. */
function msdChannelName(manifest: ProjectManifest, name: string): string {
  if (manifest.channelNames.length > 1 || name !== 'image') return name
  return manifest.modality === 'MR' ? 'MRI' : manifest.modality === 'CT' ? 'CT' : name
}

function channelNames(manifest: ProjectManifest): Record<string, string> {
  return Object.fromEntries(manifest.channelNames.map((name, n) => [String(n), msdChannelName(manifest, name)]))
}

const MSD_LAYOUT: DatasetLayout = {
  async writeImages(store, caseId, destination, folder) {
    const relative = reportPath(folder, `${caseId}.nii.gz`)
    await copyImage(store, caseId, path.join(destination, relative))
    return [relative]
  },
  writeLabel: (store, caseId, destination) => writeDatasetLabel(store, caseId, destination, (labels) => labels),
  datasetJson(manifest, training, test, description) {
    const labels: Record<string, string> = { '0': 'background' }
    for (const label of manifest.labels) labels[String(label.id)] = label.name
    return {
      name: manifest.name,
      description: description ?? `Exported from Voxloop project ${manifest.name}`,
      reference: '',
      licence: '',
      release: '',
      tensorImageSize: manifest.channelNames.length > 1 ? '4D' : '3D',
      modality: channelNames(manifest),
      labels,
      numTraining: training.length,
      numTest: test.length,
      training: training.map((entry) => ({ image: datasetPath(entry.images[0] ?? ''), label: datasetPath(entry.label ?? '') })),
      test: test.map((entry) => datasetPath(entry.images[0] ?? ''))
    }
  }
}

/** nnU-Net's channel suffix: `_0000`, `_0001`, … */
function channelSuffix(channel: number): string {
  return `_${String(channel).padStart(4, '0')}`
}

/**
 * nnU-Net wants label values 0, 1, 2, … without gaps: each label's value in the export is its rank
 * in id order (the identity for a table 1..n). Also refuses a label named "background", which
 * nnU-Net's dataset.json reserves for 0.
 */
export function nnunetLabelValues(labels: readonly LabelDef[]): Map<number, number> {
  const reserved = labels.find((label) => label.name === 'background')
  if (reserved) {
    throw new VoxloopError('INVALID_ARGUMENT', `label ${reserved.id} is named "background", which nnU-Net reserves for value 0; rename it before exporting as nnunet-v2`)
  }
  return new Map([...labels].sort((a, b) => a.id - b.id).map((label, rank) => [label.id, rank + 1]))
}

function nnunetRelabel(values: Map<number, number>): (labels: LabelArray, caseId: string) => LabelArray {
  const lookup = new Int32Array(65536).fill(-1)
  lookup[0] = 0
  for (const [id, value] of values) lookup[id] = value
  return (labels, caseId) => {
    const out = values.size > 255 ? new Uint16Array(labels.length) : new Uint8Array(labels.length)
    for (let n = 0; n < labels.length; n++) {
      const value = lookup[labels[n]]
      if (value < 0) {
        throw new VoxloopError('INVALID_ARGUMENT', `${caseId}: voxel value ${labels[n]} is not in the project's label table, so dataset.json cannot name it`)
      }
      out[n] = value
    }
    return out
  }
}

function nnunetLayout(manifest: ProjectManifest, ending: '.nii.gz' | '.png'): DatasetLayout {
  const values = nnunetLabelValues(manifest.labels)
  const relabel = nnunetRelabel(values)
  return {
    async writeImages(store, caseId, destination, folder) {
      if (ending === '.png') {
        const image = await store.loadImage(caseId)
        const [width, height] = image.header.dims
        const pixels = width * height
        const written: string[] = []
        for (let channel = 0; channel < image.header.channels; channel++) {
          const relative = reportPath(folder, `${caseId}${channelSuffix(channel)}.png`)
          const bytes = pictureChannelPng(image.data.subarray(channel * pixels, (channel + 1) * pixels), width, height, caseId)
          await writeFileAtomic(path.join(destination, relative), bytes)
          written.push(relative)
        }
        return written
      }
      const header = await store.loadImageHeader(caseId)
      if (header.channels === 1) {
        // One channel: the stored .nii.gz is already what nnU-Net reads; copy it byte for byte.
        const relative = reportPath(folder, `${caseId}${channelSuffix(0)}.nii.gz`)
        await copyImage(store, caseId, path.join(destination, relative))
        return [relative]
      }
      // Channels are stacked as one 4D image in the project; nnU-Net wants one 3D file per channel.
      const image = await store.loadImage(caseId)
      const voxels = header.dims[0] * header.dims[1] * header.dims[2]
      const written: string[] = []
      for (let channel = 0; channel < header.channels; channel++) {
        const relative = reportPath(folder, `${caseId}${channelSuffix(channel)}.nii.gz`)
        const data = image.data.subarray(channel * voxels, (channel + 1) * voxels)
        await writeImageNifti(path.join(destination, relative), { header: { ...image.header, channels: 1 }, data })
        written.push(relative)
      }
      return written
    },
    async writeLabel(store, caseId, destination) {
      if (ending === '.nii.gz') return writeDatasetLabel(store, caseId, destination, (labels) => relabel(labels, caseId))
      const relative = reportPath('labelsTr', `${caseId}.png`)
      const [label, header] = await Promise.all([store.loadLabel(caseId), store.loadImageHeader(caseId)])
      await writeFileAtomic(path.join(destination, relative), encodePngMask(relabel(label.data, caseId), header.dims[0], header.dims[1], 'ids'))
      return relative
    },
    datasetJson(manifest, training, _test, description) {
      const labels: Record<string, number> = { background: 0 }
      for (const label of [...manifest.labels].sort((a, b) => a.id - b.id)) labels[label.name] = values.get(label.id) ?? 0
      return {
        name: manifest.name,
        description: description ?? `Exported from Voxloop project ${manifest.name}`,
        channel_names: channelNames(manifest),
        labels,
        numTraining: training.length,
        file_ending: ending
      }
    }
  }
}
