/**
 * Validation at the end of an epoch: each held-out case predicted whole (sliding window), mapped
 * back to its own grid and scored against its saved label there, as a user would see it.
 */
import type * as tf from '@tensorflow/tfjs'
import type { TrainingPlan, ValidationScores } from '../../shared/training'
import type { PreparedCase } from '../data/prepareCase'
import { predictPreparedCase } from '../infer/predictCase'
import { averageScores, caseScores } from './validationScores'

export interface HeldOutCase {
  id: string
  prepared: PreparedCase
  /** Class indices on the case's own grid. */
  reference: Uint8Array
}

/** Null when there is nothing to validate on. `betweenBatches` yields and may throw to cancel. */
export async function validateModel(
  model: tf.LayersModel,
  cases: readonly HeldOutCase[],
  plan: Pick<TrainingPlan, 'patchSize' | 'batchSize' | 'classes'>,
  betweenBatches: () => Promise<void>
): Promise<ValidationScores | null> {
  if (cases.length === 0) return null
  const perCase = []
  for (const heldOut of cases) {
    const { classIndices } = await predictPreparedCase(model, heldOut.prepared, plan.classes.length + 1, {
      patchShape: plan.patchSize,
      batchSize: plan.batchSize,
      betweenBatches
    })
    perCase.push(caseScores(classIndices, heldOut.reference, plan.classes))
  }
  return averageScores(perCase, plan.classes)
}
