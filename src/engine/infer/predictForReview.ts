/**
 * Prediction for the active-learning loop: the label map on the case's own grid, the voxel
 * uncertainty map (normalised entropy of the averaged softmax) on that grid too, and the case score
 * that ranks cases for review.
 */
import type { LabelArray } from '../../shared/volume'
import type * as tf from '@tensorflow/tfjs'
import { predictionToOriginalGrid, valuesToOriginalGrid, type PreparedCase } from '../data/prepareCase'
import { argmaxChannelsLast, dimsFromShape, type Shape3, type SpatialAxis } from '../data/layout'
import type { PostprocessingPlan } from '../../shared/postprocessing'
import type { TrainingClass } from '../../shared/training'
import { remoteTilePredictor } from '../gpuHost/activeGpuHost'
import { predictionModel } from '../model/predictionModel'
import { mirrorTtaAxes, withFlipTta } from './flipTta'
import { applyPostprocessing } from './postprocessing'
import { slidingWindowPredict, type SlidingWindowOptions } from './slidingWindow'
import { caseUncertaintyScore, normalisedEntropy } from './uncertainty'

export interface ReviewPredictionOptions {
  patchShape: Shape3
  /** Output channel → project label id (channel 0 is background). */
  classes: readonly TrainingClass[]
  /**
   * Mirror test-time augmentation along the axes the model was trained to mirror (mirrorAxesOf):
   * one more pass per axis. Default false; with no such axes it changes nothing.
   */
  tta?: boolean
  /** The model's training mirror axes; default none. */
  mirrorAxes?: readonly SpatialAxis[]
  /** Default 0.5. */
  overlap?: number
  /** Patches per forward pass; default 2. */
  batchSize?: number
  betweenBatches?: SlidingWindowOptions['betweenBatches']
  /** Tile-grid passes averaged (gridShifts.ts, gridShiftsOfPlan); default one plain pass. */
  gridShifts?: SlidingWindowOptions['gridShifts']
  /** The model's recorded post-processing, applied to the label map on the case's own grid; default none. */
  postprocessing?: Pick<PostprocessingPlan, 'steps' | 'connectivity'> | null
}

export interface ReviewPrediction {
  /** Project label ids on the case's original grid: 16-bit when any id is above 255. */
  labels: LabelArray
  /** Normalised entropy 0..1 on the original grid. */
  uncertainty: Float32Array
  /** Case score (see caseUncertaintyScore). */
  score: number
  /** Forward passes per patch (1 without mirror TTA). */
  ttaPasses: number
  /** Passes of the tile grid, each moved (1: one plain pass). */
  gridPasses: number
}

export async function predictForReview(model: tf.LayersModel, prepared: PreparedCase, options: ReviewPredictionOptions): Promise<ReviewPrediction> {
  const classCount = options.classes.length + 1
  const network = predictionModel(model)
  const plain = (batch: tf.Tensor5D): tf.Tensor5D => network.predict(batch) as tf.Tensor5D
  const mirrors = options.tta ? (options.mirrorAxes ?? []) : []
  const predictor = mirrors.length ? withFlipTta(plain, mirrorTtaAxes(mirrors)) : plain
  const probabilities = await slidingWindowPredict(prepared, predictor, classCount, {
    // The desktop app's GPU window, when it is the backend: the same passes, computed there.
    remote: await remoteTilePredictor(network, classCount, mirrors.length ? mirrorTtaAxes(mirrors) : []),
    patchShape: options.patchShape,
    overlap: options.overlap ?? 0.5,
    batchSize: options.batchSize ?? 2,
    padValues: prepared.padValues,
    ...(options.gridShifts ? { gridShifts: options.gridShifts } : {}),
    ...(options.betweenBatches ? { betweenBatches: options.betweenBatches } : {})
  })
  const entropy = normalisedEntropy(probabilities, classCount)
  const score = caseUncertaintyScore(entropy, argmaxChannelsLast(probabilities, classCount))
  const classIndices = predictionToOriginalGrid(probabilities, classCount, prepared)
  // Label ids go up to 65535; an 8-bit map turned id 300 into 44.
  const labelOfClass = new Uint16Array(classCount)
  for (const c of options.classes) labelOfClass[c.index] = c.labelId
  const wide = options.classes.some((c) => c.labelId > 255)
  const labels = wide ? new Uint16Array(classIndices.length) : new Uint8Array(classIndices.length)
  for (let v = 0; v < classIndices.length; v++) labels[v] = labelOfClass[classIndices[v] as number] as number
  // On the case's own grid, where the components were counted when the steps were chosen.
  const processed = applyPostprocessing(labels, dimsFromShape(prepared.original.shape), options.postprocessing)
  return { labels: processed, uncertainty: valuesToOriginalGrid(entropy, 1, prepared), score, ttaPasses: mirrors.length ? mirrors.length + 1 : 1, gridPasses: options.gridShifts?.length ?? 1 }
}

