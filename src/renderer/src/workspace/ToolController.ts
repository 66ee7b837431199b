import type { VoxelArray } from '../../../shared/volume'
import { imageChannel, viewAxisOfNormal, type IntensityRange, type VoxelEditor } from '../tools'
import { findAction, findTool, type OpenCaseShape, type ToolContext, type ToolHandler, type ToolSettings } from '../tools/registry'
import type { ToolScreen } from '../tools/voxelTool'
import type { PointerInteraction, VolumeViewer } from '../viewer/VolumeViewer'
import type { ViewName } from '../viewer/viewOrientation'
import type { VoxelPoint } from '../viewer/SliceView'

export { clampRadius } from '../tools/brush/tool'
export type { ToolName, ToolSettings } from '../tools/registry'

/** What the controller needs of the viewer (a VolumeViewer; a small fake in unit tests). */
export type ToolViewer = Pick<VolumeViewer, 'sliceAxisOf' | 'activeView' | 'labelsChanged'> &
  Partial<Pick<VolumeViewer, 'getCursor' | 'screenPointOf' | 'cellOf' | 'singleSliceView'>>

export interface ToolFeedback {
  /** A label edit finished (stroke, fill, action): the store syncs and refreshes counts. */
  edited(): void
  message(text: string): void
  thresholdPicked(range: IntensityRange): void
  /**
   * Why the active label cannot be painted now (the project's label table lacks it), or null. Asked
   * before a press reaches a tool whose registry entry `writesActiveLabel`: a refusal is shown as the
   * message and the press is taken without painting (the stroke would paint invisibly and be refused
   * by the journal).
   */
  paintRefusal(): string | null
  /** Clears the message if it still reads `text` (a refusal that a press going through made out of date). */
  withdrawMessage(text: string): void
}

/**
 * Hands the viewer's pointer events to the active tool of the registry (tools/registry.ts) and runs
 * tools' actions, giving each a ToolContext over this case's editor, image and viewer. Every change
 * goes through the editor (one undo unit per stroke, fill or action); only the slices it marks dirty
 * are re-uploaded. Each tool's handler is made once per case, on first use.
 */
export class ToolController implements PointerInteraction {
  private readonly handlers = new Map<string, ToolHandler>()
  private activeId: string | null = null
  private readonly context: ToolContext
  /** The refusal last shown by a press, withdrawn once a press goes through. */
  private shownRefusal: string | null = null

  constructor(
    private readonly viewer: ToolViewer,
    editor: VoxelEditor,
    image: VoxelArray,
    settings: () => ToolSettings,
    channel: () => number,
    private readonly feedback: ToolFeedback
  ) {
    this.context = {
      editor,
      settings,
      image: () => imageChannel(image, editor.grid, channel()),
      viewAxis: (view) => viewAxisOfNormal(viewer.sliceAxisOf(view)),
      activeAxis: () => viewAxisOfNormal(viewer.sliceAxisOf(viewer.activeView())),
      showEdits: (options = {}) => {
        const dirty = editor.takeDirty()
        if (dirty) viewer.labelsChanged({ slices: [new Set(dirty.sagittal), new Set(dirty.coronal), new Set(dirty.axial)] }, options)
      },
      edited: () => feedback.edited(),
      message: (text) => feedback.message(text),
      thresholdPicked: (range) => feedback.thresholdPicked(range),
      screen: screenOf(viewer),
      openCase: () => this.openCase()
    }
  }

  /**
   * A press goes to the active tool, unless that tool writes the active label and the case refuses
   * the label: then the refusal is shown and the press taken (the view does not pan), the tool untouched.
   */
  pointerDown(view: ViewName, point: VoxelPoint, event: PointerEvent): boolean {
    const refusal = findTool(this.context.settings().tool)?.writesActiveLabel ? this.feedback.paintRefusal() : null
    if (refusal !== null) {
      this.shownRefusal = refusal
      this.feedback.message(refusal)
      return true
    }
    // Once a press goes through, "add a label first" is out of date.
    if (this.shownRefusal !== null) {
      this.feedback.withdrawMessage(this.shownRefusal)
      this.shownRefusal = null
    }
    return this.handler()?.pointerDown?.(view, point, event) ?? false
  }

  pointerMove(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void {
    this.handler()?.pointerMove?.(view, point, event)
  }

  pointerUp(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void {
    this.handler()?.pointerUp?.(view, point, event)
  }

  wheel(delta: number): boolean {
    return this.handler()?.wheel?.(delta) ?? false
  }

  cursorRadiusMm(): number | null {
    return this.handler()?.cursorRadiusMm?.() ?? null
  }

  /**
   * Runs a tool's action (interpolate, remove islands…) by its id; false when no tool offers it.
   * An action the open case cannot take (interpolation in a one-slice case) says why instead.
   */
  runAction(actionId: string): boolean {
    const found = findAction(actionId)
    if (!found) return false
    const unavailable = found.action.unavailable?.(this.openCase()) ?? null
    if (unavailable !== null) {
      this.feedback.message(unavailable)
      return true
    }
    // An action is one undo unit of its own: a stroke still open (a key pressed mid-drag) ends first.
    this.deactivateActive()
    found.action.run(this.context)
    return true
  }

  /** The open case's shape, as the tools and actions see it. */
  private openCase(): OpenCaseShape {
    return { singleSlice: (this.viewer.singleSliceView?.() ?? null) !== null }
  }

  /**
   * Esc: the tools end what they have in progress and drop what they only show; all of them, since a
   * measurement stays on screen while another tool is in use.
   */
  cancel(): void {
    for (const handler of this.handlers.values()) handler.cancel?.()
  }

  /**
   * The panel or a key chose another tool: the previous one ends what it has in progress now (a
   * grow-from-seeds preview would otherwise stay on screen until the next pointer event).
   */
  toolChanged(): void {
    this.handler()
  }

  /** The case closes: each tool removes what it drew (call before the editor is disposed). */
  dispose(): void {
    for (const handler of this.handlers.values()) handler.dispose?.()
    this.handlers.clear()
    this.activeId = null
  }

  /** The active tool ends what is in progress; what it shows may stay (`deactivate`), else it cancels. */
  private deactivateActive(): void {
    const handler = this.activeId ? this.handlers.get(this.activeId) : undefined
    if (handler?.deactivate) handler.deactivate()
    else handler?.cancel?.()
  }

  /**
   * The active tool's handler for this case. A change of tool seen here (the panel or a key switched
   * it between two events) first lets the previous tool finish.
   */
  private handler(): ToolHandler | null {
    const id = this.context.settings().tool
    if (id !== this.activeId) {
      this.deactivateActive()
      this.activeId = id
    }
    let handler = this.handlers.get(id)
    if (!handler) {
      const tool = findTool(id)
      if (!tool?.create) return null
      handler = tool.create(this.context)
      this.handlers.set(id, handler)
    }
    return handler
  }
}

/** The viewer as tools that draw see it, when it can tell where points are on screen (not a unit test's fake). */
function screenOf(viewer: ToolViewer): ToolScreen | undefined {
  const { getCursor, screenPointOf, cellOf } = viewer
  if (!getCursor || !screenPointOf || !cellOf) return undefined
  return {
    sliceAxis: (view) => viewer.sliceAxisOf(view),
    shownSlice: (view) => getCursor.call(viewer)[viewer.sliceAxisOf(view)],
    pointOnScreen: (view, pointIjk) => screenPointOf.call(viewer, view, pointIjk),
    viewElement: (view) => cellOf.call(viewer, view)
  }
}
