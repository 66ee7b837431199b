/**
 * The engine's training data pipeline, pure TypeScript on typed arrays (no tfjs):
 * Volume → prepareCase (resample, normalise, channels-last, foreground index) → BatchSampler
 * (foreground-balanced patches, seeded augmentation) → NDHWC batches; and back for predictions.
 */
export * from './augment'
export * from './BatchSampler'
export * from './extractPatch'
export * from './foregroundIndex'
export * from './layout'
export * from './normalize'
export * from './percentile'
export * from './prepareCase'
export * from './resample'
export * from './suggestPatchSize'
export * from './suggestTargetSpacing'
