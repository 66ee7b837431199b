/**
 * Checks every network's tests make the same way (the plain, residual and U-Net++ builders in 2D and
 * 3D): softmax outputs, slices segmented on their own, one seed one set of weights, and a model
 * that trains, is saved, reloads and is rebuilt from its plan with the same predictions.
 */
import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'
import { loadModel, saveModel } from '../../../../src/engine/model'
import { buildFromPlan } from '../../../../src/engine/model/architectures'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import type { ArchitectureName } from '../../../../src/shared/training'
import { stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import { seededTensor } from './tfBackends'

/** A registry entry's model options (architectures.ts's JsonRecord). */
type JsonRecord = Record<string, unknown>

/** Every voxel's class probabilities sum to 1. */
export function expectSoftmax(y: tf.Tensor): void {
  const sums = tf.sum(y, -1)
  expect(tf.min(sums).dataSync()[0]).toBeCloseTo(1, 5)
  expect(tf.max(sums).dataSync()[0]).toBeCloseTo(1, 5)
  sums.dispose()
}

/** A 2D network: the same 16² slice gives the same output whatever else the batch holds, and a stack of slices is refused. */
export function expectSlicesIndependent(model: tf.LayersModel, classes = 2): void {
  const a = seededTensor([1, 1, 16, 16, 1], 1)
  const b = seededTensor([1, 1, 16, 16, 1], 2)
  const pair = tf.concat([b, a], 0)
  const alone = firstOutput(model.predict(a))
  const both = firstOutput(model.predict(pair))
  const second = tf.slice(both, [1, 0, 0, 0, 0], [1, 1, 16, 16, classes])
  expect(tf.max(tf.abs(tf.sub(second, alone))).dataSync()[0]).toBeLessThan(1e-5)
  const stack = seededTensor([1, 2, 16, 16, 1], 3)
  expect(() => model.predict(stack)).toThrow()
  tf.dispose([a, b, pair, alone, both, second, stack])
}

/** The same seed builds the same weights, another seed others. */
export function expectSeededWeights(build: (seed: number) => tf.LayersModel): void {
  const weightsOf = (seed: number): Float32Array[] => {
    const model = build(seed)
    const values = model.getWeights().map((w) => w.dataSync() as Float32Array)
    model.dispose()
    return values
  }
  expect(weightsOf(3)).toEqual(weightsOf(3))
  expect(weightsOf(3)).not.toEqual(weightsOf(4))
}

/** The registry's network built from a plan's model options, checked to be rebuilt identically from them. */
export function buildTwiceFromPlan(architecture: ArchitectureName, model: JsonRecord): tf.LayersModel {
  const built = buildFromPlan({ architecture, model })
  const rebuilt = buildFromPlan({ architecture, model })
  expect(rebuilt.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(built.getWeights().map((w) => Array.from(w.dataSync())))
  rebuilt.dispose()
  return built
}

export interface TrainReloadCheck {
  /** The registry name saved as the version's builder. */
  builder: ArchitectureName
  /** The version folder to write (inside the test's temporary folder). */
  dir: string
  /** [b, D, H, W, 1]: the input, +1 on the left half of every row and −1 on the right; the label is the left half. */
  shape: readonly [number, number, number, number, 1]
  steps: number
  /** A layer whose first weight must change in training (its gradients reach it). */
  watchLayer?: string
  /** The outputs the model has (deep supervision adds heads); 1 by default. */
  outputs?: number
  /** More checks of the reloaded model. */
  reloaded?: (loaded: tf.LayersModel) => void
}

/**
 * Trains `model` `steps` Adam steps on a two-stripe image (the loss must halve), saves it as a
 * version, reloads it and compares every output to the original's, exactly. Disposes both models.
 */
export async function expectTrainsAndReloads(model: tf.LayersModel, check: TrainReloadCheck): Promise<void> {
  const length = check.shape.reduce((a, b) => a * b, 1)
  const width = check.shape[3]
  const image = Float32Array.from({ length }, (_, i) => (i % width < width / 2 ? 1 : -1))
  const label = Uint8Array.from(image, (v) => (v > 0 ? 1 : 0))
  const batch = { image, label, shape: [...check.shape], step: 0, samples: [] } as unknown as Batch
  const watched = check.watchLayer === undefined ? null : (model.getLayer(check.watchLayer).getWeights()[0]?.dataSync().slice() as Float32Array)
  const target = stepModel(model)
  const optimizer = tf.train.adam(1e-2)
  const losses: number[] = []
  for (let i = 0; i < check.steps; i++) losses.push(await trainStep(target, optimizer, batch))
  expect(losses.at(-1)).toBeLessThan((losses[0] as number) * 0.5)
  if (check.watchLayer !== undefined) expect(model.getLayer(check.watchLayer).getWeights()[0]?.dataSync()).not.toEqual(watched)
  optimizer.dispose()

  await saveModel(model, check.dir, { architecture: { builder: check.builder } }, new Date('2026-01-01T00:00:00Z'))
  const loaded = (await loadModel(check.dir)).model
  expect(loaded.outputs.map((o) => o.shape)).toEqual(model.outputs.map((o) => o.shape))
  check.reloaded?.(loaded)
  const x = tf.tensor5d(image, [...check.shape])
  const a = outputsOf(model.predict(x))
  const b = outputsOf(loaded.predict(x))
  expect(b).toHaveLength(check.outputs ?? 1)
  for (let i = 0; i < a.length; i++) expect(Array.from((b[i] as tf.Tensor).dataSync())).toEqual(Array.from((a[i] as tf.Tensor).dataSync()))
  tf.dispose([x, ...a, ...b])
  model.dispose()
  loaded.dispose()
}

function outputsOf(y: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(y) ? y : [y]
}

function firstOutput(y: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const outputs = outputsOf(y)
  tf.dispose(outputs.slice(1))
  return outputs[0] as tf.Tensor
}
