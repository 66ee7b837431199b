import type { Vec3 } from '../../../../shared/volume'
import { choiceFor, OPEN_3D } from '../core/caseChoices'
import type { OpenCaseShape, ToolSettings, UnavailableChoice, VoxelTool } from '../voxelTool'
import { applyFill, type FillBound } from './fill'

/** Largest region one click fills; a leak past it (an open outline in 3D) changes nothing. */
export const FILL_MAX_VOXELS = 5_000_000

/**
 * The bound a fill uses. "The threshold range" is the range the panel shows, whether or not
 * "paint only intensities in range" is ticked: that box limits painting, and a fill bounded by a
 * range that silently fell back to no bound flooded the whole volume (issue #15 defect 2).
 */
export function fillBoundOf(settings: Readonly<ToolSettings>): FillBound {
  if (settings.fillBound === 'label') return { kind: 'label' }
  return { kind: 'intensity', range: { min: settings.thresholdRange.min, max: settings.thresholdRange.max } }
}

/** Why the 3D fill is off on a one-slice case (the button's tooltip and the note under it). */
export const FILL_3D_ON_ONE_SLICE = '3D fill off: this 2D image has one slice, so the fill works in 2D'

/** On a one-slice case a 3D fill is the 2D fill by another name: only 2D is offered there. */
export function fillChoices(open: OpenCaseShape): readonly UnavailableChoice[] {
  return open.singleSlice ? [{ setting: 'fillDimension', value: '3d', instead: '2d', reason: FILL_3D_ON_ONE_SLICE }] : []
}

export const fillTool: VoxelTool = {
  id: 'fill',
  label: 'Fill',
  description: 'Fill: flood the region under the click (2D or 3D), bounded by label edges or the threshold range',
  keys: ['f'],
  section: 'pointer',
  paints: true,
  writesActiveLabel: true,
  settingsComponent: () => import('./FillSettings.vue'),
  unavailableChoices: fillChoices,
  create: (context) => ({
    pointerDown(view, point) {
      const settings = context.settings()
      const bound = fillBoundOf(settings)
      const result = applyFill(context.editor, {
        seedIjk: point.map((v) => Math.round(v)) as Vec3,
        axis: context.viewAxis(view),
        value: settings.activeLabel,
        image: bound.kind === 'intensity' ? context.image() : null,
        config: { dimension: choiceFor(settings, 'fillDimension', fillChoices(context.openCase?.() ?? OPEN_3D)), bound, overwrite: settings.overwrite, maxVoxels: FILL_MAX_VOXELS }
      })
      if (result.aborted) context.message('Fill stopped: the region is larger than 5 million voxels. Close the outline or use a 2D fill.')
      context.showEdits({ immediate: true })
      context.edited()
      return true
    }
  })
}
