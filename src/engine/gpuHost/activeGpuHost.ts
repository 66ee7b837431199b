/**
 * The GPU host the engine computes on, when its backend is webgpu through the desktop app's GPU
 * window (activateBackend.ts sets it; null everywhere else: serve mode, the CLI and tests run Dawn in
 * the engine itself). Training steps (openStepper.ts) and prediction tiles (slidingWindow.ts) go there.
 */
import type * as tf from '@tensorflow/tfjs'
import { DEFAULT_LOSS } from '../../shared/training'
import { PREDICT_ON_ANOTHER_BACKEND, type GpuWork } from '../backends/webgpu/gpuFailure'
import type { GpuHostClient } from './GpuHostClient'

let active: GpuHostClient | null = null

export function setActiveGpuHost(host: GpuHostClient | null): void {
  active = host
}

export function activeGpuHost(): GpuHostClient | null {
  return active
}

/** Tile batch [B, D, H, W, C] in, probabilities [B, D, H, W, K] out, computed by the GPU host. */
export type RemoteTilePredictor = (input: Float32Array, shape: [number, number, number, number, number], work: GpuWork) => Promise<Float32Array>

/**
 * A tile predictor on the active GPU host for `network` (loaded there with its current weights), or
 * null when the engine computes itself. `mirrorAxes`: the mirror passes averaged (flipTta.ts), [] for none.
 */
export async function remoteTilePredictor(network: tf.LayersModel, classes: number, mirrorAxes: number[][]): Promise<RemoteTilePredictor | null> {
  const host = active
  if (!host) return null
  const key = await host.load(network, classes, DEFAULT_LOSS, true, { at: 'while loading the model to predict', then: PREDICT_ON_ANOTHER_BACKEND })
  return (input, shape, work) => host.predict(key, input, shape, mirrorAxes, work)
}
