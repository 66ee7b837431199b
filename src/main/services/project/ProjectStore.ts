import { mkdir, readdir, rm } from 'node:fs/promises'
import { stampReviewDiceRule } from '../../../shared/activeLearning/efficiencyCurve'
import { VoxloopError } from '../../../shared/errors'
import {
  CaseSplitSchema,
  LabelTableSchema,
  ModalitySchema,
  ProjectSettingsSchema,
  voxelsToMl,
  type AuditEntry,
  type CaseRecord,
  type DicomSource,
  type Image2dSource,
  type CaseSplit,
  type CaseStatus,
  type CaseSummary,
  type LabelDef,
  type Modality,
  type ModalitySource,
  type ProjectManifest,
  type ProjectSettings,
  type RecoveryReport,
  type ReviewInfo
} from '../../../shared/project'
import type { LabelArray, LabelVolume, Volume, VolumeHeader } from '../../../shared/volume'
import {
  assertSameGrid,
  encodeLabelNifti,
  readLabelNifti,
  readNifti,
  readNiftiHeader,
  writeLabelNifti
} from '../../../node/formats/nifti'
import { encodeImageNifti, writeImageNifti } from '../../../node/formats/nifti/writeImageNifti'
import { AuditLog, readAuditLog } from './audit'
import { CaseIndexWriter, readCaseIndex, writeCaseIndex } from './caseIndex'
import { CaseSession } from './CaseSession'
import { assignSplits } from './caseSplits'
import { newCaseRecord } from './caseRecord'
import { isErrno } from './fsUtil'
import { syncDirectory } from '../../../node/storage/durableWrite'
import { ImportStaging } from './importStaging'
import { labelHeaderFor, zeroLabelsFor } from './labelHeader'
import { encodeJournalRecord, isDiskFull, listJournalSegments, type LabelEdit } from './labelJournal'
import { clearLabels, countLabels, countsFromRecord, countsToRecord, diffLabels, validateEdit } from './labelOps'
import { newManifest, parseManifest, readManifest, writeManifest, type NewManifestOptions } from './manifest'
import { acquireProjectLock, type ProjectLock } from './projectLock'
import { PROJECT_DIRS, ProjectPaths, assertCaseId } from './projectPaths'
import { assertEmptyFolder, prepareFolders, renameNoClobber } from './projectFolder'
import {
  checkPixelSpacing,
  durableWriter,
  prepareSpacingRewrite,
  readSpacingChange,
  removeSpacingChange,
  SpacingRestoreError,
  writeRewrites,
  writeSpacingChange,
  type CaseGridFiles,
  type CaseRewrite,
  type FileWriter
} from './pixelSpacing'
import { reconcileCaseIndex } from './reconcileCases'
import { recoverJournals } from './recoverJournals'

export interface CreateProjectOptions extends NewManifestOptions {
  /** Clock, for tests. */
  now?: () => Date
}

export interface OpenProjectOptions {
  now?: () => Date
  /** Open even if the lock file names a live owner (e.g. a stale lock left on another host). */
  takeOverLock?: boolean
  /**
   * Open without writing anything to the folder. Also chosen by itself when the folder cannot be
   * written (a read-only mount, a colleague's share, no permission).
   */
  readOnly?: boolean
}

/** Errors that say the folder cannot be written at all (as opposed to a disk that is full). */
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM'])

function isNotWritable(error: unknown): boolean {
  return NOT_WRITABLE.has((error as NodeJS.ErrnoException | undefined)?.code ?? '')
}

export interface OpenedProjectStore {
  store: ProjectStore
  /** What the start-up found and repaired; the UI tells the user about recovered edits. */
  recovery: RecoveryReport
}

export interface LabelEditResult {
  caseId: string
  /** Voxels whose value actually changed (an edit may repaint voxels with their own value). */
  voxelsChanged: number
}

export interface ProjectInfoPatch {
  name?: string
  modality?: Modality
  /** Where a new `modality` came from; default 'user' (an import then keeps it). */
  modalitySource?: ModalitySource
  channelNames?: string[]
  settings?: ProjectSettings
}

/** A case whose files an import has written into a staging folder inside the project. */
export interface StagedCase {
  record: CaseRecord
  /** Absolute path of the staged images/<id>.nii.gz. */
  stagedImage: string
  /** Absolute path of the staged labels/<id>.nii.gz, or null. */
  stagedLabel: string | null
  /** For the audit trail: the files it came from. */
  imageFile: string
  labelFile: string | null
}

export interface ImportCommit {
  source: string
  cases: StagedCase[]
  /** Labels to add to the table (ids not yet in it). */
  labelsToAdd: LabelDef[]
  /** Labels already in the table that the import names (they were only "Label N"): replaced by id. */
  labelsToName?: LabelDef[]
  /** Applied only while the project has no cases (a new project takes the dataset's channel names). */
  describeEmptyProject?: { channelNames: string[] }
  /**
   * The modality the import chose (chooseModality.ts). The user's applies always; one from the data
   * only while the project has no cases and no modality set by the user.
   */
  modality?: { modality: Modality; source: ModalitySource }
  /** Files the import skipped, for the audit entry. */
  skipped?: number
  actor?: string
}

/** A case made in memory (the demo project, tests): written as .nii.gz and committed like an import. */
export interface AddCaseInput {
  id: string
  image: Volume
  labels?: LabelArray | null
  /** Default: 'done' with labels, 'unlabeled' without. */
  status?: CaseStatus
  /** Shown to the user as where the case came from. */
  sourceFile?: string
  actor?: string
}

export interface SavePredictionOptions {
  modelVersion: string
  /** The voxel uncertainty map (entropy, same grid) and the case score; written beside the labels. */
  uncertainty?: { map: Float32Array; score: number }
  tta?: boolean
  /** Change an 'unlabeled' case to 'predicted'. Default true. */
  markPredicted?: boolean
}

/**
 * The project folder: manifest, case index, images, labels (saved file + crash-safe journal of
 * unsaved edits), predictions and the audit log. One store per folder and process (a lock file
 * enforces it). No Electron here; the transports call it. Layout and crash-safety:
 * docs/DATASTORE.md.
 */
