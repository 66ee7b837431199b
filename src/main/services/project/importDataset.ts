import { stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import {
  isValidCaseId,
  type CaseStatus,
  type FourDImport,
  type ImportReport,
  type LabelDef,
  type Modality,
  type ModalityChoice,
  type RepairedFile,
  type SkippedFile
} from '../../../shared/project'
import { voxelCount, type LabelArray, type LabelVolume, type Volume, type VolumeHeader } from '../../../shared/volume'
import {
  assertSameGrid,
  checkNiftiExtensions,
  copyNiftiGz,
  encodeLabelNifti,
  labelArrayFromVoxels,
  labelVolumeFromVolume,
  readLabelNifti,
  readNifti,
  readNiftiLayout,
  type ReadNiftiOptions
} from '../../../node/formats/nifti'
import { encodeImageNifti } from '../../../node/formats/nifti/writeImageNifti'
import { labelMapFromSegmentation, readNrrd } from '../../../node/formats/nrrd/readNrrd'
import { newCaseRecord } from './caseRecord'
import { chooseModality } from './chooseModality'
import { dcm2niixFiles, findDicomFiles, prewarmDcm2niix } from '../../../node/formats/dicom'
import { planImport, type ImportPlan, type PlannedCase } from './datasetDiscovery'
import { mayBeDicomFolder, type Image2dPlanInfo } from './image2dDiscovery'
import { fourthDimensionOf, fourthDimensionSize, timePoint, timePointCaseId, timeSeriesRefusal } from './fourthDimension'
import { importDicomFolder } from './importDicom'
import { DEFAULT_PIXEL_SPACING_MM, labelDefsFromClasses, pictureModalityGuess, read2dCase } from './importImage2d'
import { ImportLabelNames, readCaretLabels, readLabelTableFile, unnamedLabelsNote, type LabelChanges, type LabelConflictRule } from './importLabels'
import { ImportStaging } from './importStaging'
import { countLabels, countsToRecord } from './labelOps'
import { guessModalityFromIntensities, summarizeIntensities, type IntensitySummary } from './modalityGuess'
import { isInside } from './projectPaths'
import type { ProjectStore, StagedCase } from './ProjectStore'
import { stackChannels } from './stackChannels'

export interface ImportOptions {
  /** Status of cases imported with a label. Default 'done': a dataset's labels are curated. */
  labeledStatus?: CaseStatus
  /** Called after each planned case is handled (staged or skipped): `done` of `total` planned cases. */
  onProgress?: (progress: { done: number; total: number; caseId: string }) => void
  /** Stops between cases; nothing is imported then (CANCELLED). */
  signal?: AbortSignal
  /** Images and labels needing more voxel bytes are skipped (default: the reader's memory rule). */
  maxVoxelBytes?: number
  /** The user's modality (`voxloop import --modality`): set on the project whatever the data says. */
  modality?: Modality
  /** `voxloop import --series`: of a DICOM folder, import only this series (number or SeriesInstanceUID). */
  dicomSeries?: string
  /** When a label source disagrees with the project's table: 'refuse' (default) or 'keep-project' (importLabels.ts). */
  labelConflicts?: LabelConflictRule
  /**
   * `voxloop import --4d`: what dim[4] of every 4D NIfTI image holds. Without it, each file is
   * decided by fourthDimension.ts and a time series is skipped with the reason; 'time' imports
   * each time point as case `<case>_t000`, `_t001`, …
   */
  fourD?: FourDImport
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
 * Label names and colours come from the project, dataset.json, label-table files in the folder and
 * the Caret tables in the label NIfTIs' headers; sources that disagree stop the import before
 * anything is stored (importLabels.ts). A project that would have no label gets "Label 1".
 * A 4D image's 4th dimension is channels or time (fourthDimension.ts, `options.fourD`).
 * A folder of 2D images (image2dDiscovery.ts) gives one-slice cases (importImage2d.ts); there an
 * image or mask that cannot be decoded stops the whole import, naming the file, with nothing
 * changed: a 2D dataset is one set of pairs, and training on the rest would hide the loss.
 */
export async function importDataset(store: ProjectStore, sourceDir: string, options: ImportOptions = {}): Promise<ImportReport> {
  // Before any staging folder: a read-only project says so (it used to fail on mkdir with ENOENT).
  store.requireWritable()
  const source = await checkSource(store, sourceDir)
  const plan = await planImport(source)
  // A folder without NIfTI files (sub-folders are not searched for them) may hold DICOM series, and
  // so may one with pictures beside other files (thumbnails in a DICOM export: mayBeDicomFolder).
  const noCases = plan.format === 'folder' && plan.cases.length === 0
  if (noCases || mayBeDicomFolder(plan)) {
    // The converter's worker starts while the folder is searched (it idles away if nothing is found).
    if (noCases) prewarmDcm2niix(dcm2niixFiles())
    const dicom = await findDicomFiles(source)
    if (dicom.dicom.length > 0) {
      if (options.fourD !== undefined) {
        throw new VoxloopError(
          'INVALID_ARGUMENT',
          `${source}: --4d applies to 4D NIfTI files, but this folder holds DICOM files, whose 4D series are not imported; convert one with dcm2niix and import the NIfTI with --4d time`
        )
      }
      return importDicomFolder(store, source, dicom, options)
    }
  }
  if (options.dicomSeries !== undefined) {
    throw new VoxloopError('INVALID_ARGUMENT', `${source}: --series chooses a DICOM series, but this folder holds no DICOM files (${plan.format === 'msd' ? 'an MSD dataset' : plan.images2d ? '2D images' : 'NIfTI files'})`)
  }
  const tables: LabelTable[] = []
  for (const table of plan.labelTables) tables.push({ file: table.file, labels: await readLabelTableFile(table) })
  const run = new ImportRun(store, source, plan, tables, options)
  const staging = await ImportStaging.create(store.paths)
  try {
    const staged = await run.stageAll(staging)
    const labels = staged.length > 0 ? run.labelChanges() : { added: [], named: [], unnamed: [] }
    const unnamedNote = unnamedLabelsNote(labels.unnamed)
    const notes = [...run.notes(), ...(unnamedNote === null ? [] : [unnamedNote])]
    const report: ImportReport = {
      source,
      format: plan.format,
      imported: [],
      skipped: run.skipped,
      repaired: run.repaired,
      labelsAdded: labels.added,
      modality: null,
      ...(notes.length > 0 ? { notes } : {})
    }
    if (staged.length === 0) return report
    const modality = run.chooseModality()
    await store.commitImport({
      source,
      cases: staged,
      labelsToAdd: report.labelsAdded,
      labelsToName: labels.named,
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

interface LabelTable {
  file: string
  labels: LabelDef[]
}

/** What stageCase does with a case's image by its 4th dimension (ImportRun.fourthDimension). */
type FourthDimensionPlan =
  | { kind: 'plain' }
  | { kind: 'unknown' }
  | { kind: 'time'; file: string }
  | { kind: 'refused'; reason: string }

function genericChannelNames(count: number): string[] {
  return count === 1 ? ['image'] : Array.from({ length: count }, (_, n) => `channel ${n}`)
}

/** The state of one import: what the project expects, what was skipped, which labels appeared. */
/** The PNG export's name for an nnU-Net 2D case: its label's file name, else `<case>` with the image's ending. */
function nnunetMaskName(planned: PlannedCase): string {
  if (planned.labelFile) return path.basename(planned.labelFile)
  const first = path.basename(planned.imageFiles[0] ?? '')
  return `${planned.caseId}${/\.[^.]+$/.exec(first)?.[0] ?? '.png'}`
}

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
  private readonly labelNames: ImportLabelNames
  private readonly takenIds: Set<string>
  /** 2D images whose file stated no pixel spacing, and what decoding their masks noticed. */
  private spacingUnknown = 0
  private readonly maskNotes: string[] = []

  /** Throws when dataset.json or a table file disagrees with the project or with each other. */
  constructor(
    private readonly store: ProjectStore,
    source: string,
    private readonly plan: ImportPlan,
    tables: readonly LabelTable[],
    private readonly options: ImportOptions
  ) {
    const manifest = store.getManifest()
    const projectIsEmpty = store.listCases().length === 0
    this.projectHadCases = !projectIsEmpty
    this.skipped = [...plan.skipped]
    this.takenIds = new Set(store.listCases().map((c) => c.id.toLowerCase()))
    this.labelNames = new ImportLabelNames(
      { labels: manifest.labels, file: `the project's label table (${store.paths.manifest})` },
      options.labelConflicts ?? 'refuse'
    )
    if (plan.descriptor) this.labelNames.addSource(path.join(source, 'dataset.json'), plan.descriptor.labels, false)
    for (const table of tables) this.labelNames.addSource(table.file, table.labels, true)
    const classes = plan.images2d?.classes
    if (classes && plan.images2d?.classFile) {
      this.labelNames.addSource(plan.images2d.classFile, labelDefsFromClasses(classes), classes.some((entry) => entry.color !== null))
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
    const images2d = this.plan.images2d
    return chooseModality({
      requested: this.options.modality ?? null,
      project: { modality: manifest.modality, source: manifest.modalitySource, hasCases: this.projectHadCases },
      // DICOM folders are imported by importDicom.ts, which passes their (0008,0060) values.
      dicom: null,
      datasetJson: descriptor?.modalityStated
        ? { modality: descriptor.modality, channelNames: descriptor.channelNames }
        : (images2d?.statedModality ?? null),
      intensities: images2d ? pictureModalityGuess(this.intensities) : guessModalityFromIntensities(this.intensities)
    })
  }

  private get readOptions(): ReadNiftiOptions {
    return this.options.maxVoxelBytes === undefined ? {} : { maxVoxelBytes: this.options.maxVoxelBytes }
  }

  /** What the report notes beside skips and repairs. */
  notes(): string[] {
    const spacing = this.spacingUnknown > 0 ? [`pixel spacing unknown in ${this.spacingUnknown} file(s): ${DEFAULT_PIXEL_SPACING_MM} mm assumed`] : []
    return [...spacing, ...this.maskNotes]
  }

  /** The labels the project gains and the placeholders it names (importLabels.ts). */
  labelChanges(): LabelChanges {
    return this.labelNames.changes()
  }

  async stageAll(staging: ImportStaging): Promise<StagedCase[]> {
    const staged: StagedCase[] = []
    for (const [index, planned] of this.plan.cases.entries()) {
      if (this.options.signal?.aborted) throw new VoxloopError('CANCELLED', `Import of ${this.plan.cases.length} cases cancelled`)
      // A time series imported with --4d time gives one case per time point, so progress counts
      // the planned cases handled (staged.length could pass the total).
      staged.push(...(await this.stageCase(planned, staging)))
      this.options.onProgress?.({ done: index + 1, total: this.plan.cases.length, caseId: planned.caseId })
    }
    return staged
  }

  private skip(files: (string | null)[], reason: string): StagedCase[] {
    for (const file of files) if (file) this.skipped.push({ file, reason })
    return []
  }

  private async stageCase(planned: PlannedCase, staging: ImportStaging): Promise<StagedCase[]> {
    if (this.plan.images2d) return this.stage2dCase(planned, this.plan.images2d, staging)
    const all = [...planned.imageFiles, planned.labelFile]
    const fourD = await this.fourthDimension(planned)
    if (fourD.kind === 'refused') return this.skip(all, fourD.reason)
    if (fourD.kind === 'time') return this.stageTimeSeries(planned, fourD.file, staging)
    if (this.takenIds.has(planned.caseId.toLowerCase())) {
      return this.skip(all, `case ${planned.caseId} already exists in the project`)
    }
    let image: Volume
    try {
      image = await readImage(planned.imageFiles, this.readOptions)
    } catch (error) {
      return this.skip(all, reasonOf(error))
    }
    const channelProblem = this.checkChannels(image.header, fourD.kind === 'unknown')
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
    return [{ record, stagedImage, stagedLabel, imageFile: planned.imageFiles.join(', '), labelFile: label ? planned.labelFile : null }]
  }

  /**
   * A 2D image (and its mask) as a one-slice case, re-encoded as NIfTI in the staging folder. A file
   * that cannot be decoded throws (read2dCase), which stops the import before anything is committed.
   */
  private async stage2dCase(planned: PlannedCase, images2d: Image2dPlanInfo, staging: ImportStaging): Promise<StagedCase[]> {
    const all = [...planned.imageFiles, planned.labelFile]
    if (this.takenIds.has(planned.caseId.toLowerCase())) return this.skip(all, `case ${planned.caseId} already exists in the project`)
    const read = await read2dCase(planned, images2d.classes, images2d.classFile)
    const { header } = read.image
    if (this.expectedChannels === null && header.channels === 3) {
      // A new project of colour pictures: its channels are the picture's, not "channel 0".
      const names = this.store.getManifest().channelNames
      this.expectedChannels = 3
      this.description = { channelNames: names.length === 3 ? names : ['red', 'green', 'blue'] }
    }
    const channelProblem = this.checkChannels(header)
    if (channelProblem) return this.skip(all, channelProblem)
    this.intensities.push(summarizeIntensities(read.image, planned.imageFiles[0] ?? planned.caseId))
    if (!read.spacingKnown) this.spacingUnknown++
    this.maskNotes.push(...read.notes)
    const stagedImage = staging.imagePath(planned.caseId)
    await staging.write(stagedImage, encodeImageNifti(read.image))
    const stagedLabel = read.label ? staging.labelPath(planned.caseId) : null
    if (read.label && stagedLabel) {
      await staging.write(stagedLabel, encodeLabelNifti(read.label, header))
      for (const labelId of countLabels(read.label).keys()) this.labelNames.noteValue(labelId)
    }
    this.takenIds.add(planned.caseId.toLowerCase())
    const record = {
      ...newCaseRecord(planned.caseId, header, {
        status: read.label ? (this.options.labeledStatus ?? 'done') : 'unlabeled',
        sourceFile: planned.imageFiles[0] ?? '',
        importedAt: new Date().toISOString(),
        labelVoxels: read.label ? countsToRecord(countLabels(read.label)) : null
      }),
      // nnU-Net names a case's mask `<case>.png` (labelsTr/), not after its first channel file `<case>_0000.png`.
      image2d: images2d.layout === 'nnunet' ? { ...read.source, file: nnunetMaskName(planned) } : read.source
    }
    return [{ record, stagedImage, stagedLabel, imageFile: planned.imageFiles.join(', '), labelFile: read.label ? planned.labelFile : null }]
  }

  /**
   * What dim[4] of the case's image holds, from its header alone (a refused time series is never
   * read in full): `options.fourD` when given, else fourthDimension.ts. Images stacked from
   * channel files are 3D each (stackChannels.ts), and an unreadable header is left to the full
   * read, which reports why.
   */
  private async fourthDimension(planned: PlannedCase): Promise<FourthDimensionPlan> {
    const [file, ...others] = planned.imageFiles
    if (file === undefined || others.length > 0 || this.options.fourD === 'channels') return { kind: 'plain' }
    let layout
    try {
      layout = await readNiftiLayout(file, this.readOptions)
    } catch {
      return { kind: 'plain' }
    }
    const points = fourthDimensionSize(layout.header)
    if (points <= 1) return { kind: 'plain' }
    if (this.options.fourD === 'time') return { kind: 'time', file }
    const descriptor = this.plan.descriptor
    const evidence = fourthDimensionOf(layout.header, layout.intentCode, descriptor?.modalityStated ? descriptor.channelNames : null)
    if (evidence.meaning === 'time') return { kind: 'refused', reason: timeSeriesRefusal(planned.caseId, points, evidence) }
    return { kind: evidence.meaning === 'channels' ? 'plain' : 'unknown' }
  }

  /**
   * `--4d time`: each time point of the image becomes case `<case>_t000`, … with the image's grid
   * and affine. The 4D file is read once and each time point is encoded from a view of it and
   * staged before the next, so only the file's voxels and one time point's encoding are held.
   */
  private async stageTimeSeries(planned: PlannedCase, file: string, staging: ImportStaging): Promise<StagedCase[]> {
    const all = [file, planned.labelFile]
    let image: Volume
    try {
      image = await readNifti(file, this.readOptions)
    } catch (error) {
      return this.skip(all, reasonOf(error))
    }
    const points = image.header.channels
    const header: VolumeHeader = { ...image.header, channels: 1 }
    const channelProblem = this.checkChannels(header)
    if (channelProblem) return this.skip(all, channelProblem)
    const labels = await this.readTimeSeriesLabels(planned, header, points)
    const staged: StagedCase[] = []
    for (let point = 0; point < points; point++) {
      const caseId = timePointCaseId(planned.caseId, point, points)
      const where = `time point ${point} of ${points}`
      if (!isValidCaseId(caseId)) {
        this.skipped.push({ file, reason: `${where}: ${caseId} is not a valid case id (longer than 128 characters); rename the file` })
        continue
      }
      if (this.takenIds.has(caseId.toLowerCase())) {
        this.skipped.push({ file, reason: `${where}: case ${caseId} already exists in the project` })
        continue
      }
      const volume = timePoint(image, point)
      this.intensities.push(summarizeIntensities(volume, `${file} (${where})`))
      const stagedImage = staging.imagePath(caseId)
      await staging.write(stagedImage, encodeImageNifti(volume))
      const label = labels?.[point] ?? null
      const stagedLabel = label ? staging.labelPath(caseId) : null
      if (label && stagedLabel) await staging.write(stagedLabel, encodeLabelNifti(label, header))
      this.takenIds.add(caseId.toLowerCase())
      const record = newCaseRecord(caseId, header, {
        status: label ? (this.options.labeledStatus ?? 'done') : 'unlabeled',
        sourceFile: file,
        importedAt: new Date().toISOString(),
        labelVoxels: label ? countsToRecord(countLabels(label)) : null
      })
      staged.push({ record, stagedImage, stagedLabel, imageFile: `${file} (${where})`, labelFile: label ? `${planned.labelFile} (${where})` : null })
    }
    return staged
  }

  /**
   * One label per time point, from a 4D label file with the same time points on the image's grid.
   * A 3D label is refused: which time point it labels is not known, and copying it to all would
   * make near-identical training cases. Null without a label or when it does not fit (reported; the
   * time points are imported without label).
   */
  private async readTimeSeriesLabels(planned: PlannedCase, header: VolumeHeader, points: number): Promise<LabelArray[] | null> {
    const file = planned.labelFile
    if (!file) return null
    const labels: LabelArray[] = []
    try {
      const volume = await readNifti(file, this.readOptions)
      const labelPoints = fourthDimensionSize(volume.header)
      if (labelPoints !== points) {
        throw new VoxloopError(
          'GRID_MISMATCH',
          `${file}: its image is a time series of ${points} time points, so its label must be 4D with one label volume per time point; this one has ${labelPoints === 1 ? 'a single 3D volume' : `${labelPoints} volumes`}`
        )
      }
      assertSameGrid(header, volume.header, file)
      const voxels = voxelCount(header)
      for (let point = 0; point < points; point++) {
        labels.push(labelArrayFromVoxels(volume.data.subarray(point * voxels, (point + 1) * voxels), header.dims, file))
      }
    } catch (error) {
      this.skipped.push({ file, reason: `${reasonOf(error)}; the time points were imported without label` })
      return null
    }
    const caret = await readCaretLabels(file, this.readOptions)
    if (caret) this.labelNames.addSource(file, caret, true)
    for (const label of labels) for (const labelId of countLabels(label).keys()) this.labelNames.noteValue(labelId)
    return labels
  }

  /**
   * Null when the image fits the project; else why not. Fixes the channel count on first use.
   * `fourDUnknown`: the image is 4D and nothing said what dim[4] holds, so a mismatch may mean it is time.
   */
  private checkChannels(header: VolumeHeader, fourDUnknown = false): string | null {
    if (this.expectedChannels === null) {
      this.expectedChannels = header.channels
      const manifest = this.store.getManifest()
      const channelNames = manifest.channelNames.length === header.channels ? manifest.channelNames : genericChannelNames(header.channels)
      this.description = { channelNames }
    }
    if (header.channels === this.expectedChannels) return null
    const hint = fourDUnknown ? '; if its 4th dimension is time, pass --4d time to import each time point as a case' : ''
    return `the image has ${header.channels} channel(s); the project's images have ${this.expectedChannels}${hint}`
  }

  /**
   * The label on the image's grid, or null (the problem is reported; the image is still imported).
   * The label file's Caret table, if any, joins the label sources: a table that disagrees with
   * another source throws, which stops the whole import.
   */
  private async readLabel(planned: PlannedCase, imageHeader: VolumeHeader): Promise<LabelArray | null> {
    if (!planned.labelFile) return null
    let label: LabelArray
    // A Slicer segmentation (.seg.nrrd) names its segments: they join the label sources.
    let segments: LabelDef[] = []
    try {
      let volume: LabelVolume
      if (NRRD_NAME.test(planned.labelFile)) {
        const segmentation = labelMapFromSegmentation(await readNrrd(planned.labelFile, this.readOptions), planned.labelFile)
        volume = labelVolumeFromVolume(segmentation.volume, planned.labelFile)
        segments = segmentation.labels
      } else {
        volume = await readLabelNifti(planned.labelFile, this.readOptions)
      }
      assertSameGrid(imageHeader, volume.header, planned.labelFile)
      label = volume.data
    } catch (error) {
      this.skipped.push({ file: planned.labelFile, reason: `${reasonOf(error)}; image imported without label` })
      return null
    }
    if (segments.length > 0) this.labelNames.addSource(planned.labelFile, segments, true)
    const caret = NRRD_NAME.test(planned.labelFile) ? null : await readCaretLabels(planned.labelFile, this.readOptions)
    if (caret) this.labelNames.addSource(planned.labelFile, caret, true)
    for (const labelId of countLabels(label).keys()) this.labelNames.noteValue(labelId)
    return label
  }
}

/** NRRD (3D Slicer's .nrrd, .nhdr) by name; everything else is read as NIfTI. */
const NRRD_NAME = /\.(nrrd|nhdr)$/i

async function readVolume(file: string, options: ReadNiftiOptions): Promise<Volume> {
  return NRRD_NAME.test(file) ? (await readNrrd(file, options)).volume : readNifti(file, options)
}

async function readImage(files: string[], options: ReadNiftiOptions): Promise<Volume> {
  if (files.length === 1 && files[0]) return readVolume(files[0], options)
  const channels: Volume[] = []
  for (const file of files) channels.push(await readVolume(file, options))
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
