import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ProjectOverview } from '../../../shared/contract'
import type { EventPayload } from '../../../shared/contract'
import type { CaseSplit, CaseStatus, CaseSummary, DicomSeriesList, ExportFormat, FolderContents, ExportReport, FourDImport, ImportReport, Modality } from '../../../shared/project'
import type { RecentProject } from '../../../shared/settings'
import { api } from '../bridge/api'

/** Recent projects, the open project and its case list (ids and metadata only, never voxels). */
export const useProjectsStore = defineStore('projects', () => {
  const recent = ref<RecentProject[]>([])
  const current = ref<ProjectOverview | null>(null)
  const cases = ref<CaseSummary[]>([])
  const busy = ref<string | null>(null)
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)
  const lastImport = ref<ImportReport | null>(null)
  /** The folder of lastImport, so that its report can offer to import it again another way (fourD). */
  const lastImportSource = ref<string | null>(null)
  const lastImportFourD = ref<FourDImport | undefined>(undefined)
  /** The running import: null before its first case is done (reading, DICOM conversion) and after it. */
  const importing = ref(false)
  const importProgress = ref<EventPayload<'projects:importProgress'> | null>(null)
  /** A folder the user tried to open that is not a project but holds data to import (projects:inspectFolder). */
  const openOffer = ref<FolderContents | null>(null)
  /** The series of a DICOM folder the user asked to choose from (projects:listDicomSeries). */
  const dicomSeries = ref<DicomSeriesList | null>(null)
  const lastExport = ref<ExportReport | null>(null)
  const demoFolder = ref('')

  const labels = computed(() => current.value?.manifest.labels ?? [])

  async function loadRecent(): Promise<void> {
    recent.value = await api.projects.recent()
    if (!demoFolder.value) demoFolder.value = await api.projects.demoFolder()
  }

  async function run<T>(what: string, action: () => Promise<T>): Promise<T | null> {
    busy.value = what
    error.value = null
    try {
      return await action()
    } catch (cause) {
      error.value = (cause as Error).message
      return null
    } finally {
      busy.value = null
    }
  }

  function adopt(project: ProjectOverview): void {
    current.value = project
    cases.value = project.cases
    const recovered = project.recovery.recovered
    notice.value = recovered.length
      ? `Recovered unsaved edits from the last session: ${recovered
          .map((r) => `${r.caseId} (${r.edits} edit${r.edits === 1 ? '' : 's'}, ${r.voxelsChanged.toLocaleString()} voxels)`)
          .join(', ')}. They are saved.`
      : null
  }

  async function open(folder: string): Promise<boolean> {
    openOffer.value = null
    const project = await run('Opening project…', () => api.projects.open(folder))
    if (!project) {
      await offerToImport(folder)
      return false
    }
    adopt(project)
    await loadRecent()
    return true
  }

  /** After a failed open: if the folder holds a dataset rather than a project, offer to make one of it. */
  async function offerToImport(folder: string): Promise<void> {
    try {
      const contents = await api.projects.inspectFolder(folder)
      if (contents.kind !== 'project' && contents.kind !== 'other') {
        openOffer.value = contents
        // The offer says why the folder did not open; the reader's error would only repeat it.
        // A later error (creating the project) shows again.
        error.value = null
      }
    } catch {
      // A folder that cannot even be listed: the open error already says why.
    }
  }

  /** The project for a dataset folder: created at `projectFolder` (named after the data), then the data imported. */
  async function createFromDataset(source: string, projectFolder: string): Promise<boolean> {
    const name = source.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || 'Imported'
    if (!(await create({ folder: projectFolder, name }))) return false
    openOffer.value = null
    await importFrom(source)
    return true
  }

  /** Without a modality, the project's first import decides it from the data. */
  async function create(input: { folder: string; name: string; modality?: Modality }): Promise<boolean> {
    const project = await run('Creating the project…', () => api.projects.create(input))
    if (!project) return false
    adopt(project)
    await loadRecent()
    return true
  }

  async function createDemo(folder?: string): Promise<boolean> {
    const project = await run('Creating the demo project…', () => api.projects.createDemo(folder ? { folder } : undefined))
    if (!project) return false
    adopt(project)
    await loadRecent()
    return true
  }

  async function pickAndOpen(): Promise<void> {
    const folder = await run('', () => api.projects.pickFolder({ title: 'Open a Voxloop project folder' }))
    if (folder) await open(folder)
  }

  /** `series`: of a DICOM folder, only this one (a `choice` from listDicomSeriesOf). */
  async function importFrom(source: string, fourD?: FourDImport, series?: string): Promise<void> {
    importing.value = true
    importProgress.value = null
    dicomSeries.value = null
    const options = { ...(fourD ? { fourD } : {}), ...(series === undefined ? {} : { series }) }
    let report: ImportReport | null
    try {
      report = await run('Importing…', () => api.projects.import(source, Object.keys(options).length ? options : undefined))
    } finally {
      importing.value = false
      importProgress.value = null
    }
    if (!report) return
    lastImport.value = report
    lastImportSource.value = source
    lastImportFourD.value = fourD
    await refreshCases()
    const manifest = await api.projects.current()
    if (manifest) current.value = manifest
  }

  async function listDicomSeriesOf(source: string): Promise<void> {
    dicomSeries.value = null
    dicomSeries.value = await run('Reading the DICOM series (converting them)…', () => api.projects.listDicomSeries(source))
  }

  /** The import stops before its next case and adds nothing; its call then fails with CANCELLED. */
  async function cancelImport(): Promise<void> {
    await api.projects.cancelImport()
  }

  /** The user's modality: the next training normalises by it; later imports keep it. */
  async function setModality(modality: Modality): Promise<void> {
    const manifest = await run('', () => api.projects.setModality(modality))
    if (manifest && current.value) current.value = { ...current.value, manifest, name: manifest.name }
  }

  const EXPORT_BUSY: Record<ExportFormat, string> = {
    nifti: 'Exporting labels as NIfTI…',
    'seg-nrrd': 'Exporting labels as 3D Slicer segmentations…',
    msd: 'Exporting as MSD…',
    'nnunet-v2': 'Exporting as an nnU-Net v2 dataset…',
    'dicom-seg': 'Exporting labels as DICOM SEG…',
    'png-masks': 'Exporting labels as PNG masks…'
  }

  async function exportTo(folder: string, format: ExportFormat, includePredictions: boolean): Promise<void> {
    const report = await run(EXPORT_BUSY[format], () => api.projects.export({ folder, format, includePredictions }))
    if (report) lastExport.value = report
  }

  // cases:changed comes once per predicted case, so refreshes overlap; their replies can arrive out
  // of order, and an older list must never overwrite a newer one.
  let latestRefresh = 0
  async function refreshCases(): Promise<void> {
    if (!current.value) return
    const request = ++latestRefresh
    const list = await api.cases.list()
    if (request === latestRefresh) cases.value = list
  }

  async function setStatus(caseId: string, status: CaseStatus): Promise<void> {
    const summary = await run('', () => api.cases.setStatus(caseId, status))
    if (summary) replaceCase(summary)
  }

  /** The user's move of a case to another split (cases:setSplit; the case table confirms first). */
  async function setSplit(caseId: string, split: CaseSplit): Promise<void> {
    const summary = await run('', () => api.cases.setSplit(caseId, split))
    if (summary) replaceCase(summary)
  }

  /** The pixel spacing [x, y] mm of every case imported from a 2D image (cases:setPixelSpacing); false when refused (the error says why). */
  async function setPixelSpacing(spacingMm: [number, number]): Promise<boolean> {
    const changed = await run('Setting the pixel spacing…', () => api.cases.setPixelSpacing({ spacingMm }))
    if (!changed) return false
    for (const summary of changed) replaceCase(summary)
    return true
  }

  function replaceCase(summary: CaseSummary): void {
    latestRefresh++ // a list requested before this change is older than it
    cases.value = cases.value.map((c) => (c.id === summary.id ? summary : c))
  }

  async function forget(folder: string): Promise<void> {
    recent.value = await api.projects.forget(folder)
  }

  async function close(): Promise<void> {
    await api.projects.close()
    current.value = null
    cases.value = []
    notice.value = null
    lastImport.value = null
    lastExport.value = null
  }

  api.on('projects:importProgress', (progress) => {
    // An import another window started is not this page's to show.
    if (importing.value) importProgress.value = progress
  })

  api.on('cases:changed', () => {
    void refreshCases()
  })

  return {
    recent,
    current,
    cases,
    labels,
    busy,
    error,
    notice,
    lastImport,
    lastExport,
    demoFolder,
    loadRecent,
    open,
    create,
    createDemo,
    pickAndOpen,
    importFrom,
    cancelImport,
    importing,
    importProgress,
    lastImportSource,
    lastImportFourD,
    dicomSeries,
    listDicomSeriesOf,
    openOffer,
    createFromDataset,
    setModality,
    exportTo,
    refreshCases,
    setStatus,
    setSplit,
    setPixelSpacing,
    replaceCase,
    forget,
    close
  }
})
