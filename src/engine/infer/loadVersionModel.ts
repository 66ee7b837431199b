/**
 * A trained model version for prediction: its best checkpoint's model, the plan that says how
 * cases must be prepared for it (spacing, modality) and what its output channels mean, and the
 * post-processing chosen for it on validation (null for older versions: none).
 */
import type * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { PostprocessingPlan } from '../../shared/postprocessing'
import type { TrainingPlan } from '../../shared/training'
import { loadCheckpointModel } from '../train/checkpoint'
import { readRunRecord, versionDir } from '../train/runRecord'

export interface VersionModel {
  version: string
  model: tf.LayersModel
  plan: TrainingPlan
  bestEpoch: number
  postprocessing: PostprocessingPlan | null
}

export async function loadVersionModel(modelsDir: string, version: string): Promise<VersionModel> {
  const dir = versionDir(modelsDir, version)
  const record = await readRunRecord(dir)
  if (!record.checkpoints.best || record.bestEpoch === null) throw new VoxloopError('NOT_FOUND', `model ${version} has no trained epoch yet`)
  return { version, model: await loadCheckpointModel(dir, record.checkpoints.best), plan: record.plan, bestEpoch: record.bestEpoch, postprocessing: record.postprocessing ?? null }
}
