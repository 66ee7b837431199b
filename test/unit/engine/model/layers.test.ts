import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { ConcatChannels, InstanceNormalization, UpSampling3D, concatChannels, instanceNorm, upsampleNearest3d } from '../../../../src/engine/model/layers'
import { BACKENDS, relativeError, seededTensor, seededValues, useBackend } from './tfBackends'

/** Central differences of a scalar function of one flat parameter vector. */
function finiteDifferences(f: (values: Float64Array) => number, at: Float64Array, h: number): Float64Array {
  const gradient = new Float64Array(at.length)
  for (let i = 0; i < at.length; i++) {
    const plus = Float64Array.from(at)
    const minus = Float64Array.from(at)
    plus[i] += h
    minus[i] -= h
    gradient[i] = (f(plus) - f(minus)) / (2 * h)
  }
  return gradient
}

/** Float64 instance norm of x [1, spatial…, C] flattened (C fastest), for checking tfjs against. */
function instanceNormReference(x: Float64Array, channels: number, gamma: Float64Array, beta: Float64Array, epsilon: number): Float64Array {
  const voxels = x.length / channels
  const out = new Float64Array(x.length)
  for (let c = 0; c < channels; c++) {
    let mean = 0
    for (let v = 0; v < voxels; v++) mean += x[v * channels + c]
    mean /= voxels
    let variance = 0
    for (let v = 0; v < voxels; v++) variance += (x[v * channels + c] - mean) ** 2
    variance /= voxels
    for (let v = 0; v < voxels; v++) out[v * channels + c] = ((x[v * channels + c] - mean) / Math.sqrt(variance + epsilon)) * gamma[c] + beta[c]
  }
  return out
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

/** Through JSON text, as a saved model.json is read back. */
async function roundTrip(inputs: tf.SymbolicTensor | tf.SymbolicTensor[], outputs: tf.SymbolicTensor): Promise<tf.LayersModel> {
  const model = tf.model({ inputs, outputs })
  const modelTopology = JSON.parse(JSON.stringify(model.toJSON(null, false))) as tf.serialization.ConfigDict
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology }))
}

