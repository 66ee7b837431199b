import { copyFile, mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { CaseStatus, CaseSummary, ExportReport, ProjectManifest } from '../../../shared/project'
import { writeFileAtomic } from '../storage/writeFileAtomic'
import { encodeLabelNifti } from '../volumes/nifti'
import { isErrno } from './fsUtil'
import { isInside } from './projectPaths'
import type { ProjectStore } from './ProjectStore'

export interface ExportLabelsOptions {
  /** Default: every case. */
  caseIds?: string[]
  /** Also write predictions/<case>.nii.gz (and uncertainty maps) under `predictions/`. */
  includePredictions?: boolean
  /** Replace files already in the destination. Default false: they are reported as skipped. */
  overwrite?: boolean
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

/**
 * Exports label maps (the current label: saved file plus unsaved edits) as `<case>.nii.gz` on their
 * image's exact grid, so they overlay the source images in 3D Slicer, ITK-SNAP or nnU-Net.
 */
export async function exportLabels(store: ProjectStore, destDir: string, options: ExportLabelsOptions = {}): Promise<ExportReport> {
  const destination = checkDestination(store, destDir)
  await mkdir(destination, { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  for (const summary of selectCases(store, options.caseIds)) {
    if (summary.hasLabel || summary.hasUnsavedEdits) await exportLabel(store, summary.id, destination, 'labels', options, report)
    else report.skipped.push({ file: summary.id, reason: 'no label yet' })
    if (options.includePredictions && summary.hasPrediction) await exportPrediction(store, summary.id, destination, options, report)
  }
  return report
}

/**
 * Exports the project as a Medical Segmentation Decathlon folder: dataset.json, imagesTr/,
 * labelsTr/, imagesTs/. Images are copied byte for byte. The destination must be new or empty.
 */
export async function exportMsd(store: ProjectStore, destDir: string, options: ExportMsdOptions = {}): Promise<ExportReport> {
  const destination = checkDestination(store, destDir)
  await assertEmptyOrMissing(destination)
  for (const folder of ['imagesTr', 'labelsTr', 'imagesTs']) await mkdir(path.join(destination, folder), { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  const training: { image: string; label: string }[] = []
  const test: string[] = []
  for (const summary of selectCases(store, options.caseIds)) {
    const file = `${summary.id}.nii.gz`
    if (isTrainingCase(summary, options.trainingStatuses)) {
      await copyImage(store, summary.id, path.join(destination, 'imagesTr', file), report)
      await exportLabel(store, summary.id, destination, 'labelsTr', { overwrite: true }, report)
      training.push({ image: `./imagesTr/${file}`, label: `./labelsTr/${file}` })
    } else {
      await copyImage(store, summary.id, path.join(destination, 'imagesTs', file), report)
      test.push(`./imagesTs/${file}`)
    }
  }
  const datasetJson = msdDatasetJson(store.getManifest(), training, test, options.description)
  await writeFileAtomic(path.join(destination, 'dataset.json'), `${JSON.stringify(datasetJson, null, 2)}\n`)
  report.files.push('dataset.json')
  return report
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

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null
}

async function writeUnlessPresent(
  file: string,
  relative: string,
  overwrite: boolean,
  report: ExportReport,
  write: () => Promise<void>
): Promise<void> {
  if (!overwrite && (await exists(file))) {
    report.skipped.push({ file: relative, reason: 'already in the destination; not overwritten' })
    return
  }
  await mkdir(path.dirname(file), { recursive: true })
  await write()
  report.files.push(relative)
}

async function exportLabel(
  store: ProjectStore,
  caseId: string,
  destination: string,
  folder: string,
  options: { overwrite?: boolean },
  report: ExportReport
): Promise<void> {
  const relative = path.join(folder, `${caseId}.nii.gz`)
  const target = folder === 'labels' ? path.join(destination, `${caseId}.nii.gz`) : path.join(destination, relative)
  const shown = folder === 'labels' ? `${caseId}.nii.gz` : relative
  await writeUnlessPresent(target, shown, options.overwrite ?? false, report, async () => {
    const [label, header] = await Promise.all([store.loadLabel(caseId), store.loadImageHeader(caseId)])
    await writeFileAtomic(target, encodeLabelNifti(label.data, header))
  })
}

async function exportPrediction(
  store: ProjectStore,
  caseId: string,
  destination: string,
  options: ExportLabelsOptions,
  report: ExportReport
): Promise<void> {
  const sources: [string, string][] = [
    [store.paths.prediction(caseId), `${caseId}.nii.gz`],
    [store.paths.uncertainty(caseId), `${caseId}.uncertainty.nii.gz`]
  ]
  for (const [source, name] of sources) {
    if (!(await exists(source))) continue
    const relative = path.join('predictions', name)
    const confined = await store.paths.confine(source)
    await writeUnlessPresent(path.join(destination, relative), relative, options.overwrite ?? false, report, () =>
      copyFile(confined, path.join(destination, relative))
    )
  }
}

async function copyImage(store: ProjectStore, caseId: string, target: string, report: ExportReport): Promise<void> {
  await copyFile(await store.paths.confine(store.paths.image(caseId)), target)
  report.files.push(path.relative(report.destination, target))
}

/** What MSD calls a channel: "MRI" / "CT" for a project's generic single channel. */
function msdChannelName(manifest: ProjectManifest, name: string): string {
  if (manifest.channelNames.length > 1 || name !== 'image') return name
  return manifest.modality === 'MR' ? 'MRI' : manifest.modality === 'CT' ? 'CT' : name
}

function msdDatasetJson(
  manifest: ProjectManifest,
  training: { image: string; label: string }[],
  test: string[],
  description: string | undefined
): Record<string, unknown> {
  const labels: Record<string, string> = { '0': 'background' }
  for (const label of manifest.labels) labels[String(label.id)] = label.name
  return {
    name: manifest.name,
    description: description ?? `Exported from Voxloop project ${manifest.name}`,
    reference: '',
    licence: '',
    release: '',
    tensorImageSize: manifest.channelNames.length > 1 ? '4D' : '3D',
    modality: Object.fromEntries(manifest.channelNames.map((name, n) => [String(n), msdChannelName(manifest, name)])),
    labels,
    numTraining: training.length,
    numTest: test.length,
    training,
    test
  }
}

