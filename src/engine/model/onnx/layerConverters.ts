/**
 * One converter per tfjs layer class: how a layer becomes ONNX nodes. The graph walk
 * (tfjsToOnnx.ts) hands each converter the layer, its config, its weights and its input values,
 * all in channels-first layout (NCDHW: ONNX's Conv, ConvTranspose, InstanceNormalization and
 * pooling ops work on axis 1); it returns the layer's output values.
 *
 * A network built from these classes converts without changes here, whatever its wiring; a class
 * not listed fails the export with an INVALID_ARGUMENT error naming the layer and its class. Layers are
 * matched by tfjs class name (`getClassName()`), the same name model.json stores.
 */
import type * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../../shared/errors'
import type { OnnxAttributeValue } from '../../../node/formats/onnx'

/** A weight of a layer, by its short name ('kernel', 'bias', 'gamma', …). */
export interface LayerWeight {
  shape: readonly number[]
  values: Float32Array
}

/** What a converter may add to the graph. */
export interface GraphBuilder {
  /** Adds a node; returns its output names (fresh, derived from `name`). */
  node(opType: string, name: string, inputs: readonly string[], attributes?: Readonly<Record<string, OnnxAttributeValue>>, outputCount?: number): string[]
  /** Adds a float32 initializer; returns its (fresh) name. */
  floats(name: string, dims: readonly number[], values: Float32Array): string
  /** Adds an int64 initializer; returns its (fresh) name. */
  int64s(name: string, values: readonly number[]): string
}

export interface LayerToConvert {
  layer: tf.layers.Layer
  className: string
  config: tf.serialization.ConfigDict
  /** Input values, channels-first. */
  inputs: readonly string[]
  /** Rank of each input (5 for the volumetric networks). */
  inputRanks: readonly number[]
  weights: ReadonlyMap<string, LayerWeight>
}

export type LayerConverter = (graph: GraphBuilder, layer: LayerToConvert) => string[]

const ints = (value: readonly number[]): OnnxAttributeValue => ({ kind: 'ints', value })
const int = (value: number): OnnxAttributeValue => ({ kind: 'int', value })
const float = (value: number): OnnxAttributeValue => ({ kind: 'float', value })
const string = (value: string): OnnxAttributeValue => ({ kind: 'string', value })

function unsupported(layer: LayerToConvert, what: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `ONNX export: layer ${layer.layer.name} (${layer.className}) ${what}`)
}

function only<T>(values: readonly T[], layer: LayerToConvert): T {
  const [first] = values
  if (values.length !== 1 || first === undefined) throw unsupported(layer, `takes one input here, got ${values.length}`)
  return first
}

function weight(layer: LayerToConvert, name: string): LayerWeight {
  const found = layer.weights.get(name)
  if (!found) throw unsupported(layer, `has no weight '${name}' (it has ${[...layer.weights.keys()].join(', ') || 'none'})`)
  return found
}

/** A config entry as a list of n numbers (tfjs stores sizes as a number or a list). */
function sizes(layer: LayerToConvert, key: string, n: number, fallback?: number): number[] {
  const value = layer.config[key] ?? fallback
  const list = typeof value === 'number' ? new Array<number>(n).fill(value) : value
  if (!Array.isArray(list) || list.length !== n || !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
    throw unsupported(layer, `has ${key} ${JSON.stringify(value)}; expected ${n} positive integers`)
  }
  return list as number[]
}

function requireChannelsLast(layer: LayerToConvert): void {
  const format = layer.config.dataFormat ?? 'channelsLast'
  if (format !== 'channelsLast') throw unsupported(layer, `has dataFormat '${String(format)}'; Voxloop's networks are channels-last`)
}

/**
 * A channels-last axis as the same axis in channels-first layout: the last (channels) axis becomes
 * 1, spatial axes move one up, the batch stays 0.
 */
