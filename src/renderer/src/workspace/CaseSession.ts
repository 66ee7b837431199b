import { activeSeconds, correctionEffort, dicePerLabel } from '../../../shared/activeLearning'
import type { CaseData } from '../../../shared/contract'
import { isOblique, obliquityDegrees } from '../../../shared/geometry'
import type { CaseSummary, DicomSource, LabelDef, Modality, ReviewInfo } from '../../../shared/project'
import type { LabelArray, VoxelArray } from '../../../shared/volume'
import { countVoxelsPerLabel, gridFromHeader, maxLabelOf, VoxelEditor, widenLabelsFor, type IntensityRange, type LabelChange } from '../tools'
import type { PaletteEntry } from '../viewer/labelPalette'
import { isColourPicture } from '../viewer/rgbComposite'
import { singleSliceView } from '../viewer/singleSlice'
import type { ViewName } from '../viewer/viewOrientation'
import type { HoverInfo, PointerInteraction, VolumeViewer } from '../viewer/VolumeViewer'
import type { WindowLevel } from '../viewer/windowLevel'
import { EditSync, type EditSyncState } from './EditSync'
import { ToolController, type ToolFeedback, type ToolSettings } from './ToolController'

/** The calls a case session makes: the app's api (useWorkspaceStore), or a test's. */
export interface CaseSessionApi {
  load(caseId: string): Promise<CaseData>
  dicomSource(caseId: string): Promise<DicomSource | null>
  edit(caseId: string, change: LabelChange): Promise<unknown>
  save(caseId: string): Promise<CaseSummary>
  recordReview(caseId: string, review: ReviewInfo): Promise<CaseSummary>
}

/** What a session needs of the viewer (a VolumeViewer; a small fake in unit tests). */
export type SessionViewer = Pick<VolumeViewer, 'load' | 'setLabelStyle' | 'getWindow' | 'getIntensityRange' | 'on' | 'setInteraction' | 'labelsChanged'>

/** Builds the pointer tools for a case's editor and image (toolControllerFactory in the app). */
export type ToolsFactory<T extends PointerInteraction> = (editor: VoxelEditor, image: VoxelArray, feedback: ToolFeedback) => T

/** The one place a ToolController is built: on the live viewer, with the store's tool settings. */
export function toolControllerFactory(viewer: VolumeViewer, settings: () => ToolSettings, channel: () => number): ToolsFactory<ToolController> {
  return (editor, image, feedback) => new ToolController(viewer, editor, image, settings, channel, feedback)
}

/** Everything outside the case a session reads or tells (the project, the view's settings). */
export interface CaseSessionHost<T extends PointerInteraction> {
  api: CaseSessionApi
  viewer: SessionViewer
  tools: ToolsFactory<T>
  /** The project's label table as it is now. */
  labels(): readonly LabelDef[]
  palette(): PaletteEntry[]
  labelStyle(): { opacity: number; outline: boolean }
  modality(): Modality | undefined
  /** The project's channel names (a one-slice case whose three are red, green, blue opens in colour). */
  channelNames(): readonly string[]
  /** The case's row in the project's list (unsaved edits, the prediction's model). */
  summary(): CaseSummary | null
  /** The label the user is about to paint with (painting a label the table lacks is refused). */
  settings(): Pick<ToolSettings, 'activeLabel'>
  /** A saved label or a recorded review changed the case's row. */
  caseChanged(summary: CaseSummary): void
  thresholdPicked(range: IntensityRange): void
  /** The session's small state changed (only the fields given); the store mirrors them for the view. */
  changed(patch: Partial<CaseSessionView>): void
  now?: () => number
  /** Voxel counts wait this long after the last edit (ms). */
  countDelayMs?: number
}

/** The session's state the screen shows: small values only (the voxels stay in the session). */
export interface CaseSessionView {
  sync: EditSyncState
  saving: boolean
  dirty: boolean
  canUndo: boolean
  canRedo: boolean
  message: string | null
  error: string | null
  hover: HoverInfo | null
  windowLevel: WindowLevel
  /** The image's intensity range (the threshold range starts here). */
  intensityRange: [number, number]
  firstFrameMs: number | null
  /** The grid's tilt from the scanner axes in degrees when oblique, else null (the views show voxel axes). */
  obliqueDegrees: number | null
  /**
   * The view a one-slice case (a 2D image) is shown in alone, or null for a 3D case: the layout
   * chooser, slice scrolling and actions across slices are off while it is set (singleSlice.ts).
   */
  singleSliceView: ViewName | null
  /** The case is a colour picture (rgbComposite.ts): it opens in colour, and may be shown one channel in grey. */
  colourPicture: boolean
  /** The case's DICOM identifiers (patient, study, series) when it came from DICOM, else null. */
  dicomSource: DicomSource | null
  hasPrediction: boolean
  hasUncertainty: boolean
  /** The model version whose prediction is loaded as the proposal, or null. */
  proposalVersion: string | null
  /** The case has both a human label and a different prediction: replacing needs confirmation. */
  predictionDiffers: boolean
  labelCounts: ReadonlyMap<number, number>
  /** False while a recount is pending after an edit (tests and the UI can wait for fresh counts). */
  countsFresh: boolean
}

