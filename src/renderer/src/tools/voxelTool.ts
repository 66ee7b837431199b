/**
 * The one interface every labelling tool implements (see README.md, "Adding a tool"). A tool is a
 * folder: its kernels (pure, unit-tested), a `tool.ts` exporting a `VoxelTool`, and optionally a
 * settings component; `registry.ts` lists the tools. The ToolController delegates pointer events to
 * the active tool, the tool panel builds its buttons and settings from the registry, and the command
 * table (workspace/commands.ts) turns each tool's keys into shortcuts, help-sheet rows and tooltips.
 *
 * Nothing here imports Vue components or the viewer at run time (type imports only), so the
 * registry loads in unit tests; settings components are loaded lazily for the same reason.
 */
import type { Component } from 'vue'
import type { LabelDef } from '../../../shared/project'
import type { Vec3, VoxelArray } from '../../../shared/volume'
import type { ViewName } from '../viewer/viewOrientation'
import type { VoxelPoint } from '../viewer/SliceView'
import type { BrushConfig } from './brush/brush'
import type { ViewAxis } from './core/grid'
import type { OverwriteRule } from './core/paintRules'
import type { IntensityRange } from './core/threshold'
import type { VoxelEditor } from './core/VoxelEditor'
import type { FillConfig } from './fill/fill'

/** A tool's id, e.g. 'brush'; the registry checks that ids are unique. */
export type ToolName = string

/**
 * Settings shared by the tools, as plain data (the workspace keeps them reactive; a tool reads them
 * at each event, since the panel may change them between two events).
 */
export interface ToolSettings {
  /** Id of the active pointer tool. */
  tool: ToolName
  activeLabel: number
  /** Brush and eraser radius, mm; also the neighbourhood of pick-threshold. 0.5..30. */
  radiusMm: number
  shape: BrushConfig['shape']
  overwrite: OverwriteRule
  /** The range painting is limited to: null while "paint only intensities in range" is off. */
  threshold: IntensityRange | null
  /**
   * The range the threshold panel shows, whether or not painting is limited to it: a fill bounded
   * by the threshold range uses this one (issue #15 defect 2).
   */
  thresholdRange: IntensityRange
  fillDimension: FillConfig['dimension']
  fillBound: 'label' | 'intensity'
}

/** What a tool may touch, built by the ToolController for one open case. */
export interface ToolContext {
  readonly editor: VoxelEditor
  /** The live shared settings. */
  settings(): ToolSettings
  /** The image channel on show, as a view (no copy). */
  image(): VoxelArray
  /** The voxel axis (view axis name) a slice view looks along. */
  viewAxis(view: ViewName): ViewAxis
  /** The axis of the view the user last worked in, for actions such as "interpolate". */
  activeAxis(): ViewAxis
  /** Sends the editor's dirty slices to the viewer; `immediate` draws in this frame (strokes). */
  showEdits(options?: { immediate?: boolean }): void
  /** An edit finished (stroke, fill, action): counts, undo state and saving follow. */
  edited(): void
  /** A line for the status bar ("Interpolated 1,234 voxels…"). */
  message(text: string): void
  /** The pick-threshold tool read a range from the image. */
  thresholdPicked(range: IntensityRange): void
  /** Drawing over the slice views (the ruler's line); absent where nothing is on screen (unit tests). */
  readonly screen?: ToolScreen
  /** The open case's shape (a one-slice case turns 3D modes off); absent in unit tests of 3D volumes. */
  openCase?(): OpenCaseShape
}

/** The slice views as a tool that draws over them sees them. */
export interface ToolScreen {
  /** The voxel axis (0 i, 1 j, 2 k) a slice view looks along. */
  sliceAxis(view: ViewName): 0 | 1 | 2
  /** The slice a view shows now (index along its axis). */
  shownSlice(view: ViewName): number
  /** Where a voxel point is drawn in a slice view: CSS pixels from the view's corner; null while the view is hidden. */
  pointOnScreen(view: ViewName, pointIjk: Readonly<Vec3>): { x: number; y: number } | null
  /** The view's element: a tool's drawing layer goes in it, over the image. */
  viewElement(view: ViewName): HTMLElement
}

