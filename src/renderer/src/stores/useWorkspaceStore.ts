import { defineStore } from 'pinia'
import { computed, nextTick, reactive, ref, shallowRef } from 'vue'
import { activeSeconds, correctionEffort, dicePerLabel } from '../../../shared/activeLearning'
import { isOblique, obliquityDegrees } from '../../../shared/geometry'
import type { CaseStatus, DicomSource, LabelDef } from '../../../shared/project'
import type { LabelArray } from '../../../shared/volume'
import { api } from '../bridge/api'
import {
  applySliceInterpolation,
  countVoxelsPerLabel,
  gridFromHeader,
  keepLargestComponent,
  maxLabelOf,
  OVERWRITE_ANY,
  reassignLabel,
  removeSmallIslands,
  viewAxisOfNormal,
  VoxelEditor,
  widenLabelsFor,
  type IntensityRange
} from '../tools'
import type { ColormapName } from '../viewer/colormaps'
import type { HoverInfo, Layout, OverlayKind, VolumeViewer } from '../viewer/VolumeViewer'
import type { WindowLevel } from '../viewer/windowLevel'
import { EditSync, type EditSyncState } from '../workspace/EditSync'
import { clampRadius, ToolController, type ToolName, type ToolSettings } from '../workspace/ToolController'
import { useProjectsStore } from './useProjectsStore'

export type SaveState = 'saved' | 'journaling' | 'unsaved' | 'saving' | 'error'

/**
 * The open case: tool settings, display settings and save state. The volume, the label array, the
 * editor and the viewer live outside reactivity (plain variables): Vue only sees small values.
 */
