/**
 * Whole-case prediction with a trained model: sliding window over the prepared (resampled,
 * normalised) volume, then class scores back to the case's own grid. Used by validation, evaluate,
 * and later by active learning (probabilities are returned for uncertainty).
 */
import type * as tf from '@tensorflow/tfjs'
import { predictionToOriginalGrid, type PreparedCase } from '../data/prepareCase'
import type { Shape3 } from '../data/layout'
import { remoteTilePredictor, type RemoteTilePredictor } from '../gpuHost/activeGpuHost'
import { predictionModel } from '../model/predictionModel'
import { slidingWindowPredict, type SlidingWindowOptions } from './slidingWindow'

export interface CasePredictionOptions {
  patchShape: Shape3
  /** Default 0.5. */
  overlap?: number
  /** Patches per forward pass; default 2. */
  batchSize?: number
  betweenBatches?: SlidingWindowOptions['betweenBatches']
  /** Tile-grid passes averaged (gridShifts.ts); default one plain pass. */
  gridShifts?: SlidingWindowOptions['gridShifts']
  /** Computes the tiles instead of `model` on this thread (training's workers, TrainingStepper.predictTiles); `model` must hold the same weights. */
  tiles?: RemoteTilePredictor
}

export interface CasePrediction {
  /** [D, H, W, K] on the prepared grid. */
  probabilities: Float32Array
  /** Class indices on the case's original grid (index i + nx·(j + ny·k)). */
  classIndices: Uint8Array
}

export async function predictPreparedCase(model: tf.LayersModel, prepared: PreparedCase, classes: number, options: CasePredictionOptions): Promise<CasePrediction> {
  const network = predictionModel(model)
  const probabilities = await slidingWindowPredict(prepared, (batch) => network.predict(batch) as tf.Tensor5D, classes, {
    remote: options.tiles ?? (await remoteTilePredictor(network, classes, [])),
    patchShape: options.patchShape,
    overlap: options.overlap ?? 0.5,
    batchSize: options.batchSize ?? 2,
    padValues: prepared.padValues,
    ...(options.gridShifts ? { gridShifts: options.gridShifts } : {}),
    ...(options.betweenBatches ? { betweenBatches: options.betweenBatches } : {})
  })
  return { probabilities, classIndices: predictionToOriginalGrid(probabilities, classes, prepared) }
}
