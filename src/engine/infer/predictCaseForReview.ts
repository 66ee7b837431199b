/**
 * The engine's side of "predict" in the active-learning loop: one case at a time with a model
 * version (kept loaded between cases of a batch), returning the label map in project label ids,
 * the voxel uncertainty and the case score, all on the case's own grid.
 */
import type * as tf from '@tensorflow/tfjs'
import type { PredictCaseRequest, PredictCaseResult } from '../../shared/engineProtocol'
import { prepareCaseVolumes, prepareOptionsOf, readModelInputVolumes } from '../train/caseVolumes'
import { mirrorAxesOf } from '../train/mirrorAxes'
import { gridShiftsOfPlan } from './gridShifts'
import { loadVersionModel, type VersionModel } from './loadVersionModel'
import { predictForReview } from './predictForReview'

export type { PredictCaseRequest, PredictCaseResult }

let cached: { key: string; loaded: VersionModel } | null = null

async function modelFor(modelsDir: string, version: string): Promise<VersionModel> {
  const key = `${modelsDir}\u0000${version}`
  if (cached?.key === key) return cached.loaded
  releasePredictionModel()
  const loaded = await loadVersionModel(modelsDir, version)
  cached = { key, loaded }
  return loaded
}

/** Frees the cached model (after a batch of predictions, or before training needs the memory). */
export function releasePredictionModel(): void {
  const model: tf.LayersModel | undefined = cached?.loaded.model
  cached = null
  model?.dispose()
}

export async function predictCaseForReview(request: PredictCaseRequest, betweenBatches: () => Promise<void>): Promise<PredictCaseResult> {
  const startedAt = performance.now()
  const { model, plan, postprocessing } = await modelFor(request.modelsDir, request.version)
  const volumes = await readModelInputVolumes({ ...request.case, labelPath: null }, plan, request.version)
  const prepared = prepareCaseVolumes(volumes, prepareOptionsOf(plan))
  const prediction = await predictForReview(model, prepared, {
    patchShape: plan.patchSize,
    classes: plan.classes,
    tta: request.tta,
    mirrorAxes: mirrorAxesOf(plan),
    batchSize: plan.batchSize,
    gridShifts: gridShiftsOfPlan(plan, prepared.shape),
    betweenBatches,
    postprocessing
  })
  return { ...prediction, caseId: request.case.id, version: request.version, seconds: (performance.now() - startedAt) / 1000 }
}
