import type { Vec3 } from '../../../../shared/volume'
import { normalAxisOf } from '../core/grid'
import type { VoxelTool } from '../voxelTool'
import { RulerLayer, type Measurement } from './RulerLayer'
import { distanceMm, formatLength } from './ruler'

/** Ends closer than this (voxels) are one click, not a drag: the second click sets the far end. */
const CLICK_VOXELS = 0.5

/**
 * Ruler: the distance in mm between two points of a slice view, by dragging from one to the other
 * or by two clicks. The line and its length stay, over other tools too, until the next measurement
 * or Esc.
 */
export const rulerTool: VoxelTool = {
  id: 'ruler',
  label: 'Ruler',
  description: 'Ruler: distance in mm between two points (drag, or click twice)',
  keys: ['m'],
  section: 'pointer',
  create(context) {
    // Without a screen (a unit test's context) the ruler still measures and says the length.
    const layer = context.screen ? new RulerLayer(context.screen, context.editor.grid.spacing) : null
    let measurement: Measurement | null = null
    let dragging = false
    const voxels = (a: Vec3, b: Vec3): number => Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2])
    const update = (): void => layer?.show(measurement ? { ...measurement } : null)
    const finished = (): void => {
      if (!measurement?.b) return
      context.message(`Ruler: ${formatLength(distanceMm(measurement.a, measurement.b, context.editor.grid.spacing))}`)
    }
    return {
      pointerDown(view, point) {
        // The second click of a two-click measurement: same view, same slice as the first.
        const axis = normalAxisOf(context.viewAxis(view))
        if (measurement && !measurement.b && measurement.view === view && Math.round(measurement.a[axis]) === Math.round(point[axis])) {
          measurement.b = [...point]
          dragging = false
          update()
          finished()
          return true
        }
        measurement = { view, a: [...point], b: null }
        dragging = true
        update()
        return true
      },
      pointerMove(view, point) {
        if (!dragging || !measurement || !point || view !== measurement.view) return
        measurement.b = [...point]
        update()
      },
      pointerUp() {
        if (!dragging || !measurement) return
        dragging = false
        // A click without a drag: the first end is set, the second click sets the other.
        if (measurement.b && voxels(measurement.a, measurement.b) < CLICK_VOXELS) measurement.b = null
        update()
        finished()
      },
      cancel() {
        measurement = null
        dragging = false
        update()
      },
      deactivate() {
        // A finished measurement stays in view while other tools are used; a half-made one goes.
        dragging = false
        if (measurement && !measurement.b) measurement = null
        update()
      },
      dispose() {
        measurement = null
        layer?.dispose()
      }
    }
  }
}
