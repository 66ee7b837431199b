/**
 * The custom layers of Voxloop's models. Importing this module registers them with tfjs's
 * serialisation map, which loading a saved model needs.
 */
export { InstanceNormalization, instanceNorm, DEFAULT_INSTANCE_NORM_EPSILON, type InstanceNormalizationArgs } from './InstanceNormalization'
export { UpSampling3D, type UpSampling3DArgs } from './UpSampling3D'
export { upsampleNearest3d, sumBlocks2x } from './upsampleNearest3d'
export { ConcatChannels, concatChannels } from './ConcatChannels'