export class ProjectStore {
  private readonly sessions = new Map<string, CaseSession>()
  private readonly sessionLoads = new Map<string, Promise<CaseSession>>()
  private readonly imageHeaders = new Map<string, VolumeHeader>()
  private readonly caseQueues = new Map<string, Promise<unknown>>()
  private projectQueue: Promise<unknown> = Promise.resolve()
  private readonly indexWriter: CaseIndexWriter
  private disposed = false

  private constructor(
    readonly paths: ProjectPaths,
    private manifest: ProjectManifest,
    private readonly records: Map<string, CaseRecord>,
    private readonly predictions: Set<string>,
    private readonly auditLog: AuditLog,
    private readonly lock: ProjectLock,
    private readonly now: () => Date,
    private readonly isReadOnly = false
  ) {
    this.indexWriter = new CaseIndexWriter(() => writeCaseIndex(this.paths.caseIndex, this.records.values()))
  }

  /** Creates a project in `dir` (created if missing; must be empty). voxloop.json is written last. */
  static async create(dir: string, options: CreateProjectOptions): Promise<ProjectStore> {
    const now = options.now ?? (() => new Date())
    const manifest = newManifest(options, now())
    await mkdir(dir, { recursive: true })
    const paths = await ProjectPaths.forFolder(dir)
    await assertEmptyFolder(paths.root)
    const lock = await acquireProjectLock(paths.lock, paths.root)
    try {
      for (const name of PROJECT_DIRS) await mkdir(paths.dir(name), { recursive: true })
      await writeCaseIndex(paths.caseIndex, [])
      const audit = await AuditLog.open(paths.audit, now)
      await audit.append({ type: 'project-created', actor: 'user', name: manifest.name })
      await writeManifest(paths.manifest, manifest)
      await syncDirectory(paths.root)
      return new ProjectStore(paths, manifest, new Map(), new Set(), audit, lock, now)
    } catch (error) {
      await lock.release()
      throw error
    }
  }

  /**
   * Opens the project in `dir`: takes the lock, rebuilds or reconciles cases.json with images/,
   * replays unfinished journals into labels/ and reports what it did.
   */
  static async open(dir: string, options: OpenProjectOptions = {}): Promise<OpenedProjectStore> {
    const now = options.now ?? (() => new Date())
    const paths = await ProjectPaths.forFolder(dir)
    const manifest = await readManifest(paths.manifest)
    let lock: ProjectLock
    try {
      if (options.readOnly) return await ProjectStore.openReadOnly(paths, manifest, now)
      lock = await acquireProjectLock(paths.lock, paths.root, { force: options.takeOverLock ?? false })
    } catch (error) {
      if (!isNotWritable(error)) throw error
      return ProjectStore.openReadOnly(paths, manifest, now)
    }
    let audit: AuditLog | null = null
    try {
      await prepareFolders(paths)
      audit = await AuditLog.open(paths.audit, now)
      const store = new ProjectStore(paths, manifest, new Map(), new Set(), audit, lock, now)
      const recovery = await store.startUp()
      return { store, recovery }
    } catch (error) {
      await audit?.close().catch(() => undefined)
      await lock.release()
      throw error
    }
  }

  /**
   * A project whose folder cannot be written: no lock (nothing is written, so a writer elsewhere is
   * not disturbed), no folder repairs, no journal replay (its edits are reported, not applied).
   */
  private static async openReadOnly(paths: ProjectPaths, manifest: ProjectManifest, now: () => Date): Promise<OpenedProjectStore> {
    const store = new ProjectStore(paths, manifest, new Map(), new Set(), AuditLog.readOnly(now), { release: async () => undefined }, now, true)
    const recovery = await store.startUp()
    return { store, recovery }
  }

  get root(): string {
    return this.paths.root
  }

  /** True when the folder could not be written at open: viewing, predicting elsewhere and exporting work. */
  get readOnly(): boolean {
    return this.isReadOnly
  }

  getManifest(): ProjectManifest {
    return structuredClone(this.manifest)
  }

