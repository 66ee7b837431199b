/**
 * The project's real models on the webgpu backend with our kernels: the rank-5 gaps of
 * tfjs-backend-webgpu 4.22 that they reach (src/engine/kernels/webgpu/rank5Kernels.ts) give cpu's
 * results, and tiny U-Nets predict and train (Adam on diceCrossEntropyLoss) as on cpu. Every read
 * is `await data()`: synchronous reads fail on webgpu in Node.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, expect, it } from 'vitest'
import { shutdownWebGpu, takeGpuErrors } from '../../../../../src/engine/backends/webgpu/dawn'
import { buildPlainUNet2d } from '../../../../../src/engine/model/buildPlainUNet2d'
import { buildPlainUNet3d } from '../../../../../src/engine/model/buildPlainUNet3d'
import { buildUNet3d } from '../../../../../src/engine/model/buildUNet3d'
import { buildUNetPlusPlus2d } from '../../../../../src/engine/model/buildUNetPlusPlus'
import { instanceNorm } from '../../../../../src/engine/model/layers/InstanceNormalization'
import { diceCrossEntropyLoss, oneHotLabels } from '../../../../../src/engine/train/losses'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { relativeError, seededValues } from '../../../../helpers/seededTensors'
import { onBackend, setUpWebGpu } from './webgpuTestBackend'

const TOLERANCE = 1e-4
/**
 * Per model test: SwiftShader compiles each new shader on the CPU; U-Net++ (many distinct ops) took
 * 59 s to predict on this 2-core machine at low priority beside a benchmark.
 */
const SHADER_TIME_MS = 300_000

const reason = await setUpWebGpu()
if (reason !== null) console.warn(`webgpu model tests skipped: ${reason}`)

/** `body`'s values on webgpu and on cpu. */
async function bothBackends(body: () => Promise<Float32Array>): Promise<{ gpu: Float32Array; cpu: Float32Array }> {
  const gpu = await body()
  return { gpu, cpu: await onBackend('cpu', body) }
}

async function valuesOf(tensor: tf.Tensor): Promise<Float32Array> {
  const values = Float32Array.from(await tensor.data())
  tensor.dispose()
  return values
}

interface TinyModel {
  name: string
  build: () => tf.LayersModel
  /** Input [1, D, H, W, 1]. */
  shape: [number, number, number, number, number]
  classes: number
}

const MODELS: TinyModel[] = [
  {
    name: 'plain 3D U-Net (depth 2, 2 base filters, 8³)',
    build: () => buildPlainUNet3d({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 2, seed: 7 }),
    shape: [1, 8, 8, 8, 1],
    classes: 2
  },
  {
    name: 'plain 2D U-Net (depth 2, 2 base filters, 16²)',
    build: () => buildPlainUNet2d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 2, seed: 7 }),
    shape: [1, 1, 16, 16, 1],
    classes: 3
  },
  {
    name: 'residual 3D U-Net (depth 2, 2 base filters, leaky ReLU, 8³)',
    build: () => buildUNet3d({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 2, activation: 'leakyRelu', seed: 7 }),
    shape: [1, 8, 8, 8, 1],
    classes: 2
  },
  {
    // Nested dense skips: concatenations of 3+ inputs and [1, 2, 2] transposed convolutions.
    name: 'U-Net++ 2D (depth 2, 2 base filters, 16²)',
    build: () => buildUNetPlusPlus2d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 2, deepSupervision: false, seed: 7 }),
    shape: [1, 1, 16, 16, 1],
    classes: 3
  }
]

/** A blob of class k in the image's k-th third, so Dice has something to fit. */
function labelsFor(model: TinyModel): Uint8Array {
  const voxels = model.shape.slice(1, 4).reduce((a, b) => a * b, 1)
  return Uint8Array.from({ length: voxels }, (_, i) => Math.floor((i / voxels) * model.classes))
}

