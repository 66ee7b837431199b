import type { Vec3, VoxelArray } from '../../../shared/volume'
import {
  applyFill,
  BRUSH_RADIUS_RANGE_MM,
  brushFootprint,
  eraseSegment,
  imageChannel,
  paintSegment,
  rangeAroundCursor,
  viewAxisOfNormal,
  type BrushConfig,
  type FillConfig,
  type IntensityRange,
  type OverwriteRule,
  type VoxelEditor
} from '../tools'
import type { PointerInteraction, VolumeViewer } from '../viewer/VolumeViewer'
import type { ViewName } from '../viewer/viewOrientation'
import type { VoxelPoint } from '../viewer/SliceView'

export type ToolName = 'navigate' | 'brush' | 'eraser' | 'fill' | 'pick-threshold'

export interface ToolSettings {
  tool: ToolName
  activeLabel: number
  radiusMm: number
  shape: BrushConfig['shape']
  overwrite: OverwriteRule
  threshold: IntensityRange | null
  fillDimension: FillConfig['dimension']
  fillBound: 'label' | 'intensity'
}

export interface ToolFeedback {
  /** A label edit finished (stroke, fill): the store syncs and refreshes counts. */
  edited(): void
  message(text: string): void
  thresholdPicked(range: IntensityRange): void
}

/**
 * Turns pointer events from the viewer into voxel-editor operations for the active tool. Every
 * change goes through the editor (one undo unit per stroke or fill), and only the slices it marks
 * dirty are re-uploaded.
 */
export class ToolController implements PointerInteraction {
  private last: Vec3 | null = null
  private strokeAxis: ReturnType<typeof viewAxisOfNormal> = 'axial'

  constructor(
    private readonly viewer: VolumeViewer,
    private readonly editor: VoxelEditor,
    private readonly image: VoxelArray,
    private readonly settings: () => ToolSettings,
    private readonly channel: () => number,
    private readonly feedback: ToolFeedback
  ) {}

  pointerDown(view: ViewName, point: VoxelPoint, _event: PointerEvent): boolean {
    const settings = this.settings()
    const axis = viewAxisOfNormal(this.viewer.sliceAxisOf(view))
    if (settings.tool === 'navigate') return false
    if (settings.tool === 'pick-threshold') {
      this.pickThreshold(point, axis)
      return true
    }
    if (settings.tool === 'fill') {
      this.fill(point, axis)
      return true
    }
    this.strokeAxis = axis
    this.editor.beginStroke(settings.tool === 'eraser' ? 'Erase' : `Paint label ${settings.activeLabel}`)
    this.last = [...point]
    this.paint(point, point)
    return true
  }

  pointerMove(_view: ViewName, point: VoxelPoint | null): void {
    if (!this.last || !point) return
    this.paint(this.last, point)
    this.last = [...point]
  }

  pointerUp(): void {
    if (!this.last) return
    this.last = null
    this.editor.endStroke()
    this.feedback.edited()
  }

  wheel(delta: number): boolean {
    const settings = this.settings()
    if (settings.tool !== 'brush' && settings.tool !== 'eraser') return false
    settings.radiusMm = clampRadius(settings.radiusMm * (delta > 0 ? 1.15 : 1 / 1.15))
    return true
  }

  cursorRadiusMm(): number | null {
    const settings = this.settings()
    return settings.tool === 'brush' || settings.tool === 'eraser' ? settings.radiusMm : null
  }

  private channelImage(): VoxelArray {
    return imageChannel(this.image, this.editor.grid, this.channel())
  }

  private paint(from: Vec3, to: Vec3): void {
    const settings = this.settings()
    const config: BrushConfig = {
      radiusMm: settings.radiusMm,
      shape: settings.shape,
      overwrite: settings.overwrite,
      threshold: settings.threshold
    }
    const image = settings.threshold ? this.channelImage() : null
    if (settings.tool === 'eraser') eraseSegment(this.editor, { fromIjk: from, toIjk: to, axis: this.strokeAxis, config, image })
    else paintSegment(this.editor, { fromIjk: from, toIjk: to, axis: this.strokeAxis, config, value: settings.activeLabel, image })
    this.pushDirty()
  }

  private fill(point: VoxelPoint, axis: ReturnType<typeof viewAxisOfNormal>): void {
    const settings = this.settings()
    const seed = point.map((v) => Math.round(v)) as Vec3
    const bound = settings.fillBound === 'intensity' && settings.threshold ? { kind: 'intensity' as const, range: settings.threshold } : { kind: 'label' as const }
    const result = applyFill(this.editor, {
      seedIjk: seed,
      axis,
      value: settings.activeLabel,
      image: bound.kind === 'intensity' ? this.channelImage() : null,
      config: { dimension: settings.fillDimension, bound, overwrite: settings.overwrite, maxVoxels: 5_000_000 }
    })
    if (result.aborted) this.feedback.message('Fill stopped: the region is larger than 5 million voxels. Close the outline or use a 2D fill.')
    this.pushDirty()
    this.feedback.edited()
  }

  private pickThreshold(point: VoxelPoint, axis: ReturnType<typeof viewAxisOfNormal>): void {
    const settings = this.settings()
    const grid = this.editor.grid
    const seed = point.map((v) => Math.round(v)) as Vec3
    const neighbourhood = brushFootprint(grid, { centerIjk: seed, radiusMm: settings.radiusMm, shape: 'disk', axis })
    const cursorIndex = seed[0] + grid.dims[0] * (seed[1] + grid.dims[1] * seed[2])
    this.feedback.thresholdPicked(rangeAroundCursor(this.channelImage(), { cursorIndex, neighbourhood }))
  }

  private pushDirty(): void {
    const dirty = this.editor.takeDirty()
    if (!dirty) return
    this.viewer.labelsChanged({ slices: [new Set(dirty.sagittal), new Set(dirty.coronal), new Set(dirty.axial)] }, { immediate: true })
  }
}

export function clampRadius(radiusMm: number): number {
  return Math.min(BRUSH_RADIUS_RANGE_MM.max, Math.max(0.5, radiusMm))
}
