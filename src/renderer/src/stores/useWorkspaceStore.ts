import { defineStore } from 'pinia'
import { computed, nextTick, reactive, ref, shallowRef, watch, type Ref } from 'vue'
import type { CaseStatus, LabelDef } from '../../../shared/project'
import { api } from '../bridge/api'
import { imageChannel, OVERWRITE_ANY, reassignLabel } from '../tools'
import type { StatisticsSource } from '../tools/statistics/labelStatistics'
import type { VoxelArray } from '../../../shared/volume'
import type { ColormapName } from '../viewer/colormaps'
import type { Layout, OverlayKind, VolumeViewer } from '../viewer/VolumeViewer'
import type { WindowLevel } from '../viewer/windowLevel'
import { CaseSession, emptySessionView, toolControllerFactory, type CaseSessionApi, type CaseSessionView } from '../workspace/CaseSession'
import { clampRadius, type ToolController, type ToolName, type ToolSettings } from '../workspace/ToolController'
import { useProjectsStore } from './useProjectsStore'

/** Why slice keys and the layout chooser do nothing in a one-slice case (a 2D image). */
export const ONE_SLICE_TEXT = '2D image: one slice, shown in one view (the layout and slice keys apply to 3D cases)'

export type SaveState = 'saved' | 'journaling' | 'unsaved' | 'saving' | 'refused' | 'error'

/** The store's copy of the open session's view: one ref per field, replaced (never mutated) from session events. */
type SessionMirror = { [K in keyof CaseSessionView]: Ref<CaseSessionView[K]> }

const caseApi: CaseSessionApi = {
  load: (id) => api.cases.load(id),
  dicomSource: (id) => api.cases.dicomSource(id),
  edit: (id, change) => api.labels.edit(id, change),
  save: (id) => api.labels.save(id),
  recordReview: (id, review) => api.cases.recordReview(id, review)
}

/**
 * What the workspace shows: the user's tool and display settings, and a mirror of the open case's
 * session (workspace/CaseSession.ts), which holds the volume, the label, the editor and the edit
 * journal outside reactivity. Settings are of three kinds:
 * - the user's preferences, kept everywhere: brush radius (mm) and shape, label opacity and
 *   outline, colour map, layout, 3D clipping, the heat map's opacity and whether Next case shows it;
 * - the project's, reset when another project opens: active tool and label, overwrite rule, fill
 *   options, hidden labels (label ids mean other things in another project);
 * - the case's, reset when another case opens: threshold range (derived from the new image) and
 *   whether painting is limited to it, the overlay, the channel, and all the session's state
 *   (hover, proposal, activity, messages).
 */