/** Losses of `steps` Adam steps from the seeded weights, on the current backend. */
async function trainLosses(model: TinyModel, steps: number): Promise<Float32Array> {
  const net = model.build()
  const optimizer = tf.train.adam(1e-2)
  const x = tf.tensor(seededValues(model.shape.reduce((a, b) => a * b, 1), 5), model.shape)
  const y = oneHotLabels(labelsFor(model), model.shape.slice(0, 4), model.classes)
  const losses = new Float32Array(steps)
  for (let step = 0; step < steps; step++) {
    const { value, grads } = tf.variableGrads(() => diceCrossEntropyLoss(y, net.apply(x, { training: true }) as tf.Tensor))
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })))
    losses[step] = (await value.data())[0] as number
    tf.dispose([value, ...Object.values(grads)])
  }
  tf.dispose([x, y])
  optimizer.dispose()
  net.dispose()
  return losses
}

describeUnless(reason, 'the project models on webgpu with our kernels', () => {
  afterEach(() => {
    expect(takeGpuErrors()).toEqual([])
  })
  afterAll(() => {
    shutdownWebGpu()
  })

  it('instance norm (x[1,D,H,W,C] · gamma[C] + beta[C]) equals cpu', async () => {
    const { gpu, cpu } = await bothBackends(() => {
      const x = tf.tensor(seededValues(4 * 4 * 4 * 3, 1), [1, 4, 4, 4, 3])
      const gamma = tf.tensor(seededValues(3, 2), [3])
      const beta = tf.tensor(seededValues(3, 3), [3])
      const out = instanceNorm(x, gamma, beta, 1e-5)
      tf.dispose([x, gamma, beta])
      return valuesOf(out)
    })
    expect(relativeError(gpu, cpu)).toBeLessThan(TOLERANCE)
  })

  it('rank-5 where and the gradients of leakyRelu and clipByValue equal cpu', async () => {
    const { gpu, cpu } = await bothBackends(async () => {
      const x = tf.tensor(seededValues(2 * 3 * 3 * 3 * 2, 4), [2, 3, 3, 3, 2])
      const selected = tf.where(tf.greater(x, 0.2), x, tf.mul(x, -3))
      const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.01), tf.clipByValue(v, -0.5, 0.5))))(x)
      const values = Float32Array.from([...(await valuesOf(selected)), ...(await valuesOf(gradient))])
      x.dispose()
      return values
    })
    expect(relativeError(gpu, cpu)).toBeLessThan(TOLERANCE)
  })

  it('sums over batch and space of rank-5 int32 and relabelled (cast) one-hot tensors equal cpu', async () => {
    const { gpu, cpu } = await bothBackends(async () => {
      const labels = tf.tensor(Int32Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => (i * 5) % 3), [2, 2, 3, 2], 'int32')
      const oneHot = tf.oneHot(labels, 3)
      const asFloat = tf.cast(oneHot, 'float32')
      const values = Float32Array.from([...(await valuesOf(tf.sum(oneHot, [0, 1, 2, 3]))), ...(await valuesOf(tf.max(asFloat, [0, 1, 2], true)))])
      tf.dispose([labels, oneHot, asFloat])
      return values
    })
    expect(gpu).toEqual(cpu)
  })

  for (const model of MODELS) {
    it(`${model.name}: predicts as on cpu`, async () => {
      const { gpu, cpu } = await bothBackends(async () => {
        const net = model.build()
        const x = tf.tensor(seededValues(model.shape.reduce((a, b) => a * b, 1), 5), model.shape)
        const values = await valuesOf(net.predict(x) as tf.Tensor)
        x.dispose()
        net.dispose()
        return values
      })
      expect(relativeError(gpu, cpu)).toBeLessThan(TOLERANCE)
    }, SHADER_TIME_MS)

    it(`${model.name}: 3 Adam steps on Dice + cross-entropy give cpu's losses`, async () => {
      const { gpu, cpu } = await bothBackends(() => trainLosses(model, 3))
      // The loss must move, or equal losses would prove nothing about the gradients.
      expect(cpu[2]).toBeLessThan(cpu[0] as number)
      for (let step = 0; step < 3; step++) expect(Math.abs((gpu[step] as number) - (cpu[step] as number))).toBeLessThan(TOLERANCE * Math.abs(cpu[step] as number))
    }, SHADER_TIME_MS)
  }
})
