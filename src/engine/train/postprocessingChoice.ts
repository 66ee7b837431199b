/**
 * The end of a finished training run: its best model predicts the validation cases once more, as
 * the Predict button will (the tile grid's passes, infer/gridShifts.ts, then back onto each case's
 * own grid), and the post-processing that raises their Dice is chosen (infer/postprocessing.ts) for
 * run.json and every later prediction: the choice is made on the predictions it will be applied to.
 * Costs about one validation per grid pass (8 for a small 3D case); runTraining reserves that time in
 * the budget and, where it has gradient workers, predicts on them with the best weights.
 */
import type * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { PostprocessingPlan } from '../../shared/postprocessing'
import type { TrainingPlan } from '../../shared/training'
import { dimsFromShape, type Shape3 } from '../data/layout'
import { gridShiftsOfPlan } from '../infer/gridShifts'
import { predictPreparedCase } from '../infer/predictCase'
import { choosePostprocessing, type ValidationPrediction } from '../infer/postprocessing'
import type { RemoteTilePredictor } from '../gpuHost/activeGpuHost'
import { loadCheckpointModel } from './checkpoint'
import { loadHeldOut, type HeldOut } from './validate'

export interface PostprocessingChoiceInputs {
  /** The version folder and its best checkpoint (relative to it). */
  dir: string
  best: string
  heldOut: readonly HeldOut[]
  plan: Pick<TrainingPlan, 'patchSize' | 'batchSize' | 'classes' | 'architecture' | 'model'>
  /** Awaited between prediction batches; throws CANCELLED to give up. */
  betweenBatches: () => Promise<void>
  /**
   * A model that already holds the best checkpoint's weights (the run's own), with the tile
   * predictor of the run's workers holding the same; absent: the best checkpoint is loaded and
   * predicts as the Predict button does.
   */
  predictor?: { model: tf.LayersModel; tiles?: RemoteTilePredictor }
}

/**
 * The choice's work in validations' worth: each case is predicted once per tile-grid pass where an
 * epoch's validation predicts it once, weighted by the cases' voxels (a case's time grows with
 * them). 0 without validation cases (nothing is predicted).
 */
export function choiceWorkInValidations(plan: Pick<TrainingPlan, 'patchSize' | 'architecture' | 'model'>, shapes: readonly Shape3[]): number {
  let voxels = 0
  let work = 0
  for (const shape of shapes) {
    const v = shape[0] * shape[1] * shape[2]
    voxels += v
    work += v * gridShiftsOfPlan(plan, shape).length
  }
  return voxels === 0 ? 0 : work / voxels
}

/** The chosen post-processing, or null when cancelled while choosing (the version then has none). */
export async function choosePostprocessingForRun(inputs: PostprocessingChoiceInputs): Promise<PostprocessingPlan | null> {
  const startedAt = performance.now()
  const seconds = (): number => (performance.now() - startedAt) / 1000
  if (inputs.heldOut.length === 0) return { ...choosePostprocessing([], inputs.plan.classes), seconds: seconds() }
  const model = inputs.predictor?.model ?? (await loadCheckpointModel(inputs.dir, inputs.best))
  const tiles = inputs.predictor?.tiles
  try {
    const predictions: ValidationPrediction[] = []
    for (const entry of inputs.heldOut) {
      await inputs.betweenBatches()
      const heldOut = await loadHeldOut(entry)
      const { classIndices } = await predictPreparedCase(model, heldOut.prepared, inputs.plan.classes.length + 1, {
        patchShape: inputs.plan.patchSize,
        batchSize: inputs.plan.batchSize,
        gridShifts: gridShiftsOfPlan(inputs.plan, heldOut.prepared.shape),
        betweenBatches: inputs.betweenBatches,
        ...(tiles ? { tiles } : {})
      })
      predictions.push({ predicted: classIndices, reference: heldOut.reference, dims: dimsFromShape(heldOut.prepared.original.shape) })
    }
    return { ...choosePostprocessing(predictions, inputs.plan.classes), seconds: seconds() }
  } catch (error) {
    if (error instanceof VoxloopError && error.code === 'CANCELLED') return null
    throw error
  } finally {
    // The caller's model stays the caller's.
    if (!inputs.predictor) model.dispose()
  }
}
