import type { Vec3 } from '../../../../shared/volume'
import type { ViewAxis } from '../core/grid'
import { eraseSegment } from '../eraser/eraser'
import { choiceFor, OPEN_3D } from '../core/caseChoices'
import type { OpenCaseShape, ToolContext, ToolHandler, UnavailableChoice, VoxelTool } from '../voxelTool'
import { BRUSH_RADIUS_RANGE_MM, paintSegment, type BrushConfig } from './brush'

/** The brush radius kept within the slider's range (mm). */
export function clampRadius(radiusMm: number): number {
  return Math.min(BRUSH_RADIUS_RANGE_MM.max, Math.max(0.5, radiusMm))
}

/** Why the 3D sphere is off on a one-slice case (the button's tooltip and the note under it). */
export const SPHERE_ON_ONE_SLICE = '3D sphere off: this 2D image has one slice, so the brush paints 2D disks'

/**
 * The brush's footprint shapes the open case cannot use: on a one-slice case the sphere would be
 * cut to the disk it crosses the slice in (a smaller one when the slice is thin), so the disk is
 * what is painted and offered. Shared by the eraser and the grow-from-seeds seeds (same setting).
 */
export function brushChoices(open: OpenCaseShape): readonly UnavailableChoice[] {
  return open.singleSlice ? [{ setting: 'shape', value: 'sphere', instead: 'disk', reason: SPHERE_ON_ONE_SLICE }] : []
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
    const shape = choiceFor(settings, 'shape', brushChoices(context.openCase?.() ?? OPEN_3D))
    const config: BrushConfig = { radiusMm: settings.radiusMm, shape, overwrite: settings.overwrite, threshold: settings.threshold }
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
  unavailableChoices: brushChoices,
  create: (context) => createStrokeHandler(context, 'paint')
}
