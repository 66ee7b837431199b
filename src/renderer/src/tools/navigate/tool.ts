import type { VoxelTool } from '../voxelTool'

/**
 * Navigate: the tool takes no drag, so a click moves the crosshair and a drag pans, as in every
 * other view mode (the viewer handles both).
 */
export const navigateTool: VoxelTool = {
  id: 'navigate',
  label: 'Navigate',
  description: 'Navigate: click moves the crosshair',
  keys: ['n'],
  section: 'pointer',
  create: () => ({ pointerDown: () => false })
}
