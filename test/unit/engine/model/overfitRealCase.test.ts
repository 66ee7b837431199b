/**
 * End to end on real data: a small residual U-Net, trained with Adam and Dice + cross-entropy on
 * the wasm backend with the project's Conv3D kernels, must learn one hippocampus MR case (labels
 * 1 anterior, 2 posterior) to Dice > 0.9 — the model, layers, losses, metrics and kernels together.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, expect, it } from 'vitest'
import { buildUNet3d } from '../../../../src/engine/model'
import { diceCrossEntropyLoss, oneHotLabels } from '../../../../src/engine/train/losses'
import { segmentationMetrics } from '../../../../src/engine/train/metrics'
import { readLabelNifti, readNifti } from '../../../../src/node/formats/nifti'
import type { Vec3 } from '../../../../src/shared/volume'
import { sharedDataMissing, sharedDataPath } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { useBackend } from './tfBackends'

const CASE = 'hippocampus_001'
const DEPTH = 2
const MAX_STEPS = 60
const TARGET_DICE = 0.9

/** z-score over the whole volume, so intensities of any scanner scale train alike. */
function zScore(data: ArrayLike<number>): Float32Array {
  let sum = 0
  let squares = 0
  for (let i = 0; i < data.length; i++) {
    sum += data[i]
    squares += data[i] * data[i]
  }
  const mean = sum / data.length
  const sd = Math.sqrt(Math.max(squares / data.length - mean * mean, 1e-12))
  return Float32Array.from(data, (v) => (v - mean) / sd)
}

/** Zero-pads an x-fastest volume of `dims` [nx, ny, nz] at the far end of each axis to `padded`. */
function padVolume<T extends Float32Array | Uint8Array>(data: ArrayLike<number>, dims: Vec3, padded: Vec3, out: T): T {
  const [nx, ny, nz] = dims
  const [px, py] = padded
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) out[(k * py + j) * px + i] = data[(k * ny + j) * nx + i]
    }
  }
  return out
}

function foregroundDice(predicted: Uint8Array, reference: Uint8Array): number[] {
  return segmentationMetrics(predicted, reference, { labels: [1, 2] }).map((m) => m.dice)
}

describeUnless(sharedDataMissing, `overfitting one real case (${CASE}) on wasm`, () => {
  const tensors: tf.Tensor[] = []
  afterAll(() => tf.dispose(tensors))

  it(`reaches Dice > ${TARGET_DICE} for both hippocampus labels within ${MAX_STEPS} Adam steps, without leaking tensors`, { timeout: 120_000 }, async () => {
    await useBackend('wasm')
    const image = await readNifti(sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', `${CASE}.nii.gz`))
    const label = await readLabelNifti(sharedDataPath('labeled', 'msd_task04_hippocampus', 'labelsTr', `${CASE}.nii.gz`))
    const dims = image.header.dims
    const divisor = 2 ** DEPTH
    const padded = dims.map((n) => Math.ceil(n / divisor) * divisor) as Vec3
    const voxels = padded[0] * padded[1] * padded[2]
    // NIfTI stores i fastest, so [nz, ny, nx] is the NDHWC spatial order without any transpose.
    const spatial = [padded[2], padded[1], padded[0]]
    const reference = padVolume(label.data, dims, padded, new Uint8Array(voxels))
    const x = tf.tensor5d(padVolume(zScore(image.data), dims, padded, new Float32Array(voxels)), [1, ...spatial, 1] as [number, number, number, number, number])
    const yTrue = oneHotLabels(reference, [1, ...spatial], 3)
    tensors.push(x, yTrue)

    const model = buildUNet3d({ inputChannels: 1, numClasses: 3, depth: DEPTH, baseFilters: 8, residualUnits: 1, seed: 7 })
    const optimizer = tf.train.adam(0.01)
    // LayerVariable.read() is typed Tensor; for trainable weights it is the tf.Variable itself.
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)

    const started = performance.now()
    let tensorsAfterFirstStep = -1
    let steps = 0
    let trainingDice = [0, 0]
    while (steps < MAX_STEPS && !trainingDice.every((d) => d > TARGET_DICE)) {
      let predictedLabels: tf.Tensor | null = null
      const loss = optimizer.minimize(
        () => {
          const probabilities = model.apply(x, { training: true }) as tf.Tensor
          // The step's own forward pass scores the model as it was before this update: no extra predict.
          predictedLabels = tf.keep(tf.argMax(probabilities, -1))
          return diceCrossEntropyLoss(yTrue, probabilities)
        },
        true,
        variables
      )
      const lossValue = (await loss?.data())?.[0]
      loss?.dispose()
      const labels = predictedLabels as tf.Tensor | null
      if (!labels) throw new Error('the loss function did not run')
      trainingDice = foregroundDice(Uint8Array.from(await labels.data()), reference)
      labels.dispose()
      steps++
      expect(Number.isFinite(lossValue)).toBe(true)
      // Adam creates its moment variables in the first step; after that nothing may accumulate.
      if (steps === 1) tensorsAfterFirstStep = tf.memory().numTensors
      else expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep)
    }
    const trainingSeconds = (performance.now() - started) / 1000

    const prediction = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, -1))
    const dice = foregroundDice(Uint8Array.from(await prediction.data()), reference)
    prediction.dispose()
    console.log(
      `${CASE} ${dims.join('×')} padded to ${padded.join('×')}, ${model.countParams()} parameters: ` +
        `Dice ${dice.map((d) => d.toFixed(3)).join(' / ')} after ${steps} steps in ${trainingSeconds.toFixed(1)} s (${((1000 * trainingSeconds) / steps).toFixed(0)} ms/step)`
    )
    expect(steps).toBeLessThanOrEqual(MAX_STEPS)
    for (const value of dice) expect(value).toBeGreaterThan(TARGET_DICE)
    optimizer.dispose()
    model.dispose()
  })
})
