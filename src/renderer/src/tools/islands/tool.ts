import type { VoxelTool } from '../voxelTool'
import { keepLargestComponent, removeSmallIslands } from './islands'
import { islandOptions } from './options'

/** Clean-up: remove small 6-connected islands of every label, or keep the active label's largest component. */
export const islandsTool: VoxelTool = {
  id: 'islands',
  label: 'Islands',
  description: 'Clean-up of small islands',
  section: 'actions',
  settingsComponent: () => import('./IslandsSettings.vue'),
  actions: [
    {
      id: 'remove-islands',
      label: 'Remove small islands',
      description: 'Remove the islands of every label smaller than the size set above',
      run(context) {
        const minVoxels = Math.max(1, Math.round(islandOptions.minVoxels) || 1)
        const result = removeSmallIslands(context.editor, { minVoxels, label: null })
        context.message(`Removed ${result.voxelCount.toLocaleString()} voxels in islands smaller than ${minVoxels} voxels`)
        context.showEdits()
        context.edited()
      }
    },
    {
      id: 'keep-largest',
      label: 'Keep largest component',
      description: 'Keep the largest connected component of the active label',
      run(context) {
        const label = context.settings().activeLabel
        const result = keepLargestComponent(context.editor, { label })
        context.message(`Kept the largest component of label ${label}; removed ${result.voxelCount.toLocaleString()} voxels`)
        context.showEdits()
        context.edited()
      }
    }
  ]
}