describe.each(BACKENDS)('custom layers on %s', (backend) => {
  it('upsampleNearest3d copies each voxel into a 2×2×2 block', async () => {
    await useBackend(backend)
    const x = tf.tensor5d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 1, 2, 3, 2])
    const y = upsampleNearest3d(x)
    expect(y.shape).toEqual([1, 2, 4, 6, 2])
    const out = (await y.array()) as number[][][][][]
    for (let d = 0; d < 2; d++) {
      for (let h = 0; h < 4; h++) {
        for (let w = 0; w < 6; w++) {
          const source = (Math.floor(h / 2) * 3 + Math.floor(w / 2)) * 2
          expect(out[0]?.[d]?.[h]?.[w]).toEqual([source + 1, source + 2])
        }
      }
    }
    tf.dispose([x, y])
  })

  it('upsampleNearest3d gradient matches finite differences of tf.grad', async () => {
    await useBackend(backend)
    const shape = [2, 2, 3, 2, 3]
    const x = seededTensor(shape, 11) as tf.Tensor5D
    const weights = seededTensor([2, 4, 6, 4, 3], 12)
    const objective = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(upsampleNearest3d(input as tf.Tensor5D), weights))
    const gradient = tf.grad(objective)(x)
    // The objective is linear, so central differences are exact up to float32 rounding.
    const at = Float64Array.from(await x.data())
    const numeric = finiteDifferences(
      (values) => tf.tidy(() => objective(tf.tensor(Float32Array.from(values), shape)).dataSync()[0] as number),
      at,
      0.5
    )
    expect(relativeError(await gradient.data(), numeric)).toBeLessThan(1e-5)
    tf.dispose([x, weights, gradient])
  })

  it('upsampleNearest3d in the plane ([1, 2, 2]) copies each voxel into a 1×2×2 block, and its gradient sums those blocks', async () => {
    await useBackend(backend)
    const x = tf.tensor5d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 2, 3, 1, 2])
    const y = upsampleNearest3d(x, [1, 2, 2])
    expect(y.shape).toEqual([1, 2, 6, 2, 2])
    const out = (await y.array()) as number[][][][][]
    for (let d = 0; d < 2; d++) {
      for (let h = 0; h < 6; h++) {
        for (let w = 0; w < 2; w++) {
          const source = (d * 3 + Math.floor(h / 2)) * 2
          expect(out[0]?.[d]?.[h]?.[w]).toEqual([source + 1, source + 2])
        }
      }
    }
    const shape = [2, 2, 3, 2, 3]
    const input = seededTensor(shape, 13) as tf.Tensor5D
    const weights = seededTensor([2, 2, 6, 4, 3], 14)
    const objective = (value: tf.Tensor): tf.Scalar => tf.sum(tf.mul(upsampleNearest3d(value as tf.Tensor5D, [1, 2, 2]), weights))
    const gradient = tf.grad(objective)(input)
    const numeric = finiteDifferences(
      (values) => tf.tidy(() => objective(tf.tensor(Float32Array.from(values), shape)).dataSync()[0] as number),
      Float64Array.from(await input.data()),
      0.5
    )
    expect(relativeError(await gradient.data(), numeric)).toBeLessThan(1e-5)
    tf.dispose([x, y, input, weights, gradient])
  })

  it('instanceNorm gradients (x, gamma, beta) match float64 finite differences', async () => {
    await useBackend(backend)
    const shape = [1, 3, 2, 4, 2]
    const channels = 2
    const epsilon = 1e-3
    const xValues = Float64Array.from(seededValues(48, 21), (v, i) => v * (1 + (i % 2)) + (i % 2) * 0.5)
    const gammaValues = Float64Array.from([1.5, -0.7])
    const betaValues = Float64Array.from([0.2, -0.1])
    const w = Float64Array.from(seededValues(48, 22))

    const objective = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(instanceNorm(x, gamma, beta, epsilon), tf.tensor(Float32Array.from(w), shape)))
    const tensors = [tf.tensor(Float32Array.from(xValues), shape), tf.tensor1d(Float32Array.from(gammaValues)), tf.tensor1d(Float32Array.from(betaValues))]
    const forward = instanceNorm(tensors[0] as tf.Tensor, tensors[1] as tf.Tensor, tensors[2] as tf.Tensor, epsilon)
    expect(relativeError(await forward.data(), instanceNormReference(xValues, channels, gammaValues, betaValues, epsilon))).toBeLessThan(1e-5)
    const [dx, dGamma, dBeta] = tf.grads(objective)(tensors)

    const h = 1e-6
    const numericX = finiteDifferences((x) => dot(instanceNormReference(x, channels, gammaValues, betaValues, epsilon), w), xValues, h)
    const numericGamma = finiteDifferences((g) => dot(instanceNormReference(xValues, channels, g, betaValues, epsilon), w), gammaValues, h)
    const numericBeta = finiteDifferences((b) => dot(instanceNormReference(xValues, channels, gammaValues, b, epsilon), w), betaValues, h)
    expect(relativeError(await (dx as tf.Tensor).data(), numericX)).toBeLessThan(1e-4)
    expect(relativeError(await (dGamma as tf.Tensor).data(), numericGamma)).toBeLessThan(1e-4)
    expect(relativeError(await (dBeta as tf.Tensor).data(), numericBeta)).toBeLessThan(1e-4)
    tf.dispose([...tensors, forward, dx, dGamma, dBeta])
  })

  it('concatChannels gives the stock concat and its gradient', async () => {
    await useBackend(backend)
    const a = seededTensor([2, 3, 2, 2, 3], 31)
    const b = seededTensor([2, 3, 2, 2, 5], 32)
    const w = seededTensor([2, 3, 2, 2, 8], 33)
    const ours = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(concatChannels([x, y]), w))
    const stock = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.concat([x, y], -1), w))
    expect(Array.from(await concatChannels([a, b]).data())).toEqual(Array.from(await tf.concat([a, b], -1).data()))
    const [da, db] = tf.grads(ours)([a, b])
    const [sa, sb] = tf.grads(stock)([a, b])
    expect(Array.from(await (da as tf.Tensor).data())).toEqual(Array.from(await (sa as tf.Tensor).data()))
    expect(Array.from(await (db as tf.Tensor).data())).toEqual(Array.from(await (sb as tf.Tensor).data()))
    tf.dispose([a, b, w, da, db, sa, sb])
  })
})