export function channelsFirstAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis
  if (!(Number.isInteger(a) && a >= 0 && a < rank)) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`)
  if (a === 0) return 0
  return a === rank - 1 ? 1 : a + 1
}

function axisOf(layer: LayerToConvert, key: string, fallback: number): number {
  const value = layer.config[key] ?? fallback
  const axis = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (typeof axis !== 'number') throw unsupported(layer, `has ${key} ${JSON.stringify(value)}; one axis is supported`)
  return channelsFirstAxis(axis, layer.inputRanks[0] ?? 5)
}

/**
 * Kernel [k…, a, b] (channels-last, tfjs) → [b, a, k…]: Conv's [k…, in, out] → W [out, in, k…], and
 * the same move for ConvTranspose, whose tfjs kernel [k…, out, in] becomes W [in, out, k…].
 */
function convKernel(kernel: LayerWeight, spatial: number): { dims: number[]; values: Float32Array } {
  const inChannels = kernel.shape[spatial] as number
  const outChannels = kernel.shape[spatial + 1] as number
  const taps = kernel.shape.slice(0, spatial).reduce((a, b) => a * b, 1)
  const out = new Float32Array(kernel.values.length)
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0; o < outChannels; o++) out[(o * inChannels + i) * taps + t] = kernel.values[(t * inChannels + i) * outChannels + o] as number
    }
  }
  return { dims: [outChannels, inChannels, ...kernel.shape.slice(0, spatial)], values: out }
}

/**
 * The padding of a conv or pooling layer on input `x`: attributes for the ONNX op, and the input
 * the op must read (`x`, or a crop of it). tfjs's 'same' pads (⌈n/s⌉−1)·s + k' − n in total
 * (k' = (k−1)·d + 1, the dilated extent), ⌊total/2⌋ in front, and unlike TensorFlow does not clamp
 * the total at 0 (tfjs-core conv_util computePadding), so:
 *
 * - axes with stride 1 pad k'−1 whatever their size n: explicit pads, exact for any input
 *   (onnxruntime also refuses auto_pad with dilation, which tfjs allows only with stride 1);
 * - strided axes with k' ≥ s pad ≥ 0, TensorFlow's rule, which is ONNX's SAME_UPPER for any n;
 * - strided axes with k' < s (the residual unit's 1×1×1 stride-2 projection) pad a negative amount:
 *   tfjs starts at voxel 1, not 0 (measured: [0 … 5] → [1, 3, 5]). ONNX pads cannot be negative, so
 *   the input is cropped by a Slice instead. Exact when n is a multiple of s, which it always is in
 *   a network whose input is a multiple of its spatial divisor (for odd n tfjs's own offset changes).
 * A layer that mixes the last two kinds of axis is refused.
 */
function padded(
  graph: GraphBuilder,
  layer: LayerToConvert,
  x: string,
  geometry: { kernel: readonly number[]; strides: readonly number[]; dilations: readonly number[] }
): { input: string; attributes: Record<string, OnnxAttributeValue> } {
  const { kernel, strides, dilations } = geometry
  const padding = layer.config.padding ?? 'valid'
  if (padding === 'valid') return { input: x, attributes: { pads: ints(new Array<number>(2 * kernel.length).fill(0)) } }
  if (padding !== 'same') throw unsupported(layer, `has padding '${String(padding)}'; 'same' and 'valid' are supported`)
  const extents = kernel.map((k, a) => (k - 1) * (dilations[a] as number) + 1)
  const strided = strides.map((s) => s > 1)
  const wide = extents.map((e, a) => strided[a] && e >= (strides[a] as number))
  const narrow = extents.map((e, a) => strided[a] && e < (strides[a] as number))
  if (wide.some(Boolean) && narrow.some(Boolean)) {
    throw unsupported(layer, `mixes axes whose kernel ${JSON.stringify(kernel)} is at least its stride ${JSON.stringify(strides)} with axes where it is smaller; 'same' padding of that mix does not convert`)
  }
  if (wide.some(Boolean)) {
    if (dilations.some((d) => d !== 1)) throw unsupported(layer, 'combines strides with dilation')
    return { input: x, attributes: { auto_pad: string('SAME_UPPER') } }
  }
  const total = extents.map((e, a) => (strided[a] ? 0 : e - 1))
  const attributes = { pads: ints([...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))]) }
  if (!narrow.some(Boolean)) return { input: x, attributes }
  const axes: number[] = []
  const starts: number[] = []
  const ends: number[] = []
  narrow.forEach((isNarrow, a) => {
    if (!isNarrow) return
    const negative = (extents[a] as number) - (strides[a] as number)
    const front = Math.floor(negative / 2)
    const back = negative - front
    axes.push(a + 2)
    starts.push(-front)
    // An end of 0 would mean "nothing"; the largest int64 means "to the end".
    ends.push(back === 0 ? Number.MAX_SAFE_INTEGER : back)
  })
  const name = layer.layer.name
  const [cropped] = graph.node('Slice', `${name}_crop`, [x, graph.int64s(`${name}_crop_starts`, starts), graph.int64s(`${name}_crop_ends`, ends), graph.int64s(`${name}_crop_axes`, axes)])
  return { input: cropped as string, attributes }
}

/** The activation a layer config names (`activation: 'relu'` on a conv, or an Activation layer), applied to `x`. */
function applyActivation(graph: GraphBuilder, layer: LayerToConvert, x: string, activation: unknown, rank: number): string {
  const name = `${layer.layer.name}_${String(activation)}`
  const one = (op: string, attributes?: Record<string, OnnxAttributeValue>): string => graph.node(op, name, [x], attributes)[0] as string
  switch (activation ?? 'linear') {
    case 'linear':
      return x
    case 'relu':
      return one('Relu')
    case 'relu6':
      return graph.node('Clip', name, [x, graph.floats(`${name}_min`, [], Float32Array.of(0)), graph.floats(`${name}_max`, [], Float32Array.of(6))])[0] as string
    case 'sigmoid':
      return one('Sigmoid')
    case 'hardSigmoid':
      // tfjs: clip(0.2·x + 0.5, 0, 1), ONNX HardSigmoid's defaults spelled out.
      return one('HardSigmoid', { alpha: float(0.2), beta: float(0.5) })
    case 'tanh':
      return one('Tanh')
    case 'elu':
      return one('Elu', { alpha: float(1) })
    case 'selu':
      return one('Selu')
    case 'softplus':
      return one('Softplus')
    case 'softsign':
      return one('Softsign')
    case 'softmax':
      // tfjs's softmax activation normalises over the last (channels) axis.
      return one('Softmax', { axis: int(channelsFirstAxis(-1, rank)) })
    default:
      throw unsupported(layer, `uses activation '${String(activation)}', which the ONNX export does not convert`)
  }
}

const conv3d: LayerConverter = (graph, layer) => {
  requireChannelsLast(layer)
  const x = only(layer.inputs, layer)
  const kernel = weight(layer, 'kernel')
  if (kernel.shape.length !== 5) throw unsupported(layer, `has a kernel of shape [${kernel.shape.join(', ')}]; expected [kd, kh, kw, in, out]`)
  const kernelShape = kernel.shape.slice(0, 3)
  const strides = sizes(layer, 'strides', 3, 1)
  const dilations = sizes(layer, 'dilationRate', 3, 1)
  const { input, attributes } = padded(graph, layer, x, { kernel: kernelShape, strides, dilations })
  const w = convKernel(kernel, 3)
  const inputs = [input, graph.floats(`${layer.layer.name}_W`, w.dims, w.values)]
  if (layer.config.useBias !== false) inputs.push(graph.floats(`${layer.layer.name}_B`, weight(layer, 'bias').shape, weight(layer, 'bias').values))
  const [y] = graph.node('Conv', layer.layer.name, inputs, { kernel_shape: ints(kernelShape), strides: ints(strides), dilations: ints(dilations), ...attributes })
  return [applyActivation(graph, layer, y as string, layer.config.activation, 5)]
}

/**
 * tfjs sizes a transposed conv's output as in·s ('same') or in·s + max(k−s, 0) ('valid'); ONNX as
 * s·(in−1) + k + output_padding − pads. Both give explicit pads (the same for any input size):
 * 'same' crops k−s with the odd voxel at the end, as TensorFlow's conv3d_transpose does; a kernel
 * smaller than its stride leaves s−k to output_padding.
 */
const conv3dTranspose: LayerConverter = (graph, layer) => {
  requireChannelsLast(layer)
  const x = only(layer.inputs, layer)
  const kernel = weight(layer, 'kernel')
  if (kernel.shape.length !== 5) throw unsupported(layer, `has a kernel of shape [${kernel.shape.join(', ')}]; expected [kd, kh, kw, out, in]`)
  const kernelShape = kernel.shape.slice(0, 3)
  const strides = sizes(layer, 'strides', 3, 1)
  const dilations = sizes(layer, 'dilationRate', 3, 1)
  const padding = layer.config.padding ?? 'valid'
  if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `has padding '${String(padding)}'; 'same' and 'valid' are supported`)
  const begin: number[] = []
  const end: number[] = []
  const outputPadding: number[] = []
  kernelShape.forEach((k, a) => {
    const s = strides[a] as number
    const extent = ((k as number) - 1) * (dilations[a] as number) + 1
    const crop = padding === 'same' ? Math.max(extent - s, 0) : 0
    begin.push(Math.floor(crop / 2))
    end.push(crop - Math.floor(crop / 2))
    outputPadding.push(Math.max(s - extent, 0))
  })
  const w = convKernel(kernel, 3)
  const inputs = [x, graph.floats(`${layer.layer.name}_W`, w.dims, w.values)]
  if (layer.config.useBias !== false) inputs.push(graph.floats(`${layer.layer.name}_B`, weight(layer, 'bias').shape, weight(layer, 'bias').values))
  const [y] = graph.node('ConvTranspose', layer.layer.name, inputs, {
    kernel_shape: ints(kernelShape),
    strides: ints(strides),
    dilations: ints(dilations),
    pads: ints([...begin, ...end]),
    output_padding: ints(outputPadding)
  })
  return [applyActivation(graph, layer, y as string, layer.config.activation, 5)]
}

/** Voxloop's InstanceNormalization: per sample and channel over the spatial axes, population variance, as ONNX's. */
const instanceNormalization: LayerConverter = (graph, layer) => {
  const x = only(layer.inputs, layer)
  const epsilon = layer.config.epsilon
  if (typeof epsilon !== 'number') throw unsupported(layer, 'has no epsilon in its config')
  const gamma = weight(layer, 'gamma')
  const beta = weight(layer, 'beta')
  const scale = graph.floats(`${layer.layer.name}_scale`, gamma.shape, gamma.values)
  const bias = graph.floats(`${layer.layer.name}_bias`, beta.shape, beta.values)
  return graph.node('InstanceNormalization', layer.layer.name, [x, scale, bias], { epsilon: float(epsilon) })
}

const leakyReLU: LayerConverter = (graph, layer) => {
  const alpha = layer.config.alpha
  return graph.node('LeakyRelu', layer.layer.name, [only(layer.inputs, layer)], { alpha: float(typeof alpha === 'number' ? alpha : 0.3) })
}

const reLU: LayerConverter = (graph, layer) => {
  const x = only(layer.inputs, layer)
  const maxValue = layer.config.maxValue
  if (maxValue === null || maxValue === undefined) return graph.node('Relu', layer.layer.name, [x])
  if (typeof maxValue !== 'number') throw unsupported(layer, `has maxValue ${JSON.stringify(maxValue)}`)
  const name = layer.layer.name
  return graph.node('Clip', name, [x, graph.floats(`${name}_min`, [], Float32Array.of(0)), graph.floats(`${name}_max`, [], Float32Array.of(maxValue))])
}

const activation: LayerConverter = (graph, layer) => [applyActivation(graph, layer, only(layer.inputs, layer), layer.config.activation, layer.inputRanks[0] ?? 5)]

const softmax: LayerConverter = (graph, layer) => graph.node('Softmax', layer.layer.name, [only(layer.inputs, layer)], { axis: int(axisOf(layer, 'axis', -1)) })

/** Voxloop's UpSampling3D: nearest ×2; 'asymmetric' + 'floor' makes ONNX Resize copy each voxel into its 2×2×2 block. */
const upSampling3d: LayerConverter = (graph, layer) => {
  const size = sizes(layer, 'size', 3, 2)
  const scales = graph.floats(`${layer.layer.name}_scales`, [5], Float32Array.from([1, 1, ...size]))
  return graph.node('Resize', layer.layer.name, [only(layer.inputs, layer), '', scales], {
    mode: string('nearest'),
    coordinate_transformation_mode: string('asymmetric'),
    nearest_mode: string('floor')
  })
}

const concatChannels: LayerConverter = (graph, layer) => graph.node('Concat', layer.layer.name, layer.inputs, { axis: int(1) })

const concatenate: LayerConverter = (graph, layer) => graph.node('Concat', layer.layer.name, layer.inputs, { axis: int(axisOf(layer, 'axis', -1)) })

/** Element-wise merges of same-shaped tensors: one variadic op, or a chain of binary ones. */
function merge(variadic: string | null, binary: string): LayerConverter {
  return (graph, layer) => {
    if (layer.inputs.length < 2) throw unsupported(layer, `merges ${layer.inputs.length} input(s); at least 2 are needed`)
    if (variadic && layer.inputs.length > 2) return graph.node(variadic, layer.layer.name, layer.inputs)
    let acc = layer.inputs[0] as string
    for (const next of layer.inputs.slice(1)) acc = graph.node(binary, layer.layer.name, [acc, next])[0] as string
    return [acc]
  }
}

function pooling(op: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (graph, layer) => {
    requireChannelsLast(layer)
    const poolSize = sizes(layer, 'poolSize', 3, 2)
    const strides = sizes(layer, 'strides', 3, poolSize[0])
    const { input, attributes } = padded(graph, layer, only(layer.inputs, layer), { kernel: poolSize, strides, dilations: [1, 1, 1] })
    return graph.node(op, layer.layer.name, [input], {
      kernel_shape: ints(poolSize),
      strides: ints(strides),
      ...attributes,
      // tfjs averages over the voxels inside the volume only, as count_include_pad = 0 does.
      ...(op === 'AveragePool' ? { count_include_pad: int(0) } : {})
    })
  }
}

/** Layers that do nothing at inference (dropout and noise are training-time only): the input passes through. */
const identity: LayerConverter = (_graph, layer) => [only(layer.inputs, layer)]

/**
 * The registry: tfjs class name → converter. Covers every class the architecture registry's
 * builders use (Conv3D, Conv3DTranspose, InstanceNormalization, LeakyReLU, ReLU, UpSampling3D,
 * ConcatChannels, Add, Softmax) plus the stock layers a new network is likely to take up.
 */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = Object.freeze({
  Conv3D: conv3d,
  Conv3DTranspose: conv3dTranspose,
  InstanceNormalization: instanceNormalization,
  LeakyReLU: leakyReLU,
  ReLU: reLU,
  Activation: activation,
  Softmax: softmax,
  UpSampling3D: upSampling3d,
  ConcatChannels: concatChannels,
  Concatenate: concatenate,
  Add: merge('Sum', 'Add'),
  Multiply: merge(null, 'Mul'),
  Average: merge('Mean', 'Mean'),
  Maximum: merge('Max', 'Max'),
  Minimum: merge('Min', 'Min'),
  MaxPooling3D: pooling('MaxPool'),
  AveragePooling3D: pooling('AveragePool'),
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity
})
