import { stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import {
  defaultLabelColor,
  type CaseStatus,
  type ImportReport,
  type LabelDef,
  type Modality,
  type ModalityChoice,
  type RepairedFile,
  type SkippedFile
} from '../../../shared/project'
import type { LabelArray, Volume, VolumeHeader } from '../../../shared/volume'
import {
  assertSameGrid,
  checkNiftiExtensions,
  copyNiftiGz,
  encodeLabelNifti,
  readLabelNifti,
  readNifti,
  type ReadNiftiOptions
} from '../volumes/nifti'
import { encodeImageNifti } from '../volumes/nifti/writeImageNifti'
import { newCaseRecord } from './caseRecord'
import { chooseModality } from './chooseModality'
import { findDicomFiles } from '../volumes/dicom'
import { planImport, type ImportPlan, type PlannedCase } from './datasetDiscovery'
import { importDicomFolder } from './importDicom'
import { ImportStaging } from './importStaging'
import { countLabels, countsToRecord } from './labelOps'
import { guessModalityFromIntensities, summarizeIntensities, type IntensitySummary } from './modalityGuess'
import { isInside } from './projectPaths'
import type { ProjectStore, StagedCase } from './ProjectStore'
import { stackChannels } from './stackChannels'

export interface ImportOptions {
  /** Status of cases imported with a label. Default 'done': a dataset's labels are curated. */
  labeledStatus?: CaseStatus
  /** Called after each case is read and staged. */
  onProgress?: (progress: { done: number; total: number; caseId: string }) => void
  /** Stops between cases; nothing is imported then (CANCELLED). */
  signal?: AbortSignal
  /** Images and labels needing more voxel bytes are skipped (default: the reader's memory rule). */
  maxVoxelBytes?: number
  /** The user's modality (`voxloop import --modality`): set on the project whatever the data says. */
  modality?: Modality
  /** `voxloop import --series`: of a DICOM folder, import only this series (number or SeriesInstanceUID). */
  dicomSeries?: string
}

/**
 * Imports a folder of NIfTI files or an MSD / nnU-Net dataset folder (see datasetDiscovery) into
 * the project; a folder with neither whose files (searched recursively) are DICOM goes to
 * importDicom.ts. Every image is read in full to validate it, labels are checked against their
 * image's grid and rewritten as integer .nii.gz on it; images are copied byte for byte (.nii.gz) or
 * gzipped (.nii), or re-encoded when assembled from several files. All files go to a staging
 * folder first and are moved in at the end by ProjectStore.commitImport, so a failing import
 * changes nothing in the project. Files that cannot be imported are reported with the reason;
 * images stored with their header repaired are imported and listed apart, with what was fixed.
 * The project's modality is chosen on the way (chooseModality.ts: the user's, else dataset.json or
 * the images' intensities for a project without cases) and reported with its reason.
 */
export async function importDataset(store: ProjectStore, sourceDir: string, options: ImportOptions = {}): Promise<ImportReport> {
  // Before any staging folder: a read-only project says so (it used to fail on mkdir with ENOENT).
  store.requireWritable()
  const source = await checkSource(store, sourceDir)
  const plan = await planImport(source)
  // A folder without NIfTI files (sub-folders are not searched for them) may hold DICOM series.
  if (plan.format === 'folder' && plan.cases.length === 0) {
    const dicom = await findDicomFiles(source)
    if (dicom.dicom.length > 0) return importDicomFolder(store, source, dicom, options)
  }
  if (options.dicomSeries !== undefined) {
    throw new VoxloopError('INVALID_ARGUMENT', `${source}: --series chooses a DICOM series, but this folder holds no DICOM files (${plan.format === 'msd' ? 'an MSD dataset' : 'NIfTI files'})`)
  }
  const run = new ImportRun(store, plan, options)
  const staging = await ImportStaging.create(store.paths)
  try {
    const staged = await run.stageAll(staging)
    const report: ImportReport = {
      source,
      format: plan.format,
      imported: [],
      skipped: run.skipped,
      repaired: run.repaired,
      labelsAdded: staged.length > 0 ? run.labelsToAdd() : [],
      modality: null
    }
    if (staged.length === 0) return report
    const modality = run.chooseModality()
    await store.commitImport({
      source,
      cases: staged,
      labelsToAdd: report.labelsAdded,
      skipped: run.skipped.length,
      ...(run.description ? { describeEmptyProject: run.description } : {}),
      ...(modality.applied ? { modality: { modality: modality.modality, source: modality.source } } : {})
    })
    report.modality = modality
    report.imported = staged.map((c) => ({ caseId: c.record.id, imageFile: c.imageFile, labelFile: c.labelFile }))
    return report
  } finally {
    await staging.dispose()
  }
}

async function checkSource(store: ProjectStore, sourceDir: string): Promise<string> {
  const source = path.resolve(sourceDir)
  const info = await stat(source).catch(() => null)
  if (!info) throw new VoxloopError('NOT_FOUND', `${source}: no such folder`)
  if (!info.isDirectory()) throw new VoxloopError('INVALID_ARGUMENT', `${source} is not a folder`)
  if (source === store.root || isInside(store.root, source) || isInside(source, store.root)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${source}: cannot import a folder that contains or is inside the project`)
  }
  return source
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function genericChannelNames(count: number): string[] {
  return count === 1 ? ['image'] : Array.from({ length: count }, (_, n) => `channel ${n}`)
}

/** The state of one import: what the project expects, what was skipped, which labels appeared. */
class ImportRun {
  readonly skipped: SkippedFile[]
  /** Imported images whose header was repaired; reported apart from `skipped`, since they were imported. */
  readonly repaired: RepairedFile[] = []
  /** Set when the project is empty: the channel names the project takes from this import. */
  description: { channelNames: string[] } | null = null
  /** Per staged image, what the modality guess needs (a sample of its intensities, not its voxels). */
  private readonly intensities: IntensitySummary[] = []
  private readonly projectHadCases: boolean
  private expectedChannels: number | null
  private readonly knownLabels: Map<number, LabelDef>
  private readonly newLabelIds = new Set<number>()
  private readonly takenIds: Set<string>

  constructor(
    private readonly store: ProjectStore,
    private readonly plan: ImportPlan,
    private readonly options: ImportOptions
  ) {
    const manifest = store.getManifest()
    const projectIsEmpty = store.listCases().length === 0
    this.projectHadCases = !projectIsEmpty
    this.skipped = [...plan.skipped]
    this.takenIds = new Set(store.listCases().map((c) => c.id.toLowerCase()))
    this.knownLabels = new Map(manifest.labels.map((label) => [label.id, label]))
    for (const label of plan.descriptor?.labels ?? []) {
      if (!this.knownLabels.has(label.id)) {
        this.knownLabels.set(label.id, label)
        this.newLabelIds.add(label.id)
      }
    }
    this.expectedChannels = projectIsEmpty ? (plan.descriptor?.channelNames.length ?? null) : manifest.channelNames.length
    if (projectIsEmpty && plan.descriptor) {
      this.description = { channelNames: plan.descriptor.channelNames }
    }
  }

  /** The project's modality after this import, and why (call after staging). */
  chooseModality(): ModalityChoice {
    const manifest = this.store.getManifest()
    const descriptor = this.plan.descriptor
    return chooseModality({
      requested: this.options.modality ?? null,
      project: { modality: manifest.modality, source: manifest.modalitySource, hasCases: this.projectHadCases },
      // DICOM folders are imported by importDicom.ts, which passes their (0008,0060) values.
      dicom: null,
      datasetJson: descriptor?.modalityStated ? { modality: descriptor.modality, channelNames: descriptor.channelNames } : null,
      intensities: guessModalityFromIntensities(this.intensities)
    })
  }

  private get readOptions(): ReadNiftiOptions {
    return this.options.maxVoxelBytes === undefined ? {} : { maxVoxelBytes: this.options.maxVoxelBytes }
  }

  labelsToAdd(): LabelDef[] {
    return [...this.newLabelIds].sort((a, b) => a - b).flatMap((id) => this.knownLabels.get(id) ?? [])
  }

  async stageAll(staging: ImportStaging): Promise<StagedCase[]> {
    const staged: StagedCase[] = []
    for (const planned of this.plan.cases) {
      if (this.options.signal?.aborted) throw new VoxloopError('CANCELLED', `Import of ${this.plan.cases.length} cases cancelled`)
      const result = await this.stageCase(planned, staging)
      if (result) staged.push(result)
      this.options.onProgress?.({ done: staged.length, total: this.plan.cases.length, caseId: planned.caseId })
    }
    return staged
  }

  private skip(files: (string | null)[], reason: string): null {
    for (const file of files) if (file) this.skipped.push({ file, reason })
    return null
  }

  private async stageCase(planned: PlannedCase, staging: ImportStaging): Promise<StagedCase | null> {
    const all = [...planned.imageFiles, planned.labelFile]
    if (this.takenIds.has(planned.caseId.toLowerCase())) {
      return this.skip(all, `case ${planned.caseId} already exists in the project`)
    }
    let image: Volume
    try {
      image = await readImage(planned.imageFiles, this.readOptions)
    } catch (error) {
      return this.skip(all, reasonOf(error))
    }
    const channelProblem = this.checkChannels(image.header)
    if (channelProblem) return this.skip(all, channelProblem)
    this.intensities.push(summarizeIntensities(image, planned.imageFiles[0] ?? planned.caseId))
    const stagedImage = staging.imagePath(planned.caseId)
    const repaired = await stageImage(staging, planned.imageFiles, image, stagedImage, this.readOptions)
    if (repaired.length > 0 && planned.imageFiles[0]) this.repaired.push({ file: planned.imageFiles[0], repairs: repaired })
    const label = await this.readLabel(planned, image.header)
    const stagedLabel = label ? staging.labelPath(planned.caseId) : null
    if (label && stagedLabel) await staging.write(stagedLabel, encodeLabelNifti(label, image.header))
    this.takenIds.add(planned.caseId.toLowerCase())
    const record = newCaseRecord(planned.caseId, image.header, {
      status: label ? (this.options.labeledStatus ?? 'done') : 'unlabeled',
      sourceFile: planned.imageFiles[0] ?? '',
      importedAt: new Date().toISOString(),
      labelVoxels: label ? countsToRecord(countLabels(label)) : null
    })
    return { record, stagedImage, stagedLabel, imageFile: planned.imageFiles.join(', '), labelFile: label ? planned.labelFile : null }
  }

  /** Null when the image fits the project; else why not. Fixes the channel count on first use. */
  private checkChannels(header: VolumeHeader): string | null {
    if (this.expectedChannels === null) {
      this.expectedChannels = header.channels
      const manifest = this.store.getManifest()
      const channelNames = manifest.channelNames.length === header.channels ? manifest.channelNames : genericChannelNames(header.channels)
      this.description = { channelNames }
    }
    if (header.channels === this.expectedChannels) return null
    return `the image has ${header.channels} channel(s); the project's images have ${this.expectedChannels}`
  }

  /** The label on the image's grid, or null (the problem is reported; the image is still imported). */
  private async readLabel(planned: PlannedCase, imageHeader: VolumeHeader): Promise<LabelArray | null> {
    if (!planned.labelFile) return null
    try {
      const label = await readLabelNifti(planned.labelFile, this.readOptions)
      assertSameGrid(imageHeader, label.header, planned.labelFile)
      this.noteLabelValues(label.data)
      return label.data
    } catch (error) {
      this.skipped.push({ file: planned.labelFile, reason: `${reasonOf(error)}; image imported without label` })
      return null
    }
  }

  private noteLabelValues(labels: LabelArray): void {
    for (const labelId of countLabels(labels).keys()) {
      if (this.knownLabels.has(labelId)) continue
      const names = new Set([...this.knownLabels.values()].map((label) => label.name.toLowerCase()))
      const name = names.has(`label ${labelId}`) ? `Label ${labelId} (imported)` : `Label ${labelId}`
      this.knownLabels.set(labelId, { id: labelId, name, color: defaultLabelColor(labelId) })
      this.newLabelIds.add(labelId)
    }
  }
}

async function readImage(files: string[], options: ReadNiftiOptions): Promise<Volume> {
  if (files.length === 1 && files[0]) return readNifti(files[0], options)
  const channels: Volume[] = []
  for (const file of files) channels.push(await readNifti(file, options))
  return stackChannels(channels, files)
}

/**
 * A single .nii/.nii.gz is stored as .nii.gz: byte for byte when it is gzipped and its header
 * extensions are sound, else streamed through gzip with them repaired (so that nibabel and other
 * readers can open every stored file); pairs and stacked channels are re-encoded. Returns what was
 * repaired, for the report.
 */
async function stageImage(staging: ImportStaging, files: string[], image: Volume, target: string, options: ReadNiftiOptions): Promise<string[]> {
  const [only] = files
  if (files.length === 1 && only && /\.nii(\.gz)?$/i.test(only)) {
    const check = await checkNiftiExtensions(only, options)
    if (check.compressed && check.patches.length === 0) await staging.copy(only, target)
    else await staging.writeStreamed(target, (out) => copyNiftiGz(only, check, out))
    return check.dropped
  }
  await staging.write(target, encodeImageNifti(image))
  return []
}
