import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ProjectOverview } from '../../../shared/contract'
import type { CaseSplit, CaseStatus, CaseSummary, ExportReport, ImportReport, Modality } from '../../../shared/project'
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
    const project = await run('Opening project…', () => api.projects.open(folder))
    if (!project) return false
    adopt(project)
    await loadRecent()
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

  async function importFrom(source: string): Promise<void> {
    const report = await run('Importing…', () => api.projects.import(source))
    if (!report) return
    lastImport.value = report
    await refreshCases()
    const manifest = await api.projects.current()
    if (manifest) current.value = manifest
  }

  /** The user's modality: the next training normalises by it; later imports keep it. */
  async function setModality(modality: Modality): Promise<void> {
    const manifest = await run('', () => api.projects.setModality(modality))
    if (manifest && current.value) current.value = { ...current.value, manifest, name: manifest.name }
  }

  async function exportLabels(folder: string, includePredictions: boolean): Promise<void> {
    const report = await run('Exporting labels…', () => api.projects.exportLabels({ folder, includePredictions }))
    if (report) lastExport.value = report
  }

  async function exportMsd(folder: string): Promise<void> {
    const report = await run('Exporting as MSD…', () => api.projects.exportMsd({ folder }))
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
    setModality,
    exportLabels,
    exportMsd,
    refreshCases,
    setStatus,
    setSplit,
    replaceCase,
    forget,
    close
  }
})
