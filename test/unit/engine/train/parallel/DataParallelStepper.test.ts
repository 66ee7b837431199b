/**
 * Data-parallel steps against steps on the engine thread: the same model, weights, batch and
 * optimiser give the same loss and the same updated weights; a failing worker fails the step
 * (and its partner at the barrier) instead of hanging.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../../src/engine/backends/activateBackend'
import type { Batch } from '../../../../../src/engine/data/BatchSampler'
import { buildUNet3d } from '../../../../../src/engine/model'
import { buildPlainUNet2d } from '../../../../../src/engine/model/buildPlainUNet2d'
import { buildPlainUNet3d } from '../../../../../src/engine/model/buildPlainUNet3d'
import { buildUNetPlusPlus2d } from '../../../../../src/engine/model/buildUNetPlusPlus'
import { predictionModel } from '../../../../../src/engine/model/predictionModel'
import { createOptimizer } from '../../../../../src/engine/train/optimizers'
import { DataParallelStepper } from '../../../../../src/engine/train/parallel/DataParallelStepper'
import { localStepper, stepModel, type TrainingStepper } from '../../../../../src/engine/train/trainStep'
import { VoxloopError } from '../../../../../src/shared/errors'
import { createRandom } from '../../../../../src/shared/random'
import { DEFAULT_LOSS, type LossPlan } from '../../../../../src/shared/training'
import { syntheticCase } from '../trainingFixtures'

const EDGE = 8
const OPTIONS = { inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 1, seed: 21 }

beforeAll(async () => {
  await activateBackend('wasm')
})

/** A batch of `size` synthetic 8³ patches (ball = 1, box = 2). */
function batchOf(size: number, seed: number, step = 0): Batch {
  const random = createRandom(seed)
  const voxels = EDGE ** 3
  const image = new Float32Array(size * voxels)
  const label = new Uint8Array(size * voxels)
  for (let i = 0; i < size; i++) {
    const item = syntheticCase(EDGE + 2, random)
    // Crop the 10³ case to 8³, then scale the intensities to about unit range.
    for (let z = 0, o = 0; z < EDGE; z++) {
      for (let y = 0; y < EDGE; y++) {
        for (let x = 0; x < EDGE; x++, o++) {
          const from = x + 1 + (EDGE + 2) * (y + 1 + (EDGE + 2) * (z + 1))
          image[i * voxels + o] = ((item.image[from] as number) - 100) / 50
          label[i * voxels + o] = item.label[from] as number
        }
      }
    }
  }
  return { image, label, shape: [size, EDGE, EDGE, EDGE, 1], step, samples: [] }
}

const copyOf = (b: Batch): Batch => ({ ...b, image: b.image.slice(), label: b.label.slice() })

interface Run {
  losses: number[]
  /** tf.memory().numTensors after each step. */
  tensors: number[]
  weights: Float32Array[]
}

async function runSteps(
  kind: 'local' | 'parallel',
  batches: Batch[],
  optimizerKind: 'adam' | 'sgd' = 'sgd',
  workers = 2,
  build: () => tf.LayersModel = () => buildUNet3d(OPTIONS),
  loss: LossPlan = DEFAULT_LOSS
): Promise<Run> {
  const model = build()
  const target = stepModel(model)
  const optimizer = createOptimizer({ kind: optimizerKind, learningRate: 0.05, momentum: 0.9 })
  let stepper: TrainingStepper | null = null
  try {
    stepper = kind === 'local' ? localStepper(target, optimizer.optimizer, loss) : await DataParallelStepper.start(target, optimizer.optimizer, { workers, threadsPerWorker: 1, loss })
    const losses: number[] = []
    const tensors: number[] = []
    for (const batch of batches) {
      losses.push(await stepper.step(batch))
      tensors.push(tf.memory().numTensors)
    }
    return { losses, tensors, weights: target.variables.map((v) => Float32Array.from(v.dataSync())) }
  } finally {
    await stepper?.dispose()
    optimizer.dispose()
    model.dispose()
  }
}

function worstRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0
  a.forEach((values, v) => {
    const other = b[v] as Float32Array
    const scale = Math.max(1e-3, values.reduce((m, x) => Math.max(m, Math.abs(x)), 0))
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs((values[i] as number) - (other[i] as number)) / scale)
  })
  return worst
}

describe('DataParallelStepper', () => {
  it('two workers on a batch of 2: same losses and weights as the engine thread over 3 SGD steps', async () => {
    const batches = [batchOf(2, 1, 0), batchOf(2, 2, 1), batchOf(2, 3, 2)]
    const local = await runSteps('local', batches.map(copyOf))
    const parallel = await runSteps('parallel', batches)
    parallel.losses.forEach((loss, i) => expect(loss).toBeCloseTo(local.losses[i] as number, 4))
    // The weights moved, and both ways moved them alike.
    const initial = await runSteps('local', [])
    expect(worstRelativeDifference(local.weights, initial.weights)).toBeGreaterThan(1e-3)
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
    // No tensor is left behind by a step (the optimiser's slots appear at the first).
    expect(new Set(parallel.tensors).size).toBe(1)
  }, 120_000)

  it('with Adam: the same losses step after step', async () => {
    // Not the weights: conv biases before an InstanceNorm get gradients of rounding noise only,
    // which Adam scales up to full-size steps in either direction (harmless: the norm removes them).
    const batches = [batchOf(2, 1, 0), batchOf(2, 2, 1), batchOf(2, 3, 2), batchOf(2, 4, 3)]
    const local = await runSteps('local', batches.map(copyOf), 'adam')
    const parallel = await runSteps('parallel', batches, 'adam')
    expect(local.losses[3]).not.toBeCloseTo(local.losses[0] as number, 2)
    parallel.losses.forEach((loss, i) => expect(loss).toBeCloseTo(local.losses[i] as number, 4))
  }, 120_000)

  it('deep supervision (a plain U-Net with a second, half-resolution output): two workers match the engine thread', async () => {
    const build = (): tf.LayersModel => buildPlainUNet3d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 5 })
    const probe = build()
    expect(probe.outputs.map((o) => o.shape)).toEqual([
      [null, null, null, null, 3],
      [null, null, null, null, 3]
    ])
    probe.dispose()
    const batches = [batchOf(3, 7, 0), batchOf(3, 8, 1)]
    const local = await runSteps('local', batches.map(copyOf), 'sgd', 2, build)
    const parallel = await runSteps('parallel', batches, 'sgd', 2, build)
    parallel.losses.forEach((loss, i) => expect(loss).toBeCloseTo(local.losses[i] as number, 4))
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
    // The auxiliary head learns: its weights moved from their initial values.
    const initial = await runSteps('local', [], 'sgd', 2, build)
    expect(worstRelativeDifference(local.weights, initial.weights)).toBeGreaterThan(1e-3)
  }, 120_000)

  it('the 2D plain U-Net (one-slice patches, [1, 2, 2]-pooled deep supervision): two workers match the engine thread', async () => {
    const build = (): tf.LayersModel => buildPlainUNet2d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 5 })
    // The same voxels as the 8³ patches, laid out as one 16 × 32 slice each.
    const slices = (b: Batch): Batch => ({ ...b, shape: [b.shape[0], 1, 16, 32, 1] })
    const batches = [slices(batchOf(3, 7, 0)), slices(batchOf(3, 8, 1))]
    const local = await runSteps('local', batches.map(copyOf), 'sgd', 2, build)
    const parallel = await runSteps('parallel', batches, 'sgd', 2, build)
    parallel.losses.forEach((loss, i) => expect(loss).toBeCloseTo(local.losses[i] as number, 4))
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
    const initial = await runSteps('local', [], 'sgd', 2, build)
    expect(worstRelativeDifference(local.weights, initial.weights)).toBeGreaterThan(1e-3)
  }, 120_000)

  it("U-Net++ in 2D (deep supervision heads all at full resolution, weighed equally): two workers match the engine thread", async () => {
    const build = (): tf.LayersModel => buildUNetPlusPlus2d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, deepSupervision: true, seed: 5 })
    const slices = (b: Batch): Batch => ({ ...b, shape: [b.shape[0], 1, 16, 32, 1] })
    const batches = [slices(batchOf(3, 7, 0)), slices(batchOf(3, 8, 1))]
    const local = await runSteps('local', batches.map(copyOf), 'sgd', 2, build)
    const parallel = await runSteps('parallel', batches, 'sgd', 2, build)
    parallel.losses.forEach((loss, i) => expect(loss).toBeCloseTo(local.losses[i] as number, 4))
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
    const initial = await runSteps('local', [], 'sgd', 2, build)
    expect(worstRelativeDifference(local.weights, initial.weights)).toBeGreaterThan(1e-3)
  }, 120_000)

  it.each([
    [{ kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2, alpha: 0.25 }, 3],
    [{ kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 }, 3],
    [{ kind: 'dice-bce', diceWeight: 0.5, ceWeight: 2 }, 2]
  ] as Array<[LossPlan, number]>)('the loss by name %j: two workers compute the same loss and steps as the engine thread', async (loss, numClasses) => {
    const build = (): tf.LayersModel => buildUNet3d({ ...OPTIONS, numClasses })
    // A binary task for dice-bce: the box joins the ball as one foreground label.
    const labelled = (b: Batch): Batch => (numClasses === 2 ? { ...b, label: b.label.map((l) => Math.min(l, 1)) } : b)
    const batches = [labelled(batchOf(2, 1, 0)), labelled(batchOf(2, 2, 1))]
    const local = await runSteps('local', batches.map(copyOf), 'sgd', 2, build, loss)
    const parallel = await runSteps('parallel', batches.map(copyOf), 'sgd', 2, build, loss)
    parallel.losses.forEach((value, i) => expect(value).toBeCloseTo(local.losses[i] as number, 4))
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
    // The workers did use this loss: the default one gives another value on the same first batch.
    const dflt = await runSteps('parallel', batches.slice(0, 1).map(copyOf), 'sgd', 2, build)
    expect(Math.abs((dflt.losses[0] as number) - (parallel.losses[0] as number))).toBeGreaterThan(1e-3)
  }, 180_000)

  it('refuses dice-bce on a model with more than one foreground class before starting any worker', async () => {
    const model = buildUNet3d(OPTIONS)
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.01, momentum: 0 })
    const loss: LossPlan = { kind: 'dice-bce', diceWeight: 1, ceWeight: 1 }
    await expect(DataParallelStepper.start(stepModel(model), optimizer.optimizer, { workers: 2, threadsPerWorker: 1, loss })).rejects.toThrow(/'dice-bce' is for one foreground label; this model has 2/)
    expect(() => localStepper(stepModel(model), optimizer.optimizer, loss)).toThrow(/'dice-bce'/)
    optimizer.dispose()
    model.dispose()
  })

  it('two workers on a batch of 3 (shards of 2 and 1) match the engine thread', async () => {
    const batches = [batchOf(3, 4)]
    const local = await runSteps('local', batches.map(copyOf))
    const parallel = await runSteps('parallel', batches)
    expect(parallel.losses[0]).toBeCloseTo(local.losses[0] as number, 4)
    expect(worstRelativeDifference(parallel.weights, local.weights)).toBeLessThan(1e-4)
  }, 120_000)

  it('a worker that fails mid-step fails the step with its reason, and its partner is not left waiting', async () => {
    const model = buildUNet3d(OPTIONS)
    const target = stepModel(model)
    const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.01, momentum: 0 })
    const stepper = await DataParallelStepper.start(target, optimizer.optimizer, { workers: 2, threadsPerWorker: 1 })
    try {
      const batch = batchOf(2, 5)
      // A label the 3-class model cannot have, in the second item only: worker 2 throws before the
      // statistics exchange while worker 1 already waits there.
      batch.label[EDGE ** 3 + 10] = 7
      const before = target.variables.map((v) => Float32Array.from(v.dataSync()))
      const failure = await stepper.step(batch).then(
        () => null,
        (error: unknown) => error
      )
      expect(failure).toBeInstanceOf(VoxloopError)
      expect((failure as VoxloopError).message).toMatch(/training worker 2: .*label 7 is not below numClasses 3/)
      // Nothing was applied.
      expect(worstRelativeDifference(target.variables.map((v) => Float32Array.from(v.dataSync())), before)).toBe(0)
    } finally {
      await stepper.dispose()
      optimizer.dispose()
      model.dispose()
    }
  }, 120_000)

  it("predictTiles: the workers' prediction equals the engine thread's full-resolution output, before and after a step, for 1, 2 and 3 tiles", async () => {
    // Deep supervision: the workers must return the first (full-resolution) output only, as predictionModel does.
    const model = buildPlainUNet3d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 9 })
    const target = stepModel(model)
    const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05, momentum: 0 })
    const stepper = await DataParallelStepper.start(target, optimizer.optimizer, { workers: 2, threadsPerWorker: 1 })
    const onThisThread = (tiles: Batch): Float32Array => tf.tidy(() => (predictionModel(model).predict(tf.tensor5d(tiles.image, tiles.shape)) as tf.Tensor).dataSync() as Float32Array).slice()
    const compare = async (size: number, seed: number): Promise<Float32Array> => {
      const tiles = batchOf(size, seed)
      const expected = onThisThread(tiles)
      const got = await stepper.predictTiles(tiles.image.slice(), tiles.shape)
      expect(got.length).toBe(size * EDGE ** 3 * 3)
      expect(worstRelativeDifference([got], [expected])).toBeLessThan(1e-4)
      return got
    }
    try {
      const before = await compare(2, 3)
      await compare(1, 4)
      await compare(3, 5)
      // A step changes the weights: the replicas must be sent the new ones.
      await stepper.step(batchOf(2, 6))
      const after = await compare(2, 3)
      expect(worstRelativeDifference([after], [before])).toBeGreaterThan(1e-3)
      // After a step a single tile updates the first worker only; the second must get the weights when next given work.
      await stepper.step(batchOf(2, 8))
      await compare(1, 7)
      await compare(3, 5)
      expect(tf.memory().numTensors).toBeLessThan(2000)
    } finally {
      await stepper.dispose()
      optimizer.dispose()
      model.dispose()
    }
  }, 120_000)

  it('weightsChanged: weights set outside a step (the best checkpoint, for the choice at the end of a run) reach the workers before they predict', async () => {
    const model = buildPlainUNet3d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 9 })
    const best = buildPlainUNet3d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 10 })
    const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05, momentum: 0 })
    const stepper = await DataParallelStepper.start(stepModel(model), optimizer.optimizer, { workers: 2, threadsPerWorker: 1 })
    const tiles = batchOf(2, 3)
    const onThisThread = (): Float32Array => tf.tidy(() => (predictionModel(model).predict(tf.tensor5d(tiles.image, tiles.shape)) as tf.Tensor).dataSync() as Float32Array).slice()
    try {
      // The replicas take the first weights with their first tiles.
      await stepper.predictTiles(tiles.image.slice(), tiles.shape)
      model.setWeights(best.getWeights())
      const expected = onThisThread()
      // Not told, they would predict with the old weights: what weightsChanged is for.
      const stale = await stepper.predictTiles(tiles.image.slice(), tiles.shape)
      expect(worstRelativeDifference([stale], [expected])).toBeGreaterThan(1e-3)
      stepper.weightsChanged()
      const fresh = await stepper.predictTiles(tiles.image.slice(), tiles.shape)
      expect(worstRelativeDifference([fresh], [expected])).toBeLessThan(1e-4)
    } finally {
      await stepper.dispose()
      optimizer.dispose()
      model.dispose()
      best.dispose()
    }
  }, 120_000)

  it('refuses fewer than two workers', async () => {
    const model = buildUNet3d(OPTIONS)
    const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.01, momentum: 0 })
    await expect(DataParallelStepper.start(stepModel(model), optimizer.optimizer, { workers: 1, threadsPerWorker: 1 })).rejects.toThrow(/≥ 2 workers/)
    optimizer.dispose()
    model.dispose()
  })
})
