/**
 * Validation at the end of an epoch: each held-out case predicted whole (sliding window), mapped
 * back to its own grid and scored against its saved label there, as a user would see it; and the
 * run's training loss (plan.loss) on the resampled grid (validationLoss.ts), for the validation loss curve.
 */
import type * as tf from '@tensorflow/tfjs'
import type { PreparedCase } from '../data/prepareCase'
import { predictPreparedCase } from '../infer/predictCase'
import type { RemoteTilePredictor } from '../gpuHost/activeGpuHost'
import { lossOfPlan, type TrainingPlan, type ValidationScores } from '../../shared/training'
import { caseLoss } from './validationLoss'
import { pixelAccuracy } from './metrics'
import { averageScores, caseScores } from './validationScores'

export interface HeldOutCase {
  id: string
  prepared: PreparedCase
  /** Class indices on the case's own grid. */
  reference: Uint8Array
}

/** A held-out case read when validation reaches it and dropped after (the preprocessed cache), so one is in memory at a time. */
export interface HeldOutSource {
  id: string
  load(): Promise<HeldOutCase>
}

export type HeldOut = HeldOutCase | HeldOutSource

export function loadHeldOut(entry: HeldOut): Promise<HeldOutCase> {
  return 'load' in entry ? entry.load() : Promise.resolve(entry)
}

/** Null when there is nothing to validate on. `betweenBatches` yields and may throw to cancel. */
export async function validateModel(
  model: tf.LayersModel,
  cases: readonly HeldOut[],
  plan: Pick<TrainingPlan, 'patchSize' | 'batchSize' | 'classes' | 'loss'>,
  betweenBatches: () => Promise<void>,
  /** The training workers' tile predictor (TrainingStepper.predictTiles); absent: `model` on this thread. */
  tiles?: RemoteTilePredictor
): Promise<ValidationScores | null> {
  if (cases.length === 0) return null
  const perCase = []
  const accuracies: number[] = []
  const losses: number[] = []
  for (const entry of cases) {
    const heldOut = await loadHeldOut(entry)
    const { probabilities, classIndices } = await predictPreparedCase(model, heldOut.prepared, plan.classes.length + 1, {
      patchShape: plan.patchSize,
      batchSize: plan.batchSize,
      betweenBatches,
      ...(tiles ? { tiles } : {})
    })
    perCase.push(caseScores(classIndices, heldOut.reference, plan.classes))
    accuracies.push(pixelAccuracy(classIndices, heldOut.reference))
    // The validation loss curve: the training loss on the grid the network predicts on (validationLoss.ts).
    if (heldOut.prepared.label) losses.push(caseLoss(probabilities, heldOut.prepared.label, plan.classes.length + 1, lossOfPlan(plan)))
  }
  const scores = averageScores(perCase, plan.classes, accuracies)
  return losses.length > 0 ? { ...scores, loss: losses.reduce((a, b) => a + b, 0) / losses.length } : scores
}
