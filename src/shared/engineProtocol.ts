import type { BackendPreference, BackendReport } from './backends'
import type { SerializedError } from './errors'
import type { LabelDef, Modality } from './project'
import type { LabelArray } from './volume'
import type { EvaluationReport, TrainingEpochEvent, TrainingOptionsSchema, TrainingPreparing, TrainingProgress, TrainingResult, TrainingStarted } from './training'
import type { z } from 'zod'

/** A case's files as main confined them inside the project folder; the engine reads them itself. */
export interface CaseFiles {
  id: string
  imagePath: string
  /** The saved label (labels/<id>.nii.gz); null for a case without one (inference only). */
  labelPath: string | null
}

/**
 * Everything the engine needs to train, so that it never opens the project store (main holds its
 * lock): the curated cases, the label table, the modality and where model versions live.
 */
export interface TrainRequest {
  /** Chosen by main so that events can be matched before the engine answers. */
  runId: string
  options: z.output<typeof TrainingOptionsSchema>
  /** <project>/models */
  modelsDir: string
  /**
   * <project>/cache/preprocessed: where the engine keeps each case prepared for training (issue #13
   * item 10). Absent (older callers, tests): cache/preprocessed beside `modelsDir`.
   */
  cacheDir?: string
  cases: CaseFiles[]
  /**
   * The validation cases (a subset of `cases`; the rest train): the project's recorded validation
   * split, which main sends for a run on its default case selection so every retrain is validated on
   * the same cases. Absent (explicit case lists, resume, older callers): the plan draws
   * `validationFraction` of the cases from the run seed.
   */
  validationCaseIds?: string[]
  labels: LabelDef[]
  /** Labels of the table main left out of `labels` (no voxel in the training cases); recorded in the plan. */
  excludedLabels?: LabelDef[]
  modality: Modality
  /** Stop (status 'stopped', resumable) once this epoch's checkpoint is written; tests use it to simulate a crash. */
  stopAfterEpoch?: number
}

export interface PredictCaseRequest {
  modelsDir: string
  version: string
  case: CaseFiles
  /** Mirror test-time augmentation. */
  tta: boolean
}

export interface PredictCaseResult {
  caseId: string
  version: string
  /** Project label ids on the case's own grid (16-bit when an id is above 255). */
  labels: LabelArray
  /** Normalised entropy 0..1 on the case's own grid. */
  uncertainty: Float32Array
  score: number
  /** Forward passes per patch: 1, or 1 + the model's training mirror axes under mirror TTA. */
  ttaPasses: number
  /** Passes of the tile grid, each moved (src/engine/infer/gridShifts.ts; 1 for a large case). */
  gridPasses: number
  seconds: number
}

export interface EvaluateRequest {
  version: string
  modelsDir: string
  /** Cases with a saved label to score against. */
  cases: CaseFiles[]
}

export interface OnnxExportRequest {
  modelsDir: string
  version: string
  /** Voxloop's version, written into the file (producer_version, metadata voxloop_version). */
  producerVersion: string
}

export interface OnnxExportResult {
  version: string
  /** The .onnx file's bytes (main writes them). */
  bytes: Uint8Array
  opset: number
  nodes: number
  parameters: number
  /** Channels-last [batch, D, H, W, C] and [batch, D, H, W, K]; null where any size is accepted. */
  inputShape: (number | null)[]
  outputShape: (number | null)[]
  /** The file's metadata_props (docs/ONNX.md). */
  metadata: Record<string, string>
}

export interface OnnxCheckRequest {
  modelsDir: string
  version: string
  /** The .onnx file main wrote. */
  onnxPath: string
  case: CaseFiles
}

export interface OnnxCheckResult {
  caseId: string
  version: string
  /** [D, H, W] of the patch both models predicted (the plan's patch, at the case's centre). */
  patchShape: [number, number, number]
  /** Class probabilities compared. */
  values: number
  /** max |onnxruntime − tfjs| over them. */
  maxAbsDifference: number
  onnxRuntimeVersion: string
  seconds: number
}

/**
 * Messages between main and the engine process. The same shapes travel over Electron's
 * utilityProcess port and Node's child_process IPC channel; one adapter on each side hides which.
 */
export interface EngineMethods {
  'engine:backend': { args: []; result: BackendReport }
  'engine:ping': { args: [number]; result: { echo: number } }
  /** Trains until done, early-stopped, cancelled or failed; progress comes as events meanwhile. */
  'train:start': { args: [TrainRequest]; result: TrainingResult }
  /** Asks the run to stop after the step under way; false when no such run is live. */
  'train:cancel': { args: [runId: string]; result: { cancelled: boolean } }
  /** Predicts one case for review: label map, uncertainty map and case score, on the case's grid. */
  'infer:predictCase': { args: [PredictCaseRequest]; result: PredictCaseResult }
  /** Stops the prediction under way (it fails with CANCELLED). */
  'infer:cancel': { args: []; result: { cancelled: boolean } }
  /** Frees the model kept loaded between predictions. */
  'infer:release': { args: []; result: null }
  /** Predicts each case whole with a version's best model and scores it against its label. */
  'model:evaluate': { args: [EvaluateRequest]; result: EvaluationReport }
  /** A version's best model as an ONNX file's bytes (docs/ONNX.md). */
  'model:exportOnnx': { args: [OnnxExportRequest]; result: OnnxExportResult }
  /** Runs an exported ONNX file with onnxruntime-node on a case's centre patch against the version's own prediction. */
  'model:checkOnnx': { args: [OnnxCheckRequest]; result: OnnxCheckResult }
}
export type EngineMethod = keyof EngineMethods

export interface EngineEvents {
  'engine:log': { level: 'info' | 'warning' | 'error'; message: string }
  /** The run is planned, its data loaded and its version folder created. */
  'train:started': TrainingStarted
  'train:progress': TrainingProgress
  /** One more case fingerprinted or prepared before the run is planned. */
  'train:preparing': TrainingPreparing
  /** An epoch ended and its checkpoint is on disk. */
  'train:epoch': TrainingEpochEvent
}
export type EngineEventName = keyof EngineEvents

export type MainToEngine = { kind: 'call'; id: number; method: EngineMethod; args: unknown[] } | { kind: 'cancel'; id: number }

export type EngineToMain =
  | { kind: 'ready'; backend: BackendReport }
  | { kind: 'startFailed'; error: SerializedError }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: SerializedError }
  | { kind: 'event'; name: EngineEventName; payload: unknown }

export type EngineEventMessage = { [E in EngineEventName]: { kind: 'event'; name: E; payload: EngineEvents[E] } }[EngineEventName]

/** How main tells a starting engine what to do; passed as argv so both launchers carry it. */
export interface EngineStartOptions {
  backend: BackendPreference
}

export function engineArgv(options: EngineStartOptions): string[] {
  return [`--backend=${options.backend}`]
}
