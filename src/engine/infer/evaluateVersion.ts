/**
 * `voxloop evaluate`: a version's best model on cases with saved labels, each predicted whole and
 * scored on its own grid against its label (per label Dice, IoU, sensitivity, specificity, and the
 * surface metrics in mm on the case's own voxel spacing: HD95, normalised surface Dice, volume ratio;
 * and per case the pixel accuracy, background included).
 * Each case is predicted as the Predict button does: the tile grid's passes (gridShifts.ts), then
 * the version's recorded post-processing.
 */
import type { EvaluateRequest } from '../../shared/engineProtocol'
import { VoxloopError } from '../../shared/errors'
import type { CaseEvaluation, EvaluationReport } from '../../shared/training'
import { prepareCaseVolumes, prepareOptionsOf, readModelInputVolumes } from '../train/caseVolumes'
import { DEFAULT_SURFACE_TOLERANCE_MM } from '../train/surfaceMetrics'
import { pixelAccuracy } from '../train/metrics'
import { averageScores, caseScores, meanForegroundDice } from '../train/validationScores'
import { loadVersionModel } from './loadVersionModel'
import { gridShiftsOfPlan } from './gridShifts'
import { applyPostprocessing, classIndexOf } from './postprocessing'
import { predictPreparedCase } from './predictCase'

export async function evaluateVersion(request: EvaluateRequest, betweenBatches: () => Promise<void>): Promise<EvaluationReport> {
  const startedAt = performance.now()
  const { model, plan, postprocessing } = await loadVersionModel(request.modelsDir, request.version)
  try {
    const cases: CaseEvaluation[] = []
    for (const files of request.cases) {
      if (!files.labelPath) throw new VoxloopError('INVALID_ARGUMENT', `case ${files.id} has no saved label to evaluate against`)
      const volumes = await readModelInputVolumes(files, plan, request.version)
      const prepared = prepareCaseVolumes({ ...volumes, classLabels: null }, prepareOptionsOf(plan))
      const predicted = await predictPreparedCase(model, prepared, plan.classes.length + 1, {
        patchShape: plan.patchSize,
        batchSize: plan.batchSize,
        gridShifts: gridShiftsOfPlan(plan, prepared.shape),
        betweenBatches
      })
      const { dims, spacing } = volumes.image.header
      const classIndices = applyPostprocessing(predicted.classIndices, dims, postprocessing, classIndexOf(plan.classes))
      const perLabel = caseScores(classIndices, volumes.classLabels as Uint8Array, plan.classes, { dims, spacingMm: spacing, toleranceMm: DEFAULT_SURFACE_TOLERANCE_MM })
      cases.push({ caseId: files.id, perLabel, meanForegroundDice: meanForegroundDice(perLabel), pixelAccuracy: pixelAccuracy(classIndices, volumes.classLabels as Uint8Array) })
    }
    return {
      version: request.version,
      cases,
      mean: averageScores(
        cases.map((c) => c.perLabel),
        plan.classes,
        cases.map((c) => c.pixelAccuracy ?? 0)
      ),
      surfaceToleranceMm: DEFAULT_SURFACE_TOLERANCE_MM,
      ...(postprocessing ? { postprocessing: postprocessing.steps } : {}),
      seconds: (performance.now() - startedAt) / 1000
    }
  } finally {
    model.dispose()
  }
}
