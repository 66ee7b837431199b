/**
 * The ONNX export run by onnxruntime (the CPU provider of onnxruntime-node) against tfjs's own
 * predict: every architecture of the registry, and small networks of each convertible layer class
 * with settings the registry's builders do not use (odd kernels, valid padding, bias, activations).
 * Weights are random (gammas and betas too), so a transposed kernel or a wrong axis shows.
 */
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeOnnxModel } from '../../../../../src/node/formats/onnx'
import { ARCHITECTURE_REGISTRY } from '../../../../../src/engine/model/architectures'
import { ConcatChannels, InstanceNormalization, UpSampling3D } from '../../../../../src/engine/model/layers'
import { predictionModel } from '../../../../../src/engine/model/predictionModel'
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, tfjsToOnnx } from '../../../../../src/engine/model/onnx/tfjsToOnnx'
import { channelsFirstAxis } from '../../../../../src/engine/model/onnx/layerConverters'
import { ARCHITECTURES } from '../../../../../src/shared/training'
import { VoxloopError } from '../../../../../src/shared/errors'
import { seededValues } from '../../../../helpers/seededTensors'

beforeAll(async () => {
  await tf.setBackend('cpu')
  await tf.ready()
})

/** Random weights everywhere: gammas around 1, everything else around 0 at a He-like scale. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((variable, i) => {
      // Weights always have known shapes.
      const shape = variable.shape as number[]
      const size = shape.reduce((a, b) => a * b, 1)
      const noise = seededValues(size, seed + 7919 * i)
      const short = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1)
      const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1
      const values =
        short === 'gamma' ? noise.map((v) => 1 + 0.5 * v) : short === 'moving_variance' ? noise.map((v) => 1 + 0.5 * Math.abs(v)) : noise.map((v) => v * Math.sqrt(6 / fanIn))
      return tf.tensor(values, shape)
    })
  )
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })
  try {
    const result = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', input, shape) })
    const output = result[ONNX_OUTPUT_NAME]
    if (!output) throw new Error(`no output ${ONNX_OUTPUT_NAME}`)
    return { data: output.data as Float32Array, dims: output.dims }
  } finally {
    await session.release()
  }
}

/** max |onnx − tfjs| over one seeded input, and the tfjs output (to see that it is not trivial). */
async function compare(model: tf.LayersModel, shape: number[], seed = 3): Promise<{ maxDiff: number; expected: Float32Array; dims: readonly number[] }> {
  const input = seededValues(shape.reduce((a, b) => a * b, 1), seed).map((v) => 2 * v)
  const expected = tf.tidy(() => (predictionModel(model).predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array)
  const bytes = encodeOnnxModel(tfjsToOnnx(model, { producerVersion: 'test' }))
  const actual = await runOnnx(bytes, input, shape)
  expect(actual.data.length).toBe(expected.length)
  let maxDiff = 0
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs((actual.data[i] as number) - (expected[i] as number)))
  return { maxDiff, expected, dims: actual.dims }
}

function spread(values: Float32Array): number {
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    min = Math.min(min, v)
    max = Math.max(max, v)
  }
  return max - min
}

describe('tfjsToOnnx: every architecture of the registry, run by onnxruntime', () => {
  it.each(ARCHITECTURES)('%s: probabilities within 1e-4 of tfjs predict', async (name) => {
    const architecture = ARCHITECTURE_REGISTRY[name]
    const options = architecture.resolve({ inputChannels: 2, numClasses: 3, seed: 5, depth: 3, baseFilters: 4, planeEdge: 16 })
    const model = architecture.build(options)
    randomizeWeights(model, 11)
    const divisor = architecture.divisorOf(options)
    const shape = [2, ...divisor.map((d) => (d === 1 ? (architecture.planar ? 1 : 4) : 2 * d)), 2]
    const { maxDiff, expected, dims } = await compare(model, shape)
    expect(dims).toEqual([...shape.slice(0, 4), 3])
    // A network whose output hardly varies would hide a wrong transpose.
    expect(spread(expected)).toBeGreaterThan(0.3)
    expect(maxDiff).toBeLessThanOrEqual(1e-4)
  })

  it('exports only the main output of a deeply supervised network', () => {
    const architecture = ARCHITECTURE_REGISTRY['plain-unet']
    const model = architecture.build(architecture.resolve({ inputChannels: 1, numClasses: 2, seed: 1, depth: 4, baseFilters: 2, deepSupervision: true }))
    expect(model.outputs.length).toBeGreaterThan(1)
    const onnx = tfjsToOnnx(model, { producerVersion: 'test' })
    expect(onnx.graph.outputs.map((o) => o.name)).toEqual([ONNX_OUTPUT_NAME])
    // The heads' layers (ds1_logits, …) are not in the graph.
    expect(onnx.graph.nodes.some((n) => n.name.startsWith('ds'))).toBe(false)
    expect(onnx.graph.nodes.filter((n) => n.opType === 'Softmax')).toHaveLength(1)
  })
})