export const useWorkspaceStore = defineStore('workspace', () => {
  const projects = useProjectsStore()
  const caseId = ref<string | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  const message = ref<string | null>(null)
  const tools = reactive<ToolSettings>({
    tool: 'brush',
    activeLabel: 1,
    radiusMm: 3,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    fillDimension: '2d',
    fillBound: 'label'
  })
  const thresholdEnabled = ref(false)
  const thresholdRange = reactive<IntensityRange>({ min: 0, max: 0 })
  const display = reactive({
    opacity: 0.5,
    outline: false,
    colormap: 'grey' as ColormapName,
    layout: 'grid' as Layout,
    overlay: 'none' as OverlayKind,
    channel: 0,
    clip3d: false
  })
  const hidden = ref<number[]>([])
  const windowLevel = ref<WindowLevel>({ center: 0, width: 1 })
  const intensityRange = ref<[number, number]>([0, 1])
  const hover = ref<HoverInfo | null>(null)
  const sync = ref<EditSyncState>({ pending: 0, error: null, errorCode: null })
  const saving = ref(false)
  const dirty = ref(false)
  const canUndo = ref(false)
  const canRedo = ref(false)
  const labelCounts = shallowRef<Map<number, number>>(new Map())
  /** The open case's grid tilt from the scanner axes in degrees when oblique, else null (the views show voxel axes). */
  const obliqueDegrees = ref<number | null>(null)
  /** The open case's DICOM identifiers (patient, study, series) when it came from DICOM, else null. */
  const dicomSource = ref<DicomSource | null>(null)
  /** False while a recount is pending after an edit (tests and the UI can wait for fresh counts). */
  const countsFresh = ref(false)
  const hasPrediction = ref(false)
  const hasUncertainty = ref(false)
  const firstFrameMs = ref<number | null>(null)
  /** The model version whose prediction is loaded as the proposal, or null. */
  const proposalVersion = ref<string | null>(null)
  /** The case has both a human label and a different prediction: replacing needs confirmation. */
  const predictionDiffers = ref(false)

  let viewer: VolumeViewer | null = null
  let editor: VoxelEditor | null = null
  let controller: ToolController | null = null
  let editSync: EditSync | null = null
  let labels: LabelArray | null = null
  let proposal: LabelArray | null = null
  /** Times of the reviewer's actions on this case, for the active time spent on it. */
  let activity: number[] = []
  const unsubscribers: Array<() => void> = []

  const saveState = computed<SaveState>(() => {
    if (sync.value.error) return 'error'
    if (saving.value) return 'saving'
    if (sync.value.pending > 0) return 'journaling'
    return dirty.value ? 'unsaved' : 'saved'
  })

  const currentCase = computed(() => projects.cases.find((c) => c.id === caseId.value) ?? null)

  function attachViewer(instance: VolumeViewer | null): void {
    viewer = instance
  }

  function largestId(labelDefs: readonly LabelDef[]): number {
    return labelDefs.reduce((max, l) => Math.max(max, l.id), 0)
  }

  function paletteEntries(labelDefs: readonly LabelDef[]): Array<{ id: number; color: string; visible: boolean }> {
    return labelDefs.map((l) => ({ id: l.id, color: l.color, visible: !hidden.value.includes(l.id) }))
  }

  async function openCase(id: string): Promise<void> {
    await closeCase()
    caseId.value = id
    loading.value = true
    error.value = null
    try {
      const [data, source] = await Promise.all([api.cases.load(id), api.cases.dicomSource(id)])
      dicomSource.value = source
      // The workspace view mounts (and attaches its viewer) once caseId is set.
      if (!viewer) await nextTick()
      if (!viewer) throw new Error('The viewer is not ready')
      // Follow the table, not only the file: a table naming ids above 255 (or a 16-bit prediction)
      // needs a 16-bit map in memory even when the saved label is 8-bit.
      labels = widenLabelsFor(data.label.data, Math.max(largestId(projects.labels), data.prediction ? maxLabelOf(data.prediction.data) : 0))
      const grid = gridFromHeader(data.image.header)
      obliqueDegrees.value = isOblique(data.image.header.rasFromIjk) ? obliquityDegrees(data.image.header.rasFromIjk) : null
      editor = new VoxelEditor(labels, grid)
      editSync = new EditSync(
        (change) => api.labels.edit(id, change),
        (state) => {
          sync.value = state
        }
      )
      unsubscribers.push(
        editor.onChange((change) => {
          editSync?.push(change)
          dirty.value = true
          canUndo.value = editor?.canUndo ?? false
          canRedo.value = editor?.canRedo ?? false
        })
      )
      const summary = currentCase.value
      dirty.value = summary?.hasUnsavedEdits ?? false
      hasPrediction.value = data.prediction !== null
      hasUncertainty.value = data.uncertainty !== null
      proposal = data.prediction?.data ?? null
      proposalVersion.value = proposal ? (summary?.prediction?.modelVersion ?? 'unknown') : null
      predictionDiffers.value = false
      activity = [Date.now()]
      display.overlay = 'none'
      display.channel = 0
      const modality = projects.current?.manifest.modality
      viewer.load(
        { image: data.image, labels, prediction: data.prediction?.data ?? null, uncertainty: data.uncertainty },
        { labels: paletteEntries(projects.labels), ...(modality === 'CT' ? { window: { center: 50, width: 400 } } : {}) }
      )
      viewer.setLabelStyle(display.opacity, display.outline)
      windowLevel.value = viewer.getWindow()
      intensityRange.value = viewer.getIntensityRange()
      unsubscribers.push(
        viewer.on('hover', (info) => {
          hover.value = info
        }),
        viewer.on('window', (w) => {
          windowLevel.value = w
        }),
        viewer.on('frame', (f) => {
          firstFrameMs.value = f.firstFrameMs
        })
      )
      controller = new ToolController(viewer, editor, data.image.data, () => effectiveTools(), () => display.channel, {
        edited: () => refreshCounts(),
        message: (text) => {
          message.value = text
        },
        thresholdPicked: (range) => {
          thresholdRange.min = range.min
          thresholdRange.max = range.max
          thresholdEnabled.value = true
          tools.tool = 'brush'
        }
      })
      viewer.setInteraction(controller)
      if (!projects.labels.some((l) => l.id === tools.activeLabel)) tools.activeLabel = projects.labels[0]?.id ?? 1
      unsubscribers.push(editor.onChange(() => activity.push(Date.now())))
      if (proposal) {
        if (isEmpty(labels)) {
          // The model's proposal becomes the editable draft: one undo unit, journalled like any edit.
          loadProposal('Load prediction as draft')
          message.value = `Prediction of model ${proposalVersion.value} loaded as a draft: correct it, then press Done (D)`
        } else {
          predictionDiffers.value = !sameLabels(labels, proposal)
        }
      }
      refreshCounts()
    } catch (cause) {
      error.value = (cause as Error).message
      caseId.value = null
    } finally {
      loading.value = false
    }
  }

  function isEmpty(array: LabelArray): boolean {
    for (let i = 0; i < array.length; i++) if (array[i] !== 0) return false
    return true
  }

  function sameLabels(a: LabelArray, b: LabelArray): boolean {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }

  /** Writes the proposal into the label through the editor (only voxels that differ). */
  function loadProposal(description: string): void {
    if (!editor || !labels || !proposal) return
    const changed: number[] = []
    for (let i = 0; i < proposal.length; i++) if (labels[i] !== proposal[i]) changed.push(i)
    const indices = Uint32Array.from(changed)
    const values = proposal instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length)
    for (let n = 0; n < indices.length; n++) values[n] = proposal[indices[n] as number] as number
    editor.applyEdit(description, (e) => e.write(indices, values))
    afterBulkEdit()
  }

  /** After explicit confirmation: the prediction replaces the human label (undoable; the old one stays in history). */
  function replaceWithPrediction(): void {
    loadProposal('Replace label with prediction')
    predictionDiffers.value = false
    message.value = 'The prediction replaced your label. Undo (Ctrl+Z) brings yours back.'
  }

  function noteActivity(): void {
    activity.push(Date.now())
  }

  /** The settings the controller sees: threshold applied only while enabled. */
  function effectiveTools(): ToolSettings {
    tools.threshold = thresholdEnabled.value ? { min: thresholdRange.min, max: thresholdRange.max } : null
    return tools
  }

  let countTimer: ReturnType<typeof setTimeout> | null = null

  /**
   * Voxel counts per label touch every voxel (a quarter second on 512×512×300), so they are
   * recounted once editing pauses, never between the strokes of a fast user.
   */
  function refreshCounts(): void {
    canUndo.value = editor?.canUndo ?? false
    canRedo.value = editor?.canRedo ?? false
    if (countTimer) clearTimeout(countTimer)
    countsFresh.value = false
    countTimer = setTimeout(() => {
      countTimer = null
      if (labels) labelCounts.value = countVoxelsPerLabel(labels)
      countsFresh.value = true
    }, 400)
  }

  function afterBulkEdit(): void {
    const region = editor?.takeDirty()
    if (region) viewer?.labelsChanged({ slices: [new Set(region.sagittal), new Set(region.coronal), new Set(region.axial)] })
    refreshCounts()
  }

  function undo(): void {
    if (editor?.undo()) afterBulkEdit()
  }

  function redo(): void {
    if (editor?.redo()) afterBulkEdit()
  }

  function interpolate(): void {
    if (!editor || !viewer) return
    const axis = viewAxisOfNormal(viewer.sliceAxisOf(viewer.activeView()))
    const result = applySliceInterpolation(editor, { label: tools.activeLabel, axis })
    message.value = result.voxelCount
      ? `Interpolated ${result.voxelCount.toLocaleString()} voxels across ${result.filledSlices.length} ${axis} slices`
      : `Nothing to interpolate: label the first and last ${axis} slices of the structure (label ${tools.activeLabel}) first`
    afterBulkEdit()
  }

  function removeIslands(minVoxels: number): void {
    if (!editor) return
    const result = removeSmallIslands(editor, { minVoxels, label: null })
    message.value = `Removed ${result.voxelCount.toLocaleString()} voxels in islands smaller than ${minVoxels} voxels`
    afterBulkEdit()
  }

  function keepLargest(): void {
    if (!editor) return
    const result = keepLargestComponent(editor, { label: tools.activeLabel })
    message.value = `Kept the largest component of label ${tools.activeLabel}; removed ${result.voxelCount.toLocaleString()} voxels`
    afterBulkEdit()
  }

  async function save(): Promise<void> {
    if (!caseId.value || !editSync) return
    saving.value = true
    try {
      await editSync.flush()
      const summary = await api.labels.save(caseId.value)
      projects.replaceCase(summary)
      editor?.markSaved()
      dirty.value = false
    } catch (cause) {
      error.value = (cause as Error).message
    } finally {
      saving.value = false
    }
  }

  async function setStatus(status: CaseStatus): Promise<void> {
    if (!caseId.value) return
    if (status === 'done' && (dirty.value || sync.value.pending > 0)) await save()
    if (status === 'done' && proposal && labels && proposalVersion.value) {
      // Accepting a corrected proposal: how much it needed changing is the loop's measure of progress.
      const effort = correctionEffort(proposal, labels)
      const review = await api.cases.recordReview(caseId.value, {
        modelVersion: proposalVersion.value,
        voxelsChanged: effort.voxelsChanged,
        perLabel: effort.perLabel,
        dice: dicePerLabel(proposal, labels, projects.labels.map((l) => l.id)),
        seconds: activeSeconds([...activity, Date.now()]),
        curatedAt: new Date().toISOString()
      })
      projects.replaceCase(review)
    }
    await projects.setStatus(caseId.value, status)
  }

  async function closeCase(): Promise<void> {
    if (caseId.value && (dirty.value || sync.value.pending > 0)) await save()
    viewer?.setInteraction(null)
    obliqueDegrees.value = null
    dicomSource.value = null
    for (const off of unsubscribers.splice(0)) off()
    editSync?.dispose()
    editSync = null
    editor?.dispose()
    editor = null
    controller = null
    labels = null
    proposal = null
    proposalVersion.value = null
    predictionDiffers.value = false
    caseId.value = null
    hover.value = null
    message.value = null
  }

  function setTool(tool: ToolName): void {
    tools.tool = tool
    viewer?.setInteraction(controller)
  }

  function setRadius(radiusMm: number): void {
    tools.radiusMm = clampRadius(radiusMm)
  }

  function setWindow(window: WindowLevel): void {
    viewer?.setWindow(window)
  }

  function autoWindow(): void {
    viewer?.autoWindow()
  }

  function applyDisplay(): void {
    if (!viewer) return
    viewer.setLabelStyle(display.opacity, display.outline)
    viewer.setColormap(display.colormap)
    viewer.setLayout(display.layout)
    viewer.setOverlay(display.overlay)
    viewer.set3dOptions({ clip: display.clip3d })
  }

  function setChannel(channel: number): void {
    display.channel = channel
    viewer?.setChannel(channel)
  }

  function toggleLabelVisibility(id: number): void {
    hidden.value = hidden.value.includes(id) ? hidden.value.filter((h) => h !== id) : [...hidden.value, id]
    viewer?.setLabelTable(paletteEntries(projects.labels))
  }

  async function updateLabelTable(next: LabelDef[]): Promise<void> {
    const manifest = await api.projects.updateLabels(next)
    if (projects.current) projects.current = { ...projects.current, manifest, name: manifest.name }
    viewer?.setLabelTable(paletteEntries(manifest.labels))
    const open = caseId.value
    if (open && labels && largestId(manifest.labels) > maxLabelOf(labels)) {
      // The editor, the viewer's textures and the edit journal all hold the 8-bit array: reopening
      // (which saves first) is the one path that swaps it for a 16-bit one everywhere at once.
      await openCase(open)
      message.value = 'This case\'s label map is now 16-bit, for label ids above 255; its edits were saved and undo starts afresh'
    }
  }

  /** Deleting a label: its voxels become background here (one undo unit), then in every saved label. */
  async function deleteLabel(id: number): Promise<void> {
    if (editor) {
      reassignLabel(editor, { from: id, to: 0, description: `Delete label ${id}` })
      afterBulkEdit()
      await save()
    }
    await updateLabelTable(projects.labels.filter((l) => l.id !== id))
    if (tools.activeLabel === id) tools.activeLabel = projects.labels[0]?.id ?? 1
  }

  function resetViews(): void {
    viewer?.resetViews()
  }

  function scrollActive(delta: number): void {
    if (viewer) viewer.scrollSlice(viewer.activeView(), delta)
  }

  function inputLatencies(): readonly number[] {
    return viewer?.getInputLatencies() ?? []
  }

  return {
    caseId,
    obliqueDegrees,
    dicomSource,
    currentCase,
    loading,
    error,
    message,
    tools,
    thresholdEnabled,
    thresholdRange,
    display,
    hidden,
    windowLevel,
    intensityRange,
    hover,
    sync,
    saveState,
    canUndo,
    canRedo,
    labelCounts,
    countsFresh,
    hasPrediction,
    hasUncertainty,
    firstFrameMs,
    proposalVersion,
    predictionDiffers,
    replaceWithPrediction,
    noteActivity,
    attachViewer,
    openCase,
    closeCase,
    undo,
    redo,
    interpolate,
    removeIslands,
    keepLargest,
    save,
    setStatus,
    setTool,
    setRadius,
    setWindow,
    autoWindow,
    applyDisplay,
    setChannel,
    toggleLabelVisibility,
    updateLabelTable,
    deleteLabel,
    resetViews,
    scrollActive,
    inputLatencies
  }
})
