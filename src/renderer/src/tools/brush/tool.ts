import type { Vec3 } from '../../../../shared/volume'
import type { ViewAxis } from '../core/grid'
import { eraseSegment } from '../eraser/eraser'
import type { ToolContext, ToolHandler, VoxelTool } from '../voxelTool'
import { BRUSH_RADIUS_RANGE_MM, paintSegment, type BrushConfig } from './brush'

/** The brush radius kept within the slider's range (mm). */
export function clampRadius(radiusMm: number): number {
  return Math.min(BRUSH_RADIUS_RANGE_MM.max, Math.max(0.5, radiusMm))
}

/**
 * Brush and eraser strokes: pointer down opens a stroke (one undo unit), each move paints the
 * capsule from the last sample, pointer up closes it. Ctrl+wheel resizes.
 */
export function createStrokeHandler(context: ToolContext, mode: 'paint' | 'erase'): ToolHandler {
  let last: Vec3 | null = null
  let axis: ViewAxis = 'axial'

  const paint = (from: Vec3, to: Vec3): void => {
    const settings = context.settings()
    const config: BrushConfig = { radiusMm: settings.radiusMm, shape: settings.shape, overwrite: settings.overwrite, threshold: settings.threshold }
    const image = settings.threshold ? context.image() : null
    if (mode === 'erase') eraseSegment(context.editor, { fromIjk: from, toIjk: to, axis, config, image })
    else paintSegment(context.editor, { fromIjk: from, toIjk: to, axis, config, value: settings.activeLabel, image })
    context.showEdits({ immediate: true })
  }

  const finish = (): void => {
    if (!last) return
    last = null
    context.editor.endStroke()
    context.edited()
  }

  return {
    pointerDown(view, point) {
      axis = context.viewAxis(view)
      context.editor.beginStroke(mode === 'erase' ? 'Erase' : `Paint label ${context.settings().activeLabel}`)
      last = [...point]
      paint(point, point)
      return true
    },
    pointerMove(_view, point) {
      if (!last || !point) return
      paint(last, point)
      last = [...point]
    },
    pointerUp: () => finish(),
    wheel(delta) {
      const settings = context.settings()
      settings.radiusMm = clampRadius(settings.radiusMm * (delta > 0 ? 1.15 : 1 / 1.15))
      return true
    },
    cursorRadiusMm: () => context.settings().radiusMm,
    // A key that switches tools mid-drag keeps what was painted, as its own undo unit.
    cancel: () => finish()
  }
}

export const brushTool: VoxelTool = {
  id: 'brush',
  label: 'Brush',
  description: 'Brush: paint the active label',
  keys: ['b'],
  section: 'pointer',
  paints: true,
  writesActiveLabel: true,
  settingsComponent: () => import('./BrushSettings.vue'),
  create: (context) => createStrokeHandler(context, 'paint')
}
