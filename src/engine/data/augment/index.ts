/** Seeded augmentations of { image, label } training samples: pure transforms, random wrappers, composition. */
export * from './affine'
export * from './compose'
export * from './flip'
export * from './gamma'
export * from './intensity'
export * from './noise'
export * from './rot90'
