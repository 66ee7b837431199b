/**
 * Training in the engine process: the loop (runTraining), its parts (plan, optimisers, learning
 * rate schedule, steps, validation, early stopping, checkpoints, run.json), and the runner that the
 * engine's message handlers call. Losses and metrics are the model helpers' (losses.ts, metrics.ts).
 */
export { TrainingRunner, type EngineEventEmitter } from './TrainingRunner'
export { runTraining, type RunControl, type RunTrainingOptions, type TrainingEventSink } from './runTraining'
export { learningRateAt, type LrScheduleOptions } from './lrSchedule'
export { createOptimizer, type OptimizerState, type TrainingOptimizer } from './optimizers'
export { planTraining, splitCases, TRAINING_DEFAULTS, type PlanInputs, type ParsedTrainingOptions } from './trainingPlan'
export { updateEarlyStopping, INITIAL_EARLY_STOPPING, type EarlyStoppingState } from './earlyStopping'
export { readRunRecord, writeRunRecord, versionDir, RUN_JSON, CHECKPOINTS_DIR } from './runRecord'
export { classesFromLabels, classIndicesToLabelIds, labelIdsToClassIndices } from './trainingClasses'
