import type { Vec3 } from '../../../../shared/volume'
import { brushFootprint } from '../brush/brush'
import type { VoxelTool } from '../voxelTool'
import { holdsIntegers, rangeAroundCursor, roundRangeToPrecision } from './pickRange'

/**
 * Pick threshold: a click reads value ± 2σ of the brush-sized disk around it, rounded to the data's
 * precision, into the threshold range (the workspace then turns range-limited painting on).
 */
export const pickThresholdTool: VoxelTool = {
  id: 'pick-threshold',
  label: 'Pick from image',
  description: 'Pick the threshold range from the image: click a voxel for its value ± 2σ of its neighbourhood',
  keys: ['p'],
  section: 'threshold',
  create: (context) => ({
    pointerDown(view, point) {
      const grid = context.editor.grid
      const image = context.image()
      const seed = point.map((v) => Math.round(v)) as Vec3
      const neighbourhood = brushFootprint(grid, { centerIjk: seed, radiusMm: context.settings().radiusMm, shape: 'disk', axis: context.viewAxis(view) })
      const cursorIndex = seed[0] + grid.dims[0] * (seed[1] + grid.dims[1] * seed[2])
      const range = rangeAroundCursor(image, { cursorIndex, neighbourhood })
      context.thresholdPicked(roundRangeToPrecision(range, { integers: holdsIntegers(image, neighbourhood) }))
      return true
    }
  })
}
