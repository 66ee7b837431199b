/**
 * Labelling tools: pure voxel kernels plus the voxel editor every label edit goes through.
 * Framework-free (no three.js, no Vue): the viewer and the UI build on these.
 */
export * from './grid'
export * from './paintRules'
export * from './threshold'
export * from './brush'
export * from './eraser'
export * from './fill'
export * from './distanceTransform'
export * from './interpolate'
export * from './islands'
export * from './labelTable'
export * from './VoxelEditor'