  listCases(): CaseSummary[] {
    return [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id)).map((record) => this.summarize(record))
  }

  getCase(caseId: string): CaseSummary {
    return this.summarize(this.requireCase(caseId))
  }

  /** The DICOM identifiers the case was imported with (cases.json), or null; not part of CaseSummary, which every list carries. */
  getDicomSource(caseId: string): DicomSource | null {
    const dicom = this.requireCase(caseId).dicom
    return dicom ? structuredClone(dicom) : null
  }

  /** Where a one-slice case imported from a 2D image came from (cases.json), or null; for the PNG mask export. */
  getImage2dSource(caseId: string): Image2dSource | null {
    const image2d = this.requireCase(caseId).image2d
    return image2d ? structuredClone(image2d) : null
  }

  hasCase(caseId: string): boolean {
    return this.findCaseInsensitive(caseId) !== null
  }

  async loadImageHeader(caseId: string): Promise<VolumeHeader> {
    this.requireCase(caseId)
    const cached = this.imageHeaders.get(caseId)
    if (cached) return cached
    const header = await readNiftiHeader(await this.paths.confine(this.paths.image(caseId)))
    this.imageHeaders.set(caseId, header)
    return header
  }

  async loadImage(caseId: string): Promise<Volume> {
    this.requireCase(caseId)
    return readNifti(await this.paths.confine(this.paths.image(caseId)))
  }

  /** The current label: the saved file plus acknowledged unsaved edits, or zeros on the image grid. */
  async loadLabel(caseId: string): Promise<LabelVolume> {
    this.requireCase(caseId)
    const header = await this.loadImageHeader(caseId)
    const session = this.sessions.get(caseId)
    const data = session ? session.working.slice() : await this.readSavedLabel(caseId, header)
    return { header: labelHeaderFor(header, data), data }
  }

  /**
   * Appends the edit to the case's journal and resolves once it is fsynced — the acknowledgement
   * that it survives a crash. Values are absolute; a later duplicate index wins.
   */
  async applyLabelEdit(caseId: string, edit: LabelEdit): Promise<LabelEditResult> {
    this.requireWritable()
    this.requireCase(caseId)
    // Re-check after every await: a discard or an idle save may retire the session meanwhile, and
    // from here to the append everything runs without yielding.
    let session: CaseSession
    do session = await this.session(caseId)
    while (this.sessions.get(caseId) !== session)
    validateEdit(edit, session.working.length, this.labelIds(), caseId)
    if (edit.indices.length === 0) return { caseId, voxelsChanged: 0 }
    const copy: LabelEdit = { indices: edit.indices.slice(), values: edit.values.slice() }
    const atMs = this.now().getTime()
    let voxelsChanged = 0
    session.unsavedEdits += 1
    try {
      await session.sealedGenerationsDurable()
      await session.currentAppender().append(encodeJournalRecord(copy, atMs), () => {
        voxelsChanged = session.applyDurableEdit(copy, atMs)
      })
    } catch (error) {
      session.unsavedEdits = Math.max(0, session.unsavedEdits - 1)
      throw error
    }
    return { caseId, voxelsChanged }
  }

  /** Folds the journal into labels/<id>.nii.gz (atomic), then deletes the folded journal files. */
  async saveLabel(caseId: string): Promise<CaseSummary> {
    this.requireWritable()
    this.requireCase(caseId)
    return this.serial(caseId, () =>
      this.foldLocked(caseId, 'user').catch((error: unknown) => {
        if (!isDiskFull(error)) throw error
        throw new VoxloopError(
          'DISK_FULL',
          `Disk full: the label of ${caseId} was not saved; every acknowledged edit is safe in its journal and is saved when space is free`,
          { cause: error }
        )
      })
    )
  }

  /** Drops unsaved edits: the label returns to the saved file. */
  async discardUnsavedEdits(caseId: string): Promise<CaseSummary> {
    this.requireWritable()
    this.requireCase(caseId)
    return this.serial(caseId, () => this.discardLocked(caseId))
  }

  async setStatus(caseId: string, status: CaseStatus, actor = 'user'): Promise<CaseSummary> {
    this.requireWritable()
    const record = this.requireCase(caseId)
    const from = record.status
    if (from === status) return this.summarize(record)
    record.status = status
    try {
      await this.indexWriter.persist()
    } catch (error) {
      record.status = from
      throw error
    }
    await this.auditLog.append({ type: 'status', actor, caseId, from, to: status })
    return this.summarize(record)
  }

  /**
   * Gives each of `caseIds` that has no split yet one by the project's rule (caseSplits.ts) and
   * records the new ones (cases.json, one audit entry); a case that has a split keeps it. Answers
   * every named case's split. The training service calls it for the curated cases of a default run.
   */
  async assignSplits(caseIds: readonly string[], actor = 'training'): Promise<Map<string, CaseSplit>> {
    this.requireWritable()
    for (const caseId of caseIds) this.requireCase(caseId)
    return this.exclusive(async () => {
      const fresh = assignSplits([...this.records.values()], caseIds)
      if (fresh.size > 0) {
        for (const [caseId, split] of fresh) this.requireCase(caseId).split = split
        try {
          await this.indexWriter.persist()
        } catch (error) {
          for (const caseId of fresh.keys()) this.requireCase(caseId).split = null
          throw error
        }
        await this.auditLog.append({ type: 'split', actor, cases: [...fresh].map(([caseId, to]) => ({ caseId, from: null, to })) })
      }
      return new Map(caseIds.map((caseId) => [caseId, this.requireCase(caseId).split as CaseSplit]))
    })
  }

  /** The user's choice of a case's split (any case, curated or not); recorded in the audit log. */
  async setSplit(caseId: string, split: CaseSplit, actor = 'user'): Promise<CaseSummary> {
    this.requireWritable()
    const parsed = CaseSplitSchema.safeParse(split)
    if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `Split of ${caseId}: "${String(split)}" is not one of train, validation, test`)
    const record = this.requireCase(caseId)
    return this.exclusive(async () => {
      const from = record.split
      if (from === parsed.data) return this.summarize(record)
      record.split = parsed.data
      try {
        await this.indexWriter.persist()
      } catch (error) {
        record.split = from
        throw error
      }
      await this.auditLog.append({ type: 'split', actor, cases: [{ caseId, from, to: parsed.data }] })
      return this.summarize(record)
    })
  }

  /**
   * Replaces the label table. A removed label id is cleared to background in every saved label
   * (unsaved edits are folded first). Predictions are model output and keep their values.
   */
  async updateLabelTable(labels: LabelDef[]): Promise<ProjectManifest> {
    this.requireWritable()
    const parsed = LabelTableSchema.safeParse(labels)
    if (!parsed.success) {
      throw new VoxloopError('INVALID_ARGUMENT', `Label table: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
    }
    return this.exclusive(() => this.replaceLabelTable(parsed.data))
  }

  async updateProjectInfo(patch: ProjectInfoPatch): Promise<ProjectManifest> {
    this.requireWritable()
    return this.exclusive(async () => {
      const next = parseManifest(
        {
          ...this.manifest,
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.modality === undefined ? {} : { modality: ModalitySchema.parse(patch.modality), modalitySource: patch.modalitySource ?? 'user' }),
          ...(patch.channelNames === undefined ? {} : { channelNames: patch.channelNames }),
          ...(patch.settings === undefined ? {} : { settings: ProjectSettingsSchema.parse(patch.settings) })
        },
        'Project info'
      )
      if (patch.channelNames && patch.channelNames.length !== this.manifest.channelNames.length && this.records.size > 0) {
        throw new VoxloopError('INVALID_ARGUMENT', 'The number of channels cannot change once the project has cases')
      }
      await writeManifest(this.paths.manifest, next)
      this.manifest = next
      return this.getManifest()
    })
  }

  /**
   * Moves staged case files into images/ and labels/, then records them (manifest, cases.json,
   * audit). Cases only ever add files; on failure every file moved in is removed again and the
   * manifest and index are restored, so the project is as it was. Used by importDataset and addCase.
   */
  async commitImport(commit: ImportCommit): Promise<CaseSummary[]> {
    this.requireWritable()
    return this.exclusive(() => this.commitLocked(commit))
  }

  async addCase(input: AddCaseInput): Promise<CaseSummary> {
    this.requireWritable()
    this.assertNewCaseId(input.id)
    this.assertFitsProject(input)
    const staging = await ImportStaging.create(this.paths)
    try {
      const stagedImage = staging.imagePath(input.id)
      await staging.write(stagedImage, encodeImageNifti(input.image))
      const labels = input.labels ?? null
      const stagedLabel = labels ? staging.labelPath(input.id) : null
      if (labels && stagedLabel) await staging.write(stagedLabel, encodeLabelNifti(labels, input.image.header))
      const sourceFile = input.sourceFile ?? 'generated'
      const [summary] = await this.commitImport({
        source: sourceFile,
        actor: input.actor ?? 'user',
        cases: [
          {
            record: newCaseRecord(input.id, input.image.header, {
              status: input.status ?? (labels ? 'done' : 'unlabeled'),
              sourceFile,
              importedAt: this.now().toISOString(),
              labelVoxels: labels ? countsToRecord(countLabels(labels)) : null
            }),
            stagedImage,
            stagedLabel,
            imageFile: sourceFile,
            labelFile: labels ? sourceFile : null
          }
        ],
        labelsToAdd: []
      })
      if (!summary) throw new VoxloopError('INTERNAL', `Case ${input.id} was not added`)
      return summary
    } finally {
      await staging.dispose()
    }
  }

  /** Writes a model's label prediction for a case (predictions/<id>.nii.gz, on the image grid). */
  async savePrediction(caseId: string, labels: LabelArray, options: SavePredictionOptions): Promise<CaseSummary> {
    this.requireWritable()
    const record = this.requireCase(caseId)
    const header = await this.loadImageHeader(caseId)
    await writeLabelNifti(await this.paths.confine(this.paths.prediction(caseId)), labels, header)
    if (options.uncertainty) {
      await writeImageNifti(await this.paths.confine(this.paths.uncertainty(caseId)), {
        header: { ...header, channels: 1 },
        data: options.uncertainty.map
      })
    }
    this.predictions.add(caseId)
    record.prediction = {
      modelVersion: options.modelVersion,
      uncertainty: options.uncertainty?.score ?? 0,
      predictedAt: this.now().toISOString(),
      tta: options.tta ?? false
    }
    await this.indexWriter.persist()
    await this.auditLog.append({ type: 'prediction', actor: `model:${options.modelVersion}`, caseId, modelVersion: options.modelVersion })
    if ((options.markPredicted ?? true) && record.status === 'unlabeled') {
      return this.setStatus(caseId, 'predicted', `model:${options.modelVersion}`)
    }
    return this.summarize(record)
  }

  async loadPrediction(caseId: string): Promise<LabelVolume | null> {
    this.requireCase(caseId)
    if (!this.predictions.has(caseId)) return null
    const file = await this.paths.confine(this.paths.prediction(caseId))
    const prediction = await readLabelNifti(file)
    assertSameGrid(await this.loadImageHeader(caseId), prediction.header, file)
    return prediction
  }

  /** The voxel uncertainty map written with the last prediction, or null. */
  async loadUncertainty(caseId: string): Promise<Float32Array | null> {
    this.requireCase(caseId)
    if (!this.predictions.has(caseId)) return null
    const file = await this.paths.confine(this.paths.uncertainty(caseId))
    const volume = await readNifti(file).catch((error: unknown) => {
      if (error instanceof VoxloopError && error.code === 'NOT_FOUND') return null
      throw error
    })
    if (!volume) return null
    assertSameGrid(await this.loadImageHeader(caseId), volume.header, file)
    return volume.data instanceof Float32Array ? volume.data : Float32Array.from(volume.data)
  }

  /** Records the review of a corrected prediction (correction effort, Dice of the proposal). */
  async recordReview(caseId: string, review: ReviewInfo): Promise<CaseSummary> {
    this.requireWritable()
    const record = this.requireCase(caseId)
    // Stamped here, where it is stored: a record is marked comparable only when its Dice passes the check.
    record.review = stampReviewDiceRule(review)
    await this.indexWriter.persist()
    return this.summarize(record)
  }

  /**
   * Sets the pixel spacing [x, y] mm of one-slice cases imported from 2D images: `caseIds`, or
   * every such case when none are named. Their image, saved label, prediction and uncertainty
   * headers are rewritten (pixelSpacing.ts: voxels unchanged, all or nothing, completed at the
   * next open after a crash). Refused, naming the cases and changing nothing, when a case is not a
   * one-slice 2D case or has unsaved label edits: saving those for the user would write a label
   * they may mean to discard, so they save or discard first. `write` is the durable writer
   * (fault-injection tests pass one that fails). Answers the changed cases.
   */
  async setPixelSpacing(spacingMm: readonly number[], caseIds?: readonly string[], write: FileWriter = durableWriter): Promise<CaseSummary[]> {
    this.requireWritable()
    const spacing = checkPixelSpacing(spacingMm)
    const targets = this.spacingTargets(caseIds)
    return this.exclusive(() => this.serialAll(targets, () => this.setPixelSpacingLocked(targets, spacing, write)))
  }

  /** Appends an entry to audit.jsonl (e.g. a model version from the training service). */
  async appendAudit(entry: Parameters<AuditLog['append']>[0]): Promise<AuditEntry> {
    this.requireWritable()
    return this.auditLog.append(entry)
  }

  readAudit(): Promise<AuditEntry[]> {
    return readAuditLog(this.paths.audit)
  }

  /** Waits until every acknowledged write is done (journal appends, index writes). */
  async flush(): Promise<void> {
    for (const session of this.sessions.values()) await session.appender?.drain()
    await this.indexWriter.idle()
  }

  /**
   * Finishes pending writes and releases the folder. Unsaved edits stay in the journal and are
   * replayed (and reported) at the next open.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.projectQueue.catch(() => undefined)
    await Promise.all([...this.caseQueues.values()].map((queue) => queue.catch(() => undefined)))
    for (const session of this.sessions.values()) await session.close().catch(() => undefined)
    await this.indexWriter.idle()
    await this.auditLog.close()
    await this.lock.release()
  }

  // ---- start-up ------------------------------------------------------------------------------

  private async startUp(): Promise<RecoveryReport> {
    const index = await readCaseIndex(this.paths.caseIndex)
    const reconciled = await reconcileCaseIndex({
      paths: this.paths,
      records: index.records,
      statusHistory: () => readAuditLog(this.paths.audit),
      describeLabel: (caseId, header) => this.readLabelFileCounts(caseId, header),
      readImageHeader: (caseId) => this.loadImageHeaderUnchecked(caseId),
      now: this.now
    })
    for (const record of reconciled.records) this.records.set(record.id, record)
    await this.scanPredictions()
    const spacing = await this.completeSpacingChange()
    reconciled.problems.push(...spacing.problems)
    if (this.isReadOnly) return this.readOnlyStartUp(index.records === null, reconciled)
    const journals = await recoverJournals({
      listing: await listJournalSegments(this.paths.dir('journal')),
      paths: this.paths,
      hasCase: (caseId) => this.records.has(caseId),
      loadBase: async (caseId) => {
        const header = await this.loadImageHeader(caseId)
        return { header, labels: await this.readSavedLabel(caseId, header) }
      },
      saveRecovered: (caseId, labels, header, lastEditAtMs) => this.writeRecoveredLabel(caseId, labels, header, lastEditAtMs),
      audit: this.auditLog
    })
    if (reconciled.changed || spacing.changed || journals.recovered.length > 0) await this.indexWriter.persist()
    return {
      recovered: journals.recovered,
      problems: [...reconciled.problems, ...journals.problems],
      adoptedCases: reconciled.adopted,
      missingImages: reconciled.missing,
      caseIndexRebuilt: index.records === null
    }
  }

  /** What a read-only open reports: the same checks, but journals are listed instead of replayed. */
  private async readOnlyStartUp(
    caseIndexRebuilt: boolean,
    reconciled: Awaited<ReturnType<typeof reconcileCaseIndex>>
  ): Promise<RecoveryReport> {
    const listing = await listJournalSegments(this.paths.dir('journal'))
    const problems = [...reconciled.problems]
    for (const [caseId, generations] of listing.segments) {
      problems.push({
        file: `journal/${caseId}`,
        reason: `${generations.length} journal file(s) of unsaved edits were not replayed because the project is open read-only; open it writable to recover them`
      })
    }
    return { recovered: [], problems, adoptedCases: reconciled.adopted, missingImages: reconciled.missing, caseIndexRebuilt }
  }

  private async scanPredictions(): Promise<void> {
    const names = await readdir(this.paths.dir('predictions')).catch((error: unknown) => {
      // A read-only project may never have had predictions/ created.
      if (this.isReadOnly && isErrno(error, 'ENOENT')) return [] as string[]
      throw error
    })
    for (const name of names) {
      const match = /^(.+)\.nii\.gz$/.exec(name)
      const caseId = match?.[1]
      if (caseId && !caseId.endsWith('.uncertainty') && this.records.has(caseId)) this.predictions.add(caseId)
    }
  }

  private async loadImageHeaderUnchecked(caseId: string): Promise<VolumeHeader> {
    return readNiftiHeader(await this.paths.confine(this.paths.image(caseId)))
  }

  private async readLabelFileCounts(caseId: string, header: VolumeHeader): Promise<Record<string, number> | null> {
    const file = await this.paths.confine(this.paths.label(caseId))
    try {
      const label = await readLabelNifti(file)
      assertSameGrid(header, label.header, file)
      return countsToRecord(countLabels(label.data))
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null
      throw error
    }
  }

  private async writeRecoveredLabel(
    caseId: string,
    labels: LabelArray,
    header: VolumeHeader,
    lastEditAtMs: number | null
  ): Promise<void> {
    await this.writeLabelFile(caseId, labels, header)
    const record = this.requireCase(caseId)
    record.hasLabel = true
    record.labelVoxels = countsToRecord(countLabels(labels))
    if (lastEditAtMs !== null) record.lastEditedAt = new Date(lastEditAtMs).toISOString()
  }

  // ---- labels ---------------------------------------------------------------------------------

  private async readSavedLabel(caseId: string, header: VolumeHeader): Promise<LabelArray> {
    const record = this.requireCase(caseId)
    if (!record.hasLabel) return zeroLabelsFor(header, this.needsWideLabels())
    const file = await this.paths.confine(this.paths.label(caseId))
    const label = await readLabelNifti(file)
    assertSameGrid(header, label.header, file)
    return label.data
  }

  private async writeLabelFile(caseId: string, labels: LabelArray, header: VolumeHeader): Promise<void> {
    await writeLabelNifti(await this.paths.confine(this.paths.label(caseId)), labels, header)
  }

  private session(caseId: string): Promise<CaseSession> {
    const existing = this.sessions.get(caseId)
    if (existing) return Promise.resolve(existing)
    let loading = this.sessionLoads.get(caseId)
    if (!loading) {
      loading = this.serial(caseId, async () => {
        const session = this.sessions.get(caseId) ?? (await this.loadSession(caseId))
        this.sessions.set(caseId, session)
        return session
      }).finally(() => this.sessionLoads.delete(caseId))
      this.sessionLoads.set(caseId, loading)
    }
    return loading
  }

  private async loadSession(caseId: string): Promise<CaseSession> {
    const header = await this.loadImageHeader(caseId)
    const base = await this.readSavedLabel(caseId, header)
    const listing = await listJournalSegments(this.paths.dir('journal'))
    const generations = listing.segments.get(caseId) ?? []
    const nextGeneration = (generations[generations.length - 1] ?? 0) + 1
    return new CaseSession(caseId, header, base, nextGeneration, (generation) =>
      this.paths.journalSegment(caseId, generation)
    )
  }

  /** The cases a spacing change applies to; refuses, naming them, cases that are not one-slice 2D cases. */
  private spacingTargets(caseIds: readonly string[] | undefined): string[] {
    const is2d = (record: CaseRecord): boolean => record.image2d !== undefined && record.dims[2] === 1
    if (caseIds === undefined) {
      const all = [...this.records.values()].filter(is2d).map((record) => record.id).sort()
      if (all.length === 0) throw new VoxloopError('INVALID_ARGUMENT', `project ${this.manifest.name} has no case imported from a 2D image, whose pixel spacing could be set`)
      return all
    }
    const refused = caseIds.map((caseId) => this.requireCase(caseId)).filter((record) => !is2d(record))
    if (refused.length > 0) {
      const named = refused.map((record) => `${record.id} (${record.dims[2] === 1 ? 'not imported from a 2D image' : `${record.dims[2]} slices`})`)
      throw new VoxloopError(
        'INVALID_ARGUMENT',
        `pixel spacing is set only for one-slice cases imported from 2D images (PNG, JPEG, TIFF); refused: ${named.join(', ')}; nothing was changed`
      )
    }
    return [...new Set(caseIds)]
  }

  /** Runs `task` once every case of `caseIds` is free of earlier case tasks, holding them all until it ends. */
  private serialAll<T>(caseIds: readonly string[], task: () => Promise<T>): Promise<T> {
    const [first, ...rest] = caseIds
    return first === undefined ? task() : this.serial(first, () => this.serialAll(rest, task))
  }

  private gridFiles(caseId: string): CaseGridFiles {
    const record = this.requireCase(caseId)
    const hasPrediction = this.predictions.has(caseId)
    return {
      caseId,
      image: this.paths.image(caseId),
      label: record.hasLabel ? this.paths.label(caseId) : null,
      prediction: hasPrediction ? this.paths.prediction(caseId) : null,
      uncertainty: hasPrediction ? this.paths.uncertainty(caseId) : null
    }
  }

  /** The confined paths of a case's grid files (symlinks out of the project refused before any read). */
  private async confinedGridFiles(caseId: string): Promise<CaseGridFiles> {
    const files = this.gridFiles(caseId)
    const confine = async (file: string | null): Promise<string | null> => (file === null ? null : this.paths.confine(file))
    return {
      caseId,
      image: await this.paths.confine(files.image),
      label: await confine(files.label),
      prediction: await confine(files.prediction),
      uncertainty: await confine(files.uncertainty)
    }
  }

  /** Call only inside `exclusive` and `serialAll(caseIds)`. */
  private async setPixelSpacingLocked(caseIds: readonly string[], spacing: [number, number], write: FileWriter): Promise<CaseSummary[]> {
    const unsaved = caseIds.filter((caseId) => (this.sessions.get(caseId)?.unsavedEdits ?? 0) > 0)
    if (unsaved.length > 0) {
      throw new VoxloopError(
        'BUSY',
        `case(s) ${unsaved.join(', ')} have unsaved label edits: save or discard them, then set the pixel spacing; nothing was changed`
      )
    }
    // An idle session would save later edits on the old header: drop it (synchronously after the
    // check, so no edit slips in); the next edit waits for this task (serial) and loads the new one.
    const idle = caseIds.flatMap((caseId) => this.sessions.get(caseId) ?? [])
    for (const session of idle) this.sessions.delete(session.caseId)
    for (const session of idle) await session.close()
    const rewrites: CaseRewrite[] = []
    for (const caseId of caseIds) rewrites.push(await prepareSpacingRewrite(await this.confinedGridFiles(caseId), spacing))
    // NIfTI keeps spacing as float32: compare what the header would hold.
    const changed = rewrites.filter((rewrite) => rewrite.from[0] !== Math.fround(spacing[0]) || rewrite.from[1] !== Math.fround(spacing[1]))
    if (changed.length === 0) return caseIds.map((caseId) => this.getCase(caseId))
    const marker = this.paths.spacingChange
    await writeSpacingChange(marker, { spacingMm: spacing, caseIds: changed.map((rewrite) => rewrite.caseId) }, write)
    try {
      await writeRewrites(
        changed.flatMap((rewrite) => rewrite.files),
        write
      )
    } catch (error) {
      // Put back (writeRewrites): nothing changed, so the record goes. Not put back: it stays for the next open.
      if (!(error instanceof SpacingRestoreError)) await removeSpacingChange(marker)
      throw error
    }
    this.recordSpacing(changed)
    await this.indexWriter.persist()
    await removeSpacingChange(marker)
    await this.auditLog.append({
      type: 'pixel-spacing',
      actor: 'user',
      cases: changed.map((rewrite) => ({ caseId: rewrite.caseId, from: rewrite.from })),
      spacingMm: spacing
    })
    return caseIds.map((caseId) => this.getCase(caseId))
  }

  private recordSpacing(rewrites: readonly CaseRewrite[]): void {
    for (const rewrite of rewrites) {
      const record = this.requireCase(rewrite.caseId)
      // The header's (float32) values, as the import records them (newCaseRecord).
      record.spacing = [rewrite.header.spacing[0], rewrite.header.spacing[1], record.spacing[2]]
      this.imageHeaders.set(rewrite.caseId, rewrite.header)
    }
  }

  /**
   * At open: completes a pixel spacing change a crash interrupted (spacing-change.json), before the
   * journals are replayed on the labels. Rewriting files that already have the new spacing is a
   * no-op, so every listed case is rewritten. Reports what it did, or what it could not do.
   */
  private async completeSpacingChange(): Promise<{ problems: RecoveryReport['problems']; changed: boolean }> {
    const marker = this.paths.spacingChange
    const name = 'spacing-change.json'
    const change = await readSpacingChange(marker).catch((error: unknown) => {
      // The record is written atomically, so this is damage from outside: reported, and the open goes on.
      if (error instanceof VoxloopError && error.code === 'PROJECT_CORRUPT') return error
      throw error
    })
    if (change instanceof VoxloopError) return { problems: [{ file: name, reason: change.message }], changed: false }
    if (!change) return { problems: [], changed: false }
    if (this.isReadOnly) {
      return { problems: [{ file: name, reason: 'an interrupted pixel spacing change was not completed because the project is open read-only; open it writable' }], changed: false }
    }
    const problems: RecoveryReport['problems'] = []
    const done: CaseRewrite[] = []
    for (const caseId of change.caseIds.filter((id) => this.records.has(id))) {
      try {
        const rewrite = await prepareSpacingRewrite(await this.confinedGridFiles(caseId), change.spacingMm)
        await writeRewrites(rewrite.files, durableWriter)
        done.push(rewrite)
      } catch (error) {
        problems.push({ file: name, reason: `case ${caseId}: the interrupted pixel spacing change could not be completed: ${(error as Error).message}` })
      }
    }
    this.recordSpacing(done)
    const [x, y] = change.spacingMm
    problems.push({ file: name, reason: `an interrupted pixel spacing change to ${x} × ${y} mm was completed for ${done.length} case(s)` })
    // Kept while a case could not be completed, so the next open tries again.
    if (done.length === change.caseIds.filter((id) => this.records.has(id)).length) await removeSpacingChange(marker)
    return { problems, changed: done.length > 0 }
  }

  /** Call only inside `serial(caseId)`. */
  private async foldLocked(caseId: string, actor: string): Promise<CaseSummary> {
    const session = this.sessions.get(caseId)
    if (!session) return this.getCase(caseId)
    if (session.unsavedEdits === 0) {
      this.retireIfIdle(session)
      return this.getCase(caseId)
    }
    const { sealed, sealedGeneration, edits } = session.rotate()
    await sealed?.drain()
    const snapshot = session.working.slice()
    const diff = diffLabels(session.base, snapshot)
    await this.writeLabelFile(caseId, snapshot, session.imageHeader)
    session.base = snapshot
    session.unsavedEdits = Math.max(0, session.unsavedEdits - edits)
    const record = this.requireCase(caseId)
    record.hasLabel = true
    record.labelVoxels = countsToRecord(countLabels(snapshot))
    if (session.lastEditAtMs !== null) record.lastEditedAt = new Date(session.lastEditAtMs).toISOString()
    await this.indexWriter.persist()
    await sealed?.close()
    await this.removeSegments(caseId, sealedGeneration)
    await this.auditLog.append({ type: 'label-save', actor, caseId, edits, voxelsChanged: diff.voxelsChanged, changes: diff.changes })
    this.retireIfIdle(session)
    return this.getCase(caseId)
  }

  /** Call only inside `serial(caseId)`. */
  private async discardLocked(caseId: string): Promise<CaseSummary> {
    const session = this.sessions.get(caseId)
    if (!session) return this.getCase(caseId)
    this.sessions.delete(caseId)
    const edits = session.unsavedEdits
    await session.close()
    await this.removeSegments(caseId, session.generation)
    if (edits > 0) await this.auditLog.append({ type: 'label-discard', actor: 'user', caseId, edits })
    return this.getCase(caseId)
  }

  /** Drops a session with nothing unsaved so its arrays can be collected. */
  private retireIfIdle(session: CaseSession): void {
    if (session.unsavedEdits === 0 && session.appender === null && this.sessions.get(session.caseId) === session) {
      this.sessions.delete(session.caseId)
    }
  }

  /**
   * Deletes journal generations ≤ `upTo`, oldest first: they are already folded into the saved
   * label, and if a crash interrupts, what remains is a suffix whose replay is harmless.
   */
  private async removeSegments(caseId: string, upTo: number): Promise<void> {
    const listing = await listJournalSegments(this.paths.dir('journal'))
    const generations = (listing.segments.get(caseId) ?? []).filter((generation) => generation <= upTo)
    // Oldest first, so a crash part-way leaves only a suffix of the journal (see recoverJournals).
    for (const generation of generations.sort((a, b) => a - b)) {
      await rm(this.paths.journalSegment(caseId, generation), { force: true })
    }
  }

  private async replaceLabelTable(labels: LabelDef[]): Promise<ProjectManifest> {
    const previous = this.manifest
    const kept = new Set(labels.map((label) => label.id))
    const removed = new Set(previous.labels.map((label) => label.id).filter((id) => !kept.has(id)))
    const next = { ...previous, labels }
    // Switch first so that no new edit can paint a label being removed.
    this.manifest = next
    const voxelsCleared: Record<string, number> = {}
    try {
      for (const record of this.records.values()) {
        if (!this.caseUsesAny(record, removed)) continue
        const cleared = await this.serial(record.id, () => this.clearLabelsLocked(record.id, removed))
        if (cleared > 0) voxelsCleared[record.id] = cleared
      }
      await this.indexWriter.persist()
      await writeManifest(this.paths.manifest, next)
    } catch (error) {
      this.manifest = previous
      throw error
    }
    await this.auditLog.append({ type: 'label-table', actor: 'user', labels, removedIds: [...removed], voxelsCleared })
    return this.getManifest()
  }

  private caseUsesAny(record: CaseRecord, labelIds: ReadonlySet<number>): boolean {
    const counts = this.sessions.get(record.id)?.counts ?? countsFromRecord(record.labelVoxels)
    return [...labelIds].some((labelId) => (counts.get(labelId) ?? 0) > 0)
  }

  /** Folds the journal, then clears `removed` labels in the saved file. Call inside `serial`. */
  private async clearLabelsLocked(caseId: string, removed: ReadonlySet<number>): Promise<number> {
    await this.foldLocked(caseId, 'user')
    const record = this.requireCase(caseId)
    const session = this.sessions.get(caseId)
    if (!record.hasLabel) return 0
    const header = await this.loadImageHeader(caseId)
    const labels = session ? session.base : await this.readSavedLabel(caseId, header)
    const cleared = clearLabels(labels, removed)
    if (session) {
      clearLabels(session.working, removed)
      session.recount()
    }
    if (cleared === 0) return 0
    await this.writeLabelFile(caseId, labels, header)
    record.labelVoxels = countsToRecord(countLabels(labels))
    return cleared
  }

  // ---- import ---------------------------------------------------------------------------------

  private async commitLocked(commit: ImportCommit): Promise<CaseSummary[]> {
    for (const staged of commit.cases) this.assertNewCaseId(staged.record.id)
    const previousManifest = this.manifest
    const moved: string[] = []
    let recordsAdded = false
    try {
      for (const staged of commit.cases) await this.moveStagedCase(staged, moved)
      await syncDirectory(this.paths.dir('images'))
      await syncDirectory(this.paths.dir('labels'))
      const manifest = this.manifestAfterImport(commit)
      if (manifest !== previousManifest) {
        await writeManifest(this.paths.manifest, manifest)
        this.manifest = manifest
      }
      for (const staged of commit.cases) this.records.set(staged.record.id, structuredClone(staged.record))
      recordsAdded = true
      await this.indexWriter.persist()
    } catch (error) {
      await this.rollBackImport(commit, moved, previousManifest, recordsAdded)
      throw error
    }
    await this.auditLog.append({
      type: 'import',
      actor: commit.actor ?? 'import',
      source: commit.source,
      cases: commit.cases.map((staged) => ({
        caseId: staged.record.id,
        imageFile: staged.imageFile,
        labelFile: staged.labelFile
      })),
      skipped: commit.skipped ?? 0
    })
    return commit.cases.map((staged) => this.getCase(staged.record.id))
  }

  private async moveStagedCase(staged: StagedCase, moved: string[]): Promise<void> {
    const image = await this.paths.confine(this.paths.image(staged.record.id))
    await renameNoClobber(staged.stagedImage, image)
    moved.push(image)
    if (staged.stagedLabel) {
      const label = await this.paths.confine(this.paths.label(staged.record.id))
      await renameNoClobber(staged.stagedLabel, label)
      moved.push(label)
    }
  }

  private manifestAfterImport(commit: ImportCommit): ProjectManifest {
    const known = new Set(this.manifest.labels.map((label) => label.id))
    const added = commit.labelsToAdd.filter((label) => !known.has(label.id))
    const renamed = new Map((commit.labelsToName ?? []).filter((label) => known.has(label.id)).map((label) => [label.id, label]))
    const describe = this.records.size === 0 ? commit.describeEmptyProject : undefined
    const chosen = commit.modality
    const modality =
      chosen && (chosen.source === 'user' || (this.records.size === 0 && this.manifest.modalitySource !== 'user'))
        ? { modality: chosen.modality, modalitySource: chosen.source }
        : undefined
    if (added.length === 0 && renamed.size === 0 && !describe && !modality) return this.manifest
    return parseManifest(
      {
        ...this.manifest,
        ...(describe ?? {}),
        ...(modality ?? {}),
        labels: [...this.manifest.labels.map((label) => renamed.get(label.id) ?? label), ...added].sort((a, b) => a.id - b.id)
      },
      'Manifest after import'
    )
  }

  private async rollBackImport(
    commit: ImportCommit,
    moved: string[],
    previousManifest: ProjectManifest,
    recordsAdded: boolean
  ): Promise<void> {
    for (const file of moved) await rm(file, { force: true }).catch(() => undefined)
    if (this.manifest !== previousManifest) {
      this.manifest = previousManifest
      await writeManifest(this.paths.manifest, previousManifest).catch(() => undefined)
    }
    if (!recordsAdded) return
    for (const staged of commit.cases) this.records.delete(staged.record.id)
    await this.indexWriter.persist().catch(() => undefined)
  }

  private assertNewCaseId(caseId: string): void {
    assertCaseId(caseId)
    const existing = this.findCaseInsensitive(caseId)
    if (existing !== null) {
      throw new VoxloopError('ALREADY_EXISTS', `Case ${caseId} already exists in the project (as ${existing})`)
    }
  }

  private assertFitsProject(input: AddCaseInput): void {
    const { header, data } = input.image
    const where = `Case ${input.id}`
    if (header.channels !== this.manifest.channelNames.length) {
      throw new VoxloopError(
        'INVALID_ARGUMENT',
        `${where}: the image has ${header.channels} channel(s) but the project has ${this.manifest.channelNames.length}`
      )
    }
    if (input.labels) {
      const voxels = header.dims[0] * header.dims[1] * header.dims[2]
      if (data.length !== voxels * header.channels || input.labels.length !== voxels) {
        throw new VoxloopError('INVALID_ARGUMENT', `${where}: image and label sizes do not match the grid ${header.dims.join('x')}`)
      }
      const allowed = this.labelIds()
      for (const labelId of countLabels(input.labels).keys()) {
        if (!allowed.has(labelId)) throw new VoxloopError('INVALID_ARGUMENT', `${where}: label ${labelId} is not in the label table`)
      }
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private summarize(record: CaseRecord): CaseSummary {
    const session = this.sessions.get(record.id)
    const counts = session?.counts ?? countsFromRecord(record.labelVoxels)
    const labelStats = [...counts]
      .filter(([, voxels]) => voxels > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([labelId, voxels]) => ({ labelId, voxels, volumeMl: voxelsToMl(voxels, record.spacing) }))
    const lastEditAtMs = session?.lastEditAtMs ?? null
    return {
      id: record.id,
      status: record.status,
      dims: [...record.dims],
      spacing: [...record.spacing],
      channels: record.channels,
      sourceFile: record.sourceFile,
      importedAt: record.importedAt,
      hasLabel: record.hasLabel,
      hasPrediction: this.predictions.has(record.id),
      hasUnsavedEdits: (session?.unsavedEdits ?? 0) > 0,
      lastEditedAt: lastEditAtMs === null ? record.lastEditedAt : new Date(lastEditAtMs).toISOString(),
      labelStats,
      prediction: record.prediction,
      review: record.review,
      split: record.split
    }
  }

  private requireCase(caseId: string): CaseRecord {
    assertCaseId(caseId)
    const record = this.records.get(caseId)
    if (!record) throw new VoxloopError('NOT_FOUND', `No case ${caseId} in project ${this.manifest.name}`)
    return record
  }

  private findCaseInsensitive(caseId: string): string | null {
    const wanted = caseId.toLowerCase()
    for (const id of this.records.keys()) if (id.toLowerCase() === wanted) return id
    return null
  }

  private labelIds(): Set<number> {
    return new Set(this.manifest.labels.map((label) => label.id))
  }

  private needsWideLabels(): boolean {
    return this.manifest.labels.some((label) => label.id > 255)
  }

  private assertOpen(): void {
    if (this.disposed) throw new VoxloopError('INTERNAL', `Project ${this.paths.root} is closed`)
  }

  /** Throws READ_ONLY (saying what still works) when the project was opened read-only. */
  requireWritable(): void {
    this.assertOpen()
    if (this.isReadOnly) {
      throw new VoxloopError(
        'READ_ONLY',
        `Project ${this.paths.root} is open read-only (its folder cannot be written): you can view cases, predict into another folder and export, but not change it`
      )
    }
  }

  /** Runs `task` after every earlier task of the same case (saves, discards, session loads). */
  private serial<T>(caseId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.caseQueues.get(caseId) ?? Promise.resolve()
    const run = previous.then(task)
    const tail = run.catch(() => undefined)
    this.caseQueues.set(caseId, tail)
    void tail.then(() => {
      if (this.caseQueues.get(caseId) === tail) this.caseQueues.delete(caseId)
    })
    return run
  }

  /** Runs `task` after every earlier project-wide task (imports, label table, project info). */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.projectQueue.then(task)
    this.projectQueue = run.catch(() => undefined)
    return run
  }
}
