import type { VoxelTool } from '../voxelTool'
import { applySliceInterpolation } from './interpolate'

/** Interpolate: fills the slices between labelled slices of the active label in the active view. */
export const interpolateTool: VoxelTool = {
  id: 'interpolate',
  label: 'Interpolate',
  description: 'Interpolation between slices',
  section: 'actions',
  actions: [
    {
      id: 'interpolate',
      label: 'Interpolate between slices',
      description: 'Interpolate the active label between slices of the active view',
      keys: ['i'],
      unavailable: (open) => (open.singleSlice ? 'Interpolation fills the slices between labelled slices; this 2D image has one slice' : null),
      run(context) {
        const label = context.settings().activeLabel
        const axis = context.activeAxis()
        const result = applySliceInterpolation(context.editor, { label, axis })
        context.message(
          result.voxelCount
            ? `Interpolated ${result.voxelCount.toLocaleString()} voxels across ${result.filledSlices.length} ${axis} slices`
            : `Nothing to interpolate: label the first and last ${axis} slices of the structure (label ${label}) first`
        )
        context.showEdits()
        context.edited()
      }
    }
  ]
}