export function emptySessionView(): CaseSessionView {
  return {
    sync: { pending: 0, error: null, errorCode: null, refused: false },
    saving: false,
    dirty: false,
    canUndo: false,
    canRedo: false,
    message: null,
    error: null,
    hover: null,
    windowLevel: { center: 0, width: 1 },
    intensityRange: [0, 1],
    firstFrameMs: null,
    obliqueDegrees: null,
    singleSliceView: null,
    colourPicture: false,
    dicomSource: null,
    hasPrediction: false,
    hasUncertainty: false,
    proposalVersion: null,
    predictionDiffers: false,
    labelCounts: new Map(),
    countsFresh: false
  }
}

/**
 * One open case: its label in a voxel editor, the edits' way to the crash journal, the pointer
 * tools, the model's proposal and the reviewer's activity. Plain TypeScript (no Vue, no Pinia):
 * the store creates one per opened case, mirrors `view` through `host.changed`, and disposes it.
 */
/** The pointer tools a session drives; `toolChanged` lets the previous tool end when the tool changes. */
export interface SessionTools extends PointerInteraction {
  toolChanged?(): void
}

export class CaseSession<T extends SessionTools = SessionTools> {
  private editorInstance: VoxelEditor | null = null
  private editSync: EditSync | null = null
  private labels: LabelArray | null = null
  private proposal: LabelArray | null = null
  private toolsInstance: T | null = null
  /** Times of the reviewer's actions on this case, for the active time spent on it. */
  private activity: number[] = []
  private readonly unsubscribers: Array<() => void> = []
  private countTimer: ReturnType<typeof setTimeout> | null = null
  private disposed = false
  /** `view.error` holds the refusal's explanation (cleared once the edits are recorded). */
  private refusalShown = false
  private state: CaseSessionView = emptySessionView()

  constructor(
    readonly caseId: string,
    private readonly host: CaseSessionHost<T>
  ) {}

  get view(): Readonly<CaseSessionView> {
    return this.state
  }

  /** The voxel editor of the open case (null before `open` resolves). */
  get editor(): VoxelEditor | null {
    return this.editorInstance
  }

  /** The case's pointer tools (their actions run from buttons and keys), null before `open`. */
  get tools(): T | null {
    return this.toolsInstance
  }

  /** The largest label id the case's label map in memory can hold (255 or 65535), or null before `open`. */
  get labelCapacity(): number | null {
    return this.labels ? maxLabelOf(this.labels) : null
  }

  /** Edits not yet saved to the label file, or not yet acknowledged by the journal. */
  get hasUnsavedWork(): boolean {
    return this.state.dirty || this.state.sync.pending > 0
  }

  private get now(): number {
    return (this.host.now ?? Date.now)()
  }

  private set(patch: Partial<CaseSessionView>): void {
    this.state = { ...this.state, ...patch }
    this.host.changed(patch)
  }