type Sym = tf.SymbolicTensor
const on = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym

/** Small networks of one layer class each, with settings the builders do not use. */
const LAYER_CASES: { name: string; shape: number[]; build: (x: Sym) => Sym }[] = [
  { name: 'Conv3D 3×3×3 same, bias, relu', shape: [1, 5, 6, 7, 2], build: (x) => on(tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), x) },
  { name: 'Conv3D [1,3,3] stride [1,2,2] same (2D nets)', shape: [2, 1, 8, 8, 2], build: (x) => on(tf.layers.conv3d({ filters: 3, kernelSize: [1, 3, 3], strides: [1, 2, 2], padding: 'same', useBias: false }), x) },
  { name: 'Conv3D 4×4×4 stride 2 same, odd sizes', shape: [1, 7, 5, 6, 1], build: (x) => on(tf.layers.conv3d({ filters: 2, kernelSize: 4, strides: 2, padding: 'same' }), x) },
  { name: 'Conv3D 1×1×1 stride 2 same (the residual projection)', shape: [1, 4, 6, 8, 2], build: (x) => on(tf.layers.conv3d({ filters: 3, kernelSize: 1, strides: 2, padding: 'same' }), x) },
  { name: 'Conv3D [1,1,1] stride [1,2,2] same', shape: [1, 3, 4, 6, 2], build: (x) => on(tf.layers.conv3d({ filters: 3, kernelSize: 1, strides: [1, 2, 2], padding: 'same' }), x) },
  { name: 'Conv3D 2×3×2 valid, sigmoid', shape: [1, 5, 6, 5, 2], build: (x) => on(tf.layers.conv3d({ filters: 2, kernelSize: [2, 3, 2], padding: 'valid', activation: 'sigmoid' }), x) },
  { name: 'Conv3D dilation 2 same, tanh', shape: [1, 6, 6, 6, 1], build: (x) => on(tf.layers.conv3d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh' }), x) },
  { name: 'Conv3DTranspose 2×2×2 stride 2 same', shape: [1, 3, 4, 2, 3], build: (x) => on(tf.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' }), x) },
  { name: 'Conv3DTranspose 3×3×3 stride 2 same', shape: [1, 3, 4, 2, 2], build: (x) => on(tf.layers.conv3dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), x) },
  { name: 'Conv3DTranspose [1,2,2] stride [1,2,2] valid', shape: [1, 1, 4, 3, 2], build: (x) => on(tf.layers.conv3dTranspose({ filters: 3, kernelSize: [1, 2, 2], strides: [1, 2, 2], padding: 'valid' }), x) },
  { name: 'Conv3DTranspose 3×3×3 stride 1 valid', shape: [1, 3, 3, 2, 2], build: (x) => on(tf.layers.conv3dTranspose({ filters: 2, kernelSize: 3, strides: 1, padding: 'valid' }), x) },
  { name: 'InstanceNormalization', shape: [2, 3, 4, 5, 3], build: (x) => on(new InstanceNormalization({ epsilon: 1e-3 }), x) },
  { name: 'LeakyReLU 0.1', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.leakyReLU({ alpha: 0.1 }), x) },
  { name: 'ReLU with maxValue', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.reLU({ maxValue: 0.5 }), x) },
  { name: 'Activation elu', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.activation({ activation: 'elu' }), x) },
  { name: 'Softmax over channels', shape: [1, 2, 3, 4, 4], build: (x) => on(tf.layers.softmax({ axis: -1 }), x) },
  { name: 'UpSampling3D nearest ×2', shape: [1, 2, 3, 2, 2], build: (x) => on(new UpSampling3D(), x) },
  { name: 'ConcatChannels', shape: [1, 2, 3, 4, 2], build: (x) => on(new ConcatChannels(), [x, on(tf.layers.conv3d({ filters: 3, kernelSize: 1 }), x)]) },
  { name: 'Concatenate along H', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.concatenate({ axis: 2 }), [x, on(tf.layers.leakyReLU({ alpha: 0.2 }), x)]) },
  { name: 'Add of three', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.add(), [x, on(tf.layers.conv3d({ filters: 2, kernelSize: 1 }), x), on(tf.layers.reLU(), x)]) },
  { name: 'Multiply, Maximum', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.maximum(), [on(tf.layers.multiply(), [x, on(tf.layers.reLU(), x)]), x]) },
  { name: 'MaxPooling3D 2 same, odd sizes', shape: [1, 3, 5, 4, 2], build: (x) => on(tf.layers.maxPooling3d({ poolSize: 2, padding: 'same' }), x) },
  { name: 'AveragePooling3D 2 same, odd sizes', shape: [1, 3, 5, 4, 2], build: (x) => on(tf.layers.averagePooling3d({ poolSize: 2, padding: 'same' }), x) },
  { name: 'Dropout passes through', shape: [1, 2, 3, 4, 2], build: (x) => on(tf.layers.reLU(), on(tf.layers.dropout({ rate: 0.5 }), x)) }
]

