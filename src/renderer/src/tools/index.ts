/**
 * Labelling tools' kernels plus the voxel editor every label edit goes through. Framework-free (no
 * three.js, no Vue): the viewer, the UI, the e2e tests and the benches build on these. The tools
 * themselves (pointer handling, settings components) are listed in registry.ts, which is not
 * re-exported here so that importing a kernel never pulls in Vue.
 */
export * from './core/grid'
export * from './core/paintRules'
export * from './core/threshold'
export * from './core/labelTable'
export * from './core/VoxelEditor'
export * from './brush/brush'
export * from './eraser/eraser'
export * from './fill/fill'
export * from './pickThreshold/pickRange'
export * from './interpolate/distanceTransform'
export * from './interpolate/interpolate'
export * from './islands/islands'