  /** Loads the case into the viewer and the editor; the prediction of an empty label becomes its draft. */
  async open(): Promise<void> {
    const { api, viewer } = this.host
    const [data, source] = await Promise.all([api.load(this.caseId), api.dicomSource(this.caseId)])
    if (this.disposed) return
    // Follow the table, not only the file: a table naming ids above 255 (or a 16-bit prediction)
    // needs a 16-bit map in memory even when the saved label is 8-bit.
    const largest = this.host.labels().reduce((max, l) => Math.max(max, l.id), 0)
    const labels = widenLabelsFor(data.label.data, Math.max(largest, data.prediction ? maxLabelOf(data.prediction.data) : 0))
    this.labels = labels
    const editor = new VoxelEditor(labels, gridFromHeader(data.image.header))
    this.editorInstance = editor
    this.editSync = new EditSync(
      (change) => api.edit(this.caseId, change),
      (sync) => this.syncChanged(sync)
    )
    this.unsubscribers.push(
      editor.onChange((change) => {
        this.editSync?.push(change)
        this.activity.push(this.now)
        this.set({ dirty: true, canUndo: editor.canUndo, canRedo: editor.canRedo })
      })
    )
    const summary = this.host.summary()
    this.proposal = data.prediction?.data ?? null
    this.activity = [this.now]
    const modality = this.host.modality()
    const colourPicture = isColourPicture(data.image.header, this.host.channelNames())
    viewer.load(
      { image: data.image, labels, prediction: data.prediction?.data ?? null, uncertainty: data.uncertainty },
      { labels: this.host.palette(), colourPicture, ...(modality === 'CT' ? { window: { center: 50, width: 400 } } : {}) }
    )
    const style = this.host.labelStyle()
    viewer.setLabelStyle(style.opacity, style.outline)
    this.set({
      dicomSource: source,
      obliqueDegrees: isOblique(data.image.header.rasFromIjk) ? obliquityDegrees(data.image.header.rasFromIjk) : null,
      singleSliceView: singleSliceView(data.image.header.dims, data.image.header.rasFromIjk),
      colourPicture,
      dirty: summary?.hasUnsavedEdits ?? false,
      hasPrediction: data.prediction !== null,
      hasUncertainty: data.uncertainty !== null,
      proposalVersion: this.proposal ? (summary?.prediction?.modelVersion ?? 'unknown') : null,
      predictionDiffers: false,
      windowLevel: viewer.getWindow(),
      intensityRange: viewer.getIntensityRange()
    })
    this.unsubscribers.push(
      viewer.on('hover', (hover) => this.set({ hover })),
      viewer.on('window', (windowLevel) => this.set({ windowLevel })),
      viewer.on('frame', (f) => this.set({ firstFrameMs: f.firstFrameMs }))
    )
    this.toolsInstance = this.host.tools(editor, data.image.data, {
      edited: () => this.refreshCounts(),
      message: (text) => this.set({ message: text }),
      thresholdPicked: (range) => this.host.thresholdPicked(range),
      paintRefusal: () => this.paintRefusal(),
      withdrawMessage: (text) => {
        if (this.state.message === text) this.set({ message: null })
      }
    })
    viewer.setInteraction(this.toolsInstance)
    if (this.proposal) {
      if (isEmpty(labels)) {
        // The model's proposal becomes the editable draft: one undo unit, journalled like any edit.
        this.loadProposal('Load prediction as draft')
        this.set({ message: `Prediction of model ${this.state.proposalVersion} loaded as a draft: correct it, then press Done (D)` })
      } else {
        this.set({ predictionDiffers: !sameLabels(labels, this.proposal) })
      }
    }
    this.refreshCounts()
  }

  /** Re-installs the pointer tools on the viewer (a tool change redraws the cursor ring). */
  /** The tool changed (panel or key): the previous tool ends now, not at the next pointer event. */
  attachTools(): void {
    this.toolsInstance?.toolChanged?.()
    if (this.toolsInstance) this.host.viewer.setInteraction(this.toolsInstance)
  }

  noteActivity(): void {
    this.activity.push(this.now)
  }

  undo(): void {
    if (this.editorInstance?.undo()) this.afterBulkEdit()
    // An undone refused stroke may leave nothing the project refuses.
    this.editSync?.retry()
  }

  redo(): void {
    if (this.editorInstance?.redo()) this.afterBulkEdit()
    this.editSync?.retry()
  }

  /** A tool's action or any bulk operation finished: the views, counts and undo state follow. */
  edited(): void {
    this.afterBulkEdit()
  }

  /** A bulk operation on the label (interpolate, islands, delete a label); its message is shown. */
  bulkEdit(operation: (editor: VoxelEditor) => string | null): void {
    if (!this.editorInstance) return
    const message = operation(this.editorInstance)
    if (message !== null) this.set({ message })
    this.afterBulkEdit()
  }

  /** After explicit confirmation: the prediction replaces the human label (undoable; the old one stays in history). */
  replaceWithProposal(): void {
    this.loadProposal('Replace label with prediction')
    this.set({ predictionDiffers: false, message: 'The prediction replaced your label. Undo (Ctrl+Z) brings yours back.' })
  }

  /** The label table changed: refused edits (a label that was missing) are sent again. */
  labelTableChanged(): void {
    this.editSync?.retry()
  }

  /** Writes every edit to the journal, then the label file; false (with `view.error` set) when that failed. */
  async save(): Promise<boolean> {
    const sync = this.editSync
    if (!sync) return false
    this.set({ saving: true })
    try {
      await sync.flush()
      const summary = await this.host.api.save(this.caseId)
      this.host.caseChanged(summary)
      this.editorInstance?.markSaved()
      this.set({ dirty: false, error: null })
      return true
    } catch (cause) {
      this.set({ error: sync.current.refused ? this.refusalText() : (cause as Error).message })
      return false
    } finally {
      this.set({ saving: false })
    }
  }

