import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { CaseData, ProjectOverview } from '../../../shared/contract'
import { VoxloopError } from '../../../shared/errors'
import type {
  CaseSplit,
  CaseStatus,
  CaseSummary,
  DicomSeriesList,
  DicomSource,
  ExportFormat,
  ExportReport,
  FourDImport,
  ImportReport,
  LabelDef,
  Modality,
  ProjectManifest,
  RecoveryReport,
  ReviewInfo,
  SetPixelSpacingRequest
} from '../../../shared/project'
import type { EventHub } from '../../app/EventHub'
import { createDemoProject } from '../demo/createDemoProject'
import { exportProject } from '../project/exportProject'
import { importDataset } from '../project/importDataset'
import { listDicomSeries } from '../project/importDicom'
import type { LabelEdit } from '../project/labelJournal'
import { ProjectStore } from '../project/ProjectStore'
import { assertActivatable } from '../training/activation'

const EMPTY_RECOVERY: RecoveryReport = { recovered: [], problems: [], adoptedCases: [], missingImages: [], caseIndexRebuilt: false }

export interface CreateProjectInput {
  folder: string
  name: string
  /** Absent: the first import decides it from the data. */
  modality?: Modality
  channelNames?: string[]
  labels?: LabelDef[]
}

/**
 * The one open project of this app instance: opening, creating, the demo, import and export, and
 * the calls the case list and the viewer make. Everything else about the folder is ProjectStore's.
 */
export class ActiveProjectService {
  private store: ProjectStore | null = null
  private recovery: RecoveryReport = EMPTY_RECOVERY
  /** The running import's, so that projects:cancelImport can stop it; null when none runs. */
  private importAbort: AbortController | null = null

  constructor(
    private readonly events: EventHub,
    private readonly demoFolder: string
  ) {}

  defaultDemoFolder(): string {
    return this.demoFolder
  }

  async open(folder: string): Promise<ProjectOverview> {
    const resolved = path.resolve(folder)
    if (this.store?.root === resolved) return this.overview()
    await this.close()
    const { store, recovery } = await ProjectStore.open(resolved)
    this.store = store
    this.recovery = recovery
    return this.overview()
  }

  async create(input: CreateProjectInput): Promise<ProjectOverview> {
    await this.close()
    this.store = await ProjectStore.create(path.resolve(input.folder), {
      name: input.name,
      ...(input.modality ? { modality: input.modality } : {}),
      ...(input.channelNames ? { channelNames: input.channelNames } : {}),
      ...(input.labels ? { labels: input.labels } : {})
    })
    this.recovery = EMPTY_RECOVERY
    return this.overview()
  }

  /** Opens the demo project, generating it first if its folder holds none yet. */
  async openDemo(folder = this.demoFolder): Promise<ProjectOverview> {
    const resolved = path.resolve(folder)
    const exists = await stat(path.join(resolved, 'voxloop.json')).then(
      () => true,
      () => false
    )
    if (!exists) {
      await this.close()
      const store = await createDemoProject(resolved)
      await store.dispose()
    }
    return this.open(resolved)
  }

  /** The open project's store, for services that work on the folder (training); NOT_FOUND when none is open. */
  activeStore(): ProjectStore {
    return this.requireStore()
  }

  current(): ProjectOverview | null {
    return this.store ? this.overview() : null
  }

  async close(): Promise<void> {
    const store = this.store
    this.store = null
    this.recovery = EMPTY_RECOVERY
    await store?.dispose()
  }

  /**
   * `fourD`: what dim[4] of 4D NIfTI images holds (importDataset.ts); undefined lets each file decide.
   * `series`: of a DICOM folder, only this series (listDicomSeries's `choice`, a number or a UID).
   */
  async importFrom(source: string, options: { fourD?: FourDImport; series?: string } = {}): Promise<ImportReport> {
    const { fourD, series } = options
    const store = this.requireStore()
    // Before any staging folder is made: a read-only project says so instead of failing on EROFS.
    store.requireWritable()
    // Two imports at once would race for the same case ids and staging folder.
    if (this.importAbort) throw new VoxloopError('BUSY', `${path.resolve(source)}: another import is running; wait for it or cancel it`)
    const abort = new AbortController()
    this.importAbort = abort
    const resolved = path.resolve(source)
    try {
      const report = await importDataset(store, resolved, {
        ...(fourD ? { fourD } : {}),
        ...(series === undefined ? {} : { dicomSeries: series }),
        signal: abort.signal,
        onProgress: (progress) => this.events.emit('projects:importProgress', { source: resolved, ...progress })
      })
      this.events.emit('cases:changed', { caseIds: report.imported.map((c) => c.caseId) })
      return report
    } finally {
      this.importAbort = null
    }
  }