export const useWorkspaceStore = defineStore('workspace', () => {
  const projects = useProjectsStore()
  const caseId = ref<string | null>(null)
  const loading = ref(false)
  const tools = reactive<ToolSettings>({
    tool: 'brush',
    activeLabel: 1,
    radiusMm: 3,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    thresholdRange: { min: 0, max: 0 },
    fillDimension: '2d',
    fillBound: 'label'
  })
  const thresholdEnabled = ref(false)
  /** The range the threshold panel edits (the tools read it through `tools.thresholdRange`). */
  const thresholdRange = tools.thresholdRange
  const display = reactive({
    opacity: 0.5,
    outline: false,
    colormap: 'grey' as ColormapName,
    layout: 'grid' as Layout,
    overlay: 'none' as OverlayKind,
    channel: 0,
    /** A colour picture (rgbComposite.ts) shows as R, G, B; off, its `channel` in grey. Per case: each opens in colour. */
    colour: true,
    clip3d: false,
    /** The uncertainty heat map's own opacity (the labels have theirs). */
    uncertaintyOpacity: 0.6,
    /** Next case opens with the uncertainty heat map on (README: the review loop shows where the model hesitates). */
    heatMapOnNext: true
  })
  const hidden = ref<number[]>([])

  const initial = emptySessionView()
  const mirror: SessionMirror = {
    sync: shallowRef(initial.sync),
    saving: ref(initial.saving),
    dirty: ref(initial.dirty),
    canUndo: ref(initial.canUndo),
    canRedo: ref(initial.canRedo),
    message: ref(initial.message),
    error: ref(initial.error),
    hover: shallowRef(initial.hover),
    windowLevel: shallowRef(initial.windowLevel),
    intensityRange: shallowRef(initial.intensityRange),
    firstFrameMs: ref(initial.firstFrameMs),
    obliqueDegrees: ref(initial.obliqueDegrees),
    singleSliceView: ref(initial.singleSliceView),
    colourPicture: ref(initial.colourPicture),
    dicomSource: shallowRef(initial.dicomSource),
    hasPrediction: ref(initial.hasPrediction),
    hasUncertainty: ref(initial.hasUncertainty),
    proposalVersion: ref(initial.proposalVersion),
    predictionDiffers: ref(initial.predictionDiffers),
    labelCounts: shallowRef(initial.labelCounts),
    countsFresh: ref(initial.countsFresh)
  }

  function mirrorField<K extends keyof CaseSessionView>(key: K, value: CaseSessionView[K]): void {
    mirror[key].value = value
  }

  function mirrorSession(patch: Partial<CaseSessionView>): void {
    for (const key of Object.keys(patch) as Array<keyof CaseSessionView>) mirrorField(key, patch[key] as CaseSessionView[typeof key])
  }

  let viewer: VolumeViewer | null = null
  let session: CaseSession<ToolController> | null = null
  /** The session whose close was refused once because its edits could not be saved (a second close drops them). */
  let closeRefused: CaseSession<ToolController> | null = null

  const saveState = computed<SaveState>(() => {
    const sync = mirror.sync.value
    if (sync.refused) return 'refused'
    if (sync.error) return 'error'
    if (mirror.saving.value) return 'saving'
    if (sync.pending > 0) return 'journaling'
    return mirror.dirty.value ? 'unsaved' : 'saved'
  })

  const currentCase = computed(() => projects.cases.find((c) => c.id === caseId.value) ?? null)

  function attachViewer(instance: VolumeViewer | null): void {
    viewer = instance
  }

  // Threshold preview: while a range is being chosen (its bounds or the option change, or a pick
  // sets them) the slices tint the voxels in range for a moment; a case opening sets its range silently.
  let thresholdPreviewTimer: ReturnType<typeof setTimeout> | null = null
  watch(
    () => [thresholdRange.min, thresholdRange.max, thresholdEnabled.value] as const,
    ([min, max, enabled], [, , wasEnabled]) => {
      if (thresholdPreviewTimer) clearTimeout(thresholdPreviewTimer)
      thresholdPreviewTimer = null
      if (loading.value || !viewer || (wasEnabled && !enabled)) {
        viewer?.setThresholdPreview(null)
        return
      }
      viewer.setThresholdPreview({ min, max })
      thresholdPreviewTimer = setTimeout(() => {
        thresholdPreviewTimer = null
        viewer?.setThresholdPreview(null)
      }, 4000)
    },
    { flush: 'sync' }
  )

  function paletteEntries(labelDefs: readonly LabelDef[]): Array<{ id: number; color: string; visible: boolean }> {
    return labelDefs.map((l) => ({ id: l.id, color: l.color, visible: !hidden.value.includes(l.id) }))
  }

  function largestId(labelDefs: readonly LabelDef[]): number {
    return labelDefs.reduce((max, l) => Math.max(max, l.id), 0)
  }

  /** A new session on the live viewer; its events reach the mirror only while it is the open one. */
  function createSession(id: string, view: VolumeViewer): CaseSession<ToolController> {
    const created: CaseSession<ToolController> = new CaseSession(id, {
      api: caseApi,
      viewer: view,
      tools: (editor, image, feedback) => {
        // Kept for the label statistics (caseVoxels), which read the voxels the tools do.
        openImage = image
        return toolControllerFactory(view, () => effectiveTools(), () => display.channel)(editor, image, feedback)
      },
      labels: () => projects.labels,
      palette: () => paletteEntries(projects.labels),
      labelStyle: () => ({ opacity: display.opacity, outline: display.outline }),
      modality: () => projects.current?.manifest.modality,
      channelNames: () => projects.current?.manifest.channelNames ?? [],
      summary: () => projects.cases.find((c) => c.id === id) ?? null,
      settings: () => tools,
      caseChanged: (summary) => projects.replaceCase(summary),
      thresholdPicked: (range) => {
        thresholdRange.min = range.min
        thresholdRange.max = range.max
        thresholdEnabled.value = true
        tools.tool = 'brush'
      },
      changed: (patch) => {
        if (session === created) mirrorSession(patch)
      }
    })
    return created
  }

  /**
   * Opens a case (saving the open one first). `review`: opened by Next case, so the uncertainty heat
   * map is shown when the case has one and the display setting allows it.
   */
  async function openCase(id: string, options: { review?: boolean } = {}): Promise<void> {
    if (!(await closeCase())) return
    caseId.value = id
    loading.value = true
    resetForCase()
    try {
      // The workspace view mounts (and attaches its viewer) once caseId is set.
      if (!viewer) await nextTick()
      if (!viewer) throw new Error('The viewer is not ready')
      const opened = createSession(id, viewer)
      session = opened
      await opened.open()
      if (session !== opened) return
      // The threshold range starts as the whole range of this image, not the last case's.
      const [low, high] = opened.view.intensityRange
      thresholdRange.min = low
      thresholdRange.max = high
      if (!projects.labels.some((l) => l.id === tools.activeLabel)) tools.activeLabel = projects.labels[0]?.id ?? 1
      display.overlay = options.review && display.heatMapOnNext && opened.view.hasUncertainty ? 'uncertainty' : 'none'
      // A new viewer (the workspace was left and re-entered) starts with its own defaults.
      applyDisplay()
    } catch (cause) {
      session?.dispose()
      session = null
      mirrorSession(emptySessionView())
      mirror.error.value = (cause as Error).message
      caseId.value = null
    } finally {
      loading.value = false
    }
  }

  /** Per-case settings back to their start; the session's own state starts empty with it. */
  function resetForCase(): void {
    thresholdEnabled.value = false
    tools.threshold = null
    thresholdRange.min = 0
    thresholdRange.max = 0
    // Picking reads the image under the cursor: a mode for one case, not a tool to keep.
    if (tools.tool === 'pick-threshold') tools.tool = 'brush'
    display.overlay = 'none'
    display.channel = 0
    display.colour = true
  }

  /** Per-project settings back to their start (label ids and tools mean other things elsewhere). */
  function resetForProject(): void {
    tools.tool = 'brush'
    tools.activeLabel = projects.labels[0]?.id ?? 1
    tools.overwrite = OVERWRITE_ANY
    tools.fillDimension = '2d'
    tools.fillBound = 'label'
    hidden.value = []
    resetForCase()
  }

  watch(
    () => projects.current?.path ?? null,
    (path, previous) => {
      if (path !== previous) resetForProject()
    }
  )

  function replaceWithPrediction(): void {
    session?.replaceWithProposal()
  }

  function noteActivity(): void {
    session?.noteActivity()
  }

  /** The settings the controller sees: threshold applied only while enabled. */
  function effectiveTools(): ToolSettings {
    tools.threshold = thresholdEnabled.value ? { min: thresholdRange.min, max: thresholdRange.max } : null
    return tools
  }

  function undo(): void {
    session?.undo()
  }

  function redo(): void {
    session?.redo()
  }

  /** Runs a tool's action from the registry (interpolate, remove islands…) on the open case. */
  function runAction(actionId: string): void {
    session?.tools?.runAction(actionId)
  }

  /** Esc: the active tool ends what it has in progress (a measurement is cleared). */
  function cancelTool(): void {
    session?.tools?.cancel()
  }

  async function save(): Promise<void> {
    await session?.save()
  }

  async function setStatus(status: CaseStatus): Promise<void> {
    const id = caseId.value
    if (!id) return
    // Accepting saves the edits and records the proposal's review; a failure (shown) keeps the status.
    if (status === 'done' && session && !(await session.accept())) return
    await projects.setStatus(id, status)
  }

  /**
   * Saves and closes the open case. When its edits cannot be saved (refused, disk full) the case
   * stays open once, saying so, so that they are not lost unawares; closing again drops them.
   * False while the case stays open.
   */
  async function closeCase(): Promise<boolean> {
    const open = session
    if (open && open.hasUnsavedWork && !(await open.save()) && closeRefused !== open) {
      closeRefused = open
      mirror.error.value = `${open.view.error ?? 'Your edits could not be saved'} The case stays open so that they are not lost; go back again to close it without them.`
      return false
    }
    closeRefused = null
    // The tools first: what they drew over the views (a ruler's line) goes with the case.
    open?.tools?.dispose()
    open?.dispose()
    session = null
    mirrorSession(emptySessionView())
    caseId.value = null
    return true
  }

  function setTool(tool: ToolName): void {
    tools.tool = tool
    session?.attachTools()
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
    // Under the heat map the labels are drawn as outlines: filled, their colours mixed with the heat
    // colours and neither could be read (issue #15 defect 6). The user's own choice comes back with it off.
    viewer.setLabelStyle(display.opacity, display.outline || display.overlay === 'uncertainty')
    viewer.setColormap(display.colormap)
    if (viewer.getLayout() !== display.layout) viewer.setLayout(display.layout)
    viewer.setOverlay(display.overlay, { opacity: display.uncertaintyOpacity })
    viewer.set3dOptions({ clip: display.clip3d })
  }

  /**
   * The user's layout choice. A one-slice case shows its single view whatever the choice, so the
   * chooser is off there: it says why, and keeps the choice for the next 3D case.
   */
  function setLayout(layout: Layout): void {
    if (mirror.singleSliceView.value) {
      mirror.message.value = ONE_SLICE_TEXT
      return
    }
    display.layout = layout
    applyDisplay()
  }

  function setChannel(channel: number): void {
    display.channel = channel
    viewer?.setChannel(channel)
  }

  /** A colour picture in colour, or its chosen channel in grey (nothing for other cases). */
  function setColour(on: boolean): void {
    display.colour = on
    viewer?.setColour(on)
  }

  function toggleLabelVisibility(id: number): void {
    hidden.value = hidden.value.includes(id) ? hidden.value.filter((h) => h !== id) : [...hidden.value, id]
    viewer?.setLabelTable(paletteEntries(projects.labels))
  }

  async function updateLabelTable(next: LabelDef[]): Promise<void> {
    const manifest = await api.projects.updateLabels(next)
    if (projects.current) projects.current = { ...projects.current, manifest, name: manifest.name }
    viewer?.setLabelTable(paletteEntries(manifest.labels))
    const open = session
    if (!open) return
    // Edits refused for a label the table lacked are sent again now that it may have it.
    open.labelTableChanged()
    const capacity = open.labelCapacity
    if (capacity !== null && largestId(manifest.labels) > capacity) {
      // The editor, the viewer's textures and the edit journal all hold the 8-bit array: reopening
      // (which saves first) is the one path that swaps it for a 16-bit one everywhere at once.
      await openCase(open.caseId)
      mirror.message.value = 'This case\'s label map is now 16-bit, for label ids above 255; its edits were saved and undo starts afresh'
    }
  }

  /** Deleting a label: its voxels become background here (one undo unit), then in every saved label. */
  async function deleteLabel(id: number): Promise<void> {
    if (session?.editor) {
      session.bulkEdit((editor) => {
        reassignLabel(editor, { from: id, to: 0, description: `Delete label ${id}` })
        return null
      })
      await session.save()
    }
    await updateLabelTable(projects.labels.filter((l) => l.id !== id))
    if (tools.activeLabel === id) tools.activeLabel = projects.labels[0]?.id ?? 1
  }

  function resetViews(): void {
    viewer?.resetViews()
  }

  function scrollActive(delta: number): void {
    if (!viewer) return
    // Said, not silently ignored: the keys do nothing in a one-slice case.
    if (mirror.singleSliceView.value) mirror.message.value = ONE_SLICE_TEXT
    else viewer.scrollSlice(viewer.activeView(), delta)
  }

  let openImage: VoxelArray | null = null

  /** The open case's label map, grid and shown image channel, for the label statistics; null while none is open. */
  function caseVoxels(): StatisticsSource | null {
    const editor = session?.editor
    if (!editor || !openImage) return null
    return { labels: editor.labels, grid: editor.grid, image: imageChannel(openImage, editor.grid, display.channel) }
  }

  function inputLatencies(): readonly number[] {
    return viewer?.getInputLatencies() ?? []
  }

  return {
    caseId,
    obliqueDegrees: mirror.obliqueDegrees,
    singleSliceView: mirror.singleSliceView,
    colourPicture: mirror.colourPicture,
    dicomSource: mirror.dicomSource,
    currentCase,
    loading,
    error: mirror.error,
    message: mirror.message,
    tools,
    thresholdEnabled,
    thresholdRange,
    display,
    hidden,
    windowLevel: mirror.windowLevel,
    intensityRange: mirror.intensityRange,
    hover: mirror.hover,
    sync: mirror.sync,
    saveState,
    canUndo: mirror.canUndo,
    canRedo: mirror.canRedo,
    labelCounts: mirror.labelCounts,
    countsFresh: mirror.countsFresh,
    hasPrediction: mirror.hasPrediction,
    hasUncertainty: mirror.hasUncertainty,
    firstFrameMs: mirror.firstFrameMs,
    proposalVersion: mirror.proposalVersion,
    predictionDiffers: mirror.predictionDiffers,
    replaceWithPrediction,
    noteActivity,
    attachViewer,
    openCase,
    closeCase,
    undo,
    redo,
    runAction,
    cancelTool,
    save,
    setStatus,
    setTool,
    setRadius,
    setWindow,
    autoWindow,
    applyDisplay,
    setLayout,
    setChannel,
    setColour,
    toggleLabelVisibility,
    updateLabelTable,
    deleteLabel,
    resetViews,
    scrollActive,
    inputLatencies,
    caseVoxels
  }
})