  /**
   * Accepting the case: its edits saved, and when it was a model's proposal, how much it needed
   * changing (effort, Dice, active time) recorded — the loop's measure of progress.
   */
  async accept(): Promise<boolean> {
    if (this.hasUnsavedWork && !(await this.save())) return false
    const { proposal, labels } = this
    const version = this.state.proposalVersion
    if (!proposal || !labels || !version) return true
    try {
      const effort = correctionEffort(proposal, labels)
      const review = await this.host.api.recordReview(this.caseId, {
        modelVersion: version,
        voxelsChanged: effort.voxelsChanged,
        perLabel: effort.perLabel,
        dice: dicePerLabel(proposal, labels, this.host.labels().map((l) => l.id)),
        seconds: activeSeconds([...this.activity, this.now]),
        curatedAt: new Date(this.now).toISOString()
      })
      this.host.caseChanged(review)
      return true
    } catch (cause) {
      this.set({ error: (cause as Error).message })
      return false
    }
  }

  /** Lets go of the editor, the journal queue and the viewer's tools (call `save` first to keep edits). */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    if (this.countTimer) clearTimeout(this.countTimer)
    this.countTimer = null
    this.host.viewer.setInteraction(null)
    for (const off of this.unsubscribers.splice(0)) off()
    this.editSync?.dispose()
    this.editSync = null
    this.editorInstance?.dispose()
    this.editorInstance = null
    this.toolsInstance = null
    this.labels = null
    this.proposal = null
  }

  private syncChanged(sync: EditSyncState): void {
    const wasRefused = this.state.sync.refused
    this.set({ sync })
    // A refusal is said once, in words that say what to do; the header keeps showing its state.
    if (sync.refused && !wasRefused) {
      this.refusalShown = true
      this.set({ error: this.refusalText() })
    } else if (!sync.error && this.refusalShown) {
      this.refusalShown = false
      this.set({ error: null })
    }
  }

  /** Why the journal refused the pending edits, and the way out. */
  private refusalText(): string {
    const table = new Set(this.host.labels().map((l) => l.id))
    const missing = [...(this.editSync?.pendingValues() ?? [])].filter((v) => !table.has(v)).sort((a, b) => a - b)
    if (missing.length > 0) {
      const which = missing.length === 1 ? `Label ${missing[0]} is` : `Labels ${missing.join(', ')} are`
      return `${which} not in this project's label table, so your last strokes are not recorded yet. They are kept here: add the label in the Labels panel to save them, or undo them.`
    }
    return `Your last edits were refused: ${this.editSync?.current.error ?? 'unknown reason'}. They are kept in this window until the cause is fixed.`
  }

  /**
   * Why the active label cannot be painted now, or null when it can. The ToolController asks before a
   * press of a tool that writes the active label (the registry's `writesActiveLabel`).
   */
  private paintRefusal(): string | null {
    const { activeLabel } = this.host.settings()
    const labels = this.host.labels()
    if (labels.length === 0) return 'Add a label first: this project has no label to paint with (Labels panel → New label name → Add)'
    if (!labels.some((l) => l.id === activeLabel)) return `Label ${activeLabel} is not in this project's label table: choose one in the Labels panel, or add it first`
    return null
  }

  /** Writes the proposal into the label through the editor (only voxels that differ). */
  private loadProposal(description: string): void {
    const { editorInstance: editor, labels, proposal } = this
    if (!editor || !labels || !proposal) return
    const changed: number[] = []
    for (let i = 0; i < proposal.length; i++) if (labels[i] !== proposal[i]) changed.push(i)
    const indices = Uint32Array.from(changed)
    const values = proposal instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length)
    for (let n = 0; n < indices.length; n++) values[n] = proposal[indices[n] as number] as number
    editor.applyEdit(description, (e) => e.write(indices, values))
    this.afterBulkEdit()
  }

  private afterBulkEdit(): void {
    const region = this.editorInstance?.takeDirty()
    if (region) this.host.viewer.labelsChanged({ slices: [new Set(region.sagittal), new Set(region.coronal), new Set(region.axial)] })
    this.refreshCounts()
  }

  /**
   * Voxel counts per label touch every voxel (a quarter second on 512×512×300), so they are
   * recounted once editing pauses, never between the strokes of a fast user.
   */
  private refreshCounts(): void {
    const editor = this.editorInstance
    this.set({ canUndo: editor?.canUndo ?? false, canRedo: editor?.canRedo ?? false, countsFresh: false })
    if (this.countTimer) clearTimeout(this.countTimer)
    this.countTimer = setTimeout(() => {
      this.countTimer = null
      if (this.labels) this.set({ labelCounts: countVoxelsPerLabel(this.labels), countsFresh: true })
    }, this.host.countDelayMs ?? 400)
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