describe('custom layers as tfjs layers (cpu)', () => {
  it('InstanceNormalization normalises each sample and channel over space, with learnable gamma and beta', async () => {
    await useBackend('cpu')
    const layer = new InstanceNormalization({ epsilon: 1e-6 })
    const x = tf.add(tf.mul(seededTensor([2, 4, 3, 5, 3], 41), tf.tensor1d([1, 10, 100])), tf.tensor1d([5, -3, 50]))
    const y = layer.apply(x) as tf.Tensor
    const { mean, variance } = tf.moments(y, [1, 2, 3])
    for (const value of await mean.data()) expect(Math.abs(value)).toBeLessThan(1e-5)
    for (const value of await variance.data()) expect(value).toBeCloseTo(1, 4)
    expect(layer.trainableWeights.map((weight) => [weight.originalName.split('/').at(-1), weight.shape])).toEqual([
      ['gamma', [3]],
      ['beta', [3]]
    ])
    tf.dispose([x, y, mean, variance])
  })

  it('InstanceNormalization and UpSampling3D serialise and deserialise with their config', async () => {
    await useBackend('cpu')
    const input = tf.input({ shape: [null, null, null, 2] })
    const normed = new InstanceNormalization({ name: 'norm', epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor
    const output = new UpSampling3D({ name: 'up' }).apply(normed) as tf.SymbolicTensor
    const restored = await roundTrip(input, output)
    expect(restored.getLayer('norm')).toBeInstanceOf(InstanceNormalization)
    expect((restored.getLayer('norm') as InstanceNormalization).epsilon).toBe(1e-3)
    expect(restored.getLayer('up')).toBeInstanceOf(UpSampling3D)
    expect(restored.outputs[0]?.shape).toEqual([null, null, null, null, 2])
    // In the plane: the factors survive the round trip (D stays, H and W double).
    const slice = tf.input({ shape: [1, 4, 6, 2] })
    const planar = await roundTrip(slice, new UpSampling3D({ name: 'up2d', size: [1, 2, 2] }).apply(slice) as tf.SymbolicTensor)
    expect(planar.getLayer('up2d').getConfig().size).toEqual([1, 2, 2])
    expect(planar.outputs[0]?.shape).toEqual([null, 1, 8, 12, 2])
  })

  it('ConcatChannels serialises and infers the output channels', async () => {
    await useBackend('cpu')
    const a = tf.input({ shape: [4, null, 4, 3] })
    const b = tf.input({ shape: [4, null, 4, 5] })
    const output = new ConcatChannels({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor
    expect(output.shape).toEqual([null, 4, null, 4, 8])
    const restored = await roundTrip([a, b], output)
    expect(restored.getLayer('cat')).toBeInstanceOf(ConcatChannels)
  })

  it('UpSampling3D refuses sizes other than 2 or [1, 2, 2] and channels-first data', () => {
    expect(() => new UpSampling3D({ size: 3 })).toThrow(/size 2 or \[1, 2, 2\] only/)
    expect(() => new UpSampling3D({ size: [2, 2, 1] })).toThrow(/size 2 or \[1, 2, 2\] only/)
    expect(() => new UpSampling3D({ size: [1, 1, 2] })).toThrow(/size 2 or \[1, 2, 2\] only/)
    expect(() => new UpSampling3D({ dataFormat: 'channelsFirst' })).toThrow(/channelsLast/)
    expect(() => new InstanceNormalization({ epsilon: 0 })).toThrow(/epsilon/)
  })
})