/** A pointer tool's state for one open case (an open stroke, a measurement). */
export interface ToolHandler {
  /** Left button down on a slice view; true when the tool took the drag (else the view pans). */
  pointerDown?(view: ViewName, point: VoxelPoint, event: PointerEvent): boolean
  pointerMove?(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void
  pointerUp?(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void
  /** Ctrl+wheel; true when used (the brush resizes), false to let the view zoom. */
  wheel?(delta: number): boolean
  /** Radius of the ring drawn at the cursor, mm, or null for none. */
  cursorRadiusMm?(): number | null
  /**
   * Esc, or another tool chosen (unless `deactivate` is given): end what is in progress (an open
   * stroke is kept, as one undo unit) and drop what is only shown (a measurement, a preview).
   */
  cancel?(): void
  /** Another tool chosen, for a tool that keeps something on screen meanwhile (the ruler's last measurement). */
  deactivate?(): void
  /** The case closes: remove what the tool drew. */
  dispose?(): void
}

/** A one-shot operation (interpolate, remove islands): one undo unit, run from a button or key. */
export interface ToolAction {
  /** Unique among all tools' actions and tool ids; the command id is `action.<id>`. */
  id: string
  /** Button text. */
  label: string
  /** Help-sheet text and tooltip. */
  description: string
  /** Shortcut keys in the command table's notation ('i', 'Shift+N', 'Ctrl+Z'). */
  keys?: readonly string[]
  /**
   * Why the action cannot run on the open case, or null when it can. The panel disables its button
   * with this as the tooltip, and its key shows it as the message instead of running the action.
   */
  unavailable?(open: OpenCaseShape): string | null
  run(context: ToolContext): void
}

/** What an action may need to know of the open case's shape. */
export interface OpenCaseShape {
  /** The case has one slice (a 2D image, shown in one view): nothing lies between slices. */
  singleSlice: boolean
}

/**
 * A setting's value that the open case cannot use (the brush's 3D sphere on a one-slice case), why,
 * and the value the tools use instead meanwhile. The user's choice is kept for the next case, as the
 * layout is; the panel disables the choice with the reason, and the tools read `instead`.
 */
export type UnavailableChoice = {
  [K in keyof ToolSettings]: { setting: K; value: ToolSettings[K]; instead: ToolSettings[K]; reason: string }
}[keyof ToolSettings]

/** Props every settings component receives. */
export interface ToolSettingsProps {
  settings: ToolSettings
  labels: readonly LabelDef[]
  /** The choices the open case cannot use, with why (unavailableChoices in the registry); none when absent. */
  unavailable?: readonly UnavailableChoice[]
}

/** Events a settings component emits: `update` patches the shared settings (the panel applies it, clamping the radius). */
export interface ToolSettingsEmits {
  update: [patch: Partial<ToolSettings>]
}

export interface VoxelTool {
  id: ToolName
  /** Button text. */
  label: string
  /** Help-sheet text and tooltip, e.g. 'Brush: paint the active label'. */
  description: string
  /** Keys that choose the tool, in the command table's notation (e.g. ['b']). */
  keys?: readonly string[]
  /**
   * Where the tool panel shows the tool: 'pointer' tools are chosen, then used on the image (a button
   * in the Tools grid); 'threshold' likewise, in the Threshold section (pick-threshold); 'actions'
   * tools only offer one-shot actions (Slices and clean-up).
   */
  section: 'pointer' | 'threshold' | 'actions'
  /** The tool changes labels under the overwrite rule: the panel shows "Paint over" while it is active. */
  paints?: boolean
  /** The tool writes the active label (not background): painting needs that label in the project's table. */
  writesActiveLabel?: boolean
  /**
   * Settings shown while the tool is active (pointer tools) or always (action tools, above their
   * action buttons, which the panel draws). Loaded lazily: `() => import('./BrushSettings.vue')`.
   * Props `ToolSettingsProps`, events `ToolSettingsEmits`; a setting only this tool uses may live
   * in the tool's folder instead (islands/options.ts).
   */
  settingsComponent?: () => Promise<Component | { default: Component }>
  /**
   * Setting values of this tool that a case of this shape cannot use (a 3D mode on a one-slice
   * case), with why and what is used instead: the panel disables them, the tool reads `instead`.
   */
  unavailableChoices?(open: OpenCaseShape): readonly UnavailableChoice[]
  /** Pointer handling for one open case; absent for tools that only have actions. */
  create?(context: ToolContext): ToolHandler
  actions?: readonly ToolAction[]
}
