import { brushChoices, createStrokeHandler } from '../brush/tool'
import type { VoxelTool } from '../voxelTool'

/** The eraser: the brush's stroke, footprint and settings, painting background. */
export const eraserTool: VoxelTool = {
  id: 'eraser',
  label: 'Eraser',
  description: 'Eraser: paint background',
  keys: ['e'],
  section: 'pointer',
  paints: true,
  settingsComponent: () => import('../brush/BrushSettings.vue'),
  unavailableChoices: brushChoices,
  create: (context) => createStrokeHandler(context, 'erase')
}