  /** The series of a DICOM folder, for the user to choose from before importing (importDicom.ts). */
  listDicomSeries(source: string): Promise<DicomSeriesList> {
    return listDicomSeries(path.resolve(source))
  }

  /** Stops the running import before its next case (importDataset checks the signal); false when none runs. */
  cancelImport(): boolean {
    if (!this.importAbort) return false
    this.importAbort.abort()
    return true
  }

  exportProject(options: { folder: string; format: ExportFormat; includePredictions: boolean; caseIds?: string[] }): Promise<ExportReport> {
    return exportProject(this.requireStore(), path.resolve(options.folder), options)
  }

  /** The active model predicts for the project; switching back to an older version is the rollback. */
  async activateModel(version: string): Promise<ProjectManifest> {
    const store = this.requireStore()
    const runRecord = path.join(store.root, 'models', version, 'run.json')
    if (!(await stat(runRecord).then(() => true, () => false))) {
      throw new VoxloopError('NOT_FOUND', `${runRecord}: no model version ${version} in this project`)
    }
    const manifest = store.getManifest()
    // A version predicting labels the table no longer has is refused (issue #15 item 8).
    await assertActivatable(path.dirname(runRecord), version, manifest.labels)
    return store.updateProjectInfo({ settings: { ...manifest.settings, activeModel: version } })
  }

  activeModel(): string | null {
    const value = this.store?.getManifest().settings.activeModel
    return typeof value === 'string' ? value : null
  }

  /**
   * The user's modality: later imports keep it, the next training normalises by it. Models already
   * trained are untouched: each records its own modality and normalisation in its plan.
   */
  setModality(modality: Modality): Promise<ProjectManifest> {
    return this.requireStore().updateProjectInfo({ modality, modalitySource: 'user' })
  }

  updateLabels(labels: LabelDef[]): Promise<ProjectManifest> {
    return this.requireStore().updateLabelTable(labels)
  }

  listCases(): CaseSummary[] {
    return this.requireStore().listCases()
  }

  async setStatus(caseId: string, status: CaseStatus): Promise<CaseSummary> {
    const summary = await this.requireStore().setStatus(caseId, status)
    this.events.emit('cases:changed', { caseIds: [caseId] })
    return summary
  }

  async setSplit(caseId: string, split: CaseSplit): Promise<CaseSummary> {
    const summary = await this.requireStore().setSplit(caseId, split)
    this.events.emit('cases:changed', { caseIds: [caseId] })
    return summary
  }

  /** The pixel spacing of 2D cases (ProjectStore.setPixelSpacing); the case table shows the new sizes. */
  async setPixelSpacing(request: SetPixelSpacingRequest): Promise<CaseSummary[]> {
    const summaries = await this.requireStore().setPixelSpacing(request.spacingMm, request.caseIds)
    this.events.emit('cases:changed', { caseIds: summaries.map((summary) => summary.id) })
    return summaries
  }

  async loadCase(caseId: string): Promise<CaseData> {
    const store = this.requireStore()
    const [image, label, prediction, uncertainty] = await Promise.all([
      store.loadImage(caseId),
      store.loadLabel(caseId),
      store.loadPrediction(caseId),
      store.loadUncertainty(caseId)
    ])
    return { caseId, image, label, prediction, uncertainty }
  }

  getDicomSource(caseId: string): DicomSource | null {
    return this.requireStore().getDicomSource(caseId)
  }

  async recordReview(caseId: string, review: ReviewInfo): Promise<CaseSummary> {
    const summary = await this.requireStore().recordReview(caseId, review)
    this.events.emit('cases:changed', { caseIds: [caseId] })
    return summary
  }

  applyLabelEdit(caseId: string, edit: LabelEdit): Promise<{ caseId: string; voxelsChanged: number }> {
    return this.requireStore().applyLabelEdit(caseId, edit)
  }

  async saveLabel(caseId: string): Promise<CaseSummary> {
    const summary = await this.requireStore().saveLabel(caseId)
    this.events.emit('cases:changed', { caseIds: [caseId] })
    return summary
  }

  discardLabel(caseId: string): Promise<CaseSummary> {
    return this.requireStore().discardUnsavedEdits(caseId)
  }

  async dispose(): Promise<void> {
    await this.close()
  }

  private overview(): ProjectOverview {
    const store = this.requireStore()
    const manifest = store.getManifest()
    return { path: store.root, name: manifest.name, manifest, cases: store.listCases(), recovery: this.recovery, readOnly: store.readOnly }
  }

  private requireStore(): ProjectStore {
    if (!this.store) throw new VoxloopError('NOT_FOUND', 'No project is open')
    return this.store
  }
}