describe('tfjsToOnnx: each layer class, run by onnxruntime', () => {
  it.each(LAYER_CASES)('$name', async ({ shape, build }) => {
    const x = tf.input({ shape: shape.slice(1) })
    const model = tf.model({ inputs: x, outputs: build(x) })
    randomizeWeights(model, 2)
    const { maxDiff } = await compare(model, shape)
    expect(maxDiff).toBeLessThanOrEqual(1e-5)
  })
})

describe('tfjsToOnnx: what it refuses', () => {
  it('names the layer and class it cannot convert', () => {
    const x = tf.input({ shape: [4, 4, 4, 2] })
    const model = tf.model({ inputs: x, outputs: on(tf.layers.reLU(), on(tf.layers.permute({ name: 'swap_axes', dims: [2, 1, 3, 4] }), x)) })
    expect(() => tfjsToOnnx(model, { producerVersion: 'test' })).toThrow(VoxloopError)
    expect(() => tfjsToOnnx(model, { producerVersion: 'test' })).toThrow(/layer swap_axes is a Permute, which the ONNX export cannot convert/)
  })

  it('names an activation it cannot convert', () => {
    const x = tf.input({ shape: [4, 4, 4, 2] })
    const model = tf.model({ inputs: x, outputs: on(tf.layers.conv3d({ filters: 1, kernelSize: 1, activation: 'swish' }), x) })
    expect(() => tfjsToOnnx(model, { producerVersion: 'test' })).toThrow(/uses activation 'swish'/)
  })

  it('refuses a network that is not rank 5', () => {
    const x = tf.input({ shape: [8, 8, 1] })
    const model = tf.model({ inputs: x, outputs: on(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same' }), x) })
    expect(() => tfjsToOnnx(model, { producerVersion: 'test' })).toThrow(/rank-5 \(NDHWC\)/)
  })
})

describe('channelsFirstAxis', () => {
  it.each([
    [-1, 5, 1],
    [4, 5, 1],
    [0, 5, 0],
    [1, 5, 2],
    [3, 5, 4],
    [-2, 5, 4]
  ])('axis %i of rank %i → %i', (axis, rank, expected) => {
    expect(channelsFirstAxis(axis, rank)).toBe(expected)
  })
})
