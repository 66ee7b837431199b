/**
 * A tfjs LayersModel as an ONNX graph (opset 17), for running a Voxloop model outside Voxloop.
 *
 * Layout: the ONNX model takes and gives what the tfjs model does, channels-last:
 *   input  'image'         float32 [batch, D, H, W, C]  (normalised, resampled intensities)
 *   output 'probabilities' float32 [batch, D, H, W, K]  (softmax over the K classes)
 * Inside, one Transpose turns the input channels-first (NCDHW, the layout of ONNX's Conv,
 * ConvTranspose, InstanceNormalization and pooling) and one turns the result back: two transposes
 * in all rather than two around every layer.
 *
 * Only what the first output needs is exported: deep supervision's extra heads (outputs 1…) train
 * the network and are never used to predict (predictionModel.ts).
 */
import type * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../../shared/errors'
import type { OnnxDim, OnnxModel, OnnxNode, OnnxTensor, OnnxAttributeValue } from '../../../node/formats/onnx'
import { LAYER_CONVERTERS, type GraphBuilder, type LayerConverter, type LayerWeight } from './layerConverters'

/** The ai.onnx opset written: 17 has every op used here in its current form (Resize 13, Softmax 13, Clip 13). */
export const ONNX_OPSET = 17

export const ONNX_INPUT_NAME = 'image'
export const ONNX_OUTPUT_NAME = 'probabilities'

export interface TfjsToOnnxOptions {
  producerVersion: string
  /** ModelProto.metadata_props. */
  metadata?: readonly { key: string; value: string }[]
  docString?: string
  /** Converters by class name; default LAYER_CONVERTERS (tests add their own). */
  converters?: Readonly<Record<string, LayerConverter>>
}

type Symbolic = tf.SymbolicTensor

/** Graph under construction: nodes in topological order, initializers, and fresh names. */
class Builder implements GraphBuilder {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxTensor[] = []
  private readonly used = new Set<string>()

  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'value'
    let name = clean
    for (let n = 1; this.used.has(name); n++) name = `${clean}_${n}`
    this.used.add(name)
    return name
  }

  node(opType: string, name: string, inputs: readonly string[], attributes: Readonly<Record<string, OnnxAttributeValue>> = {}, outputCount = 1): string[] {
    const nodeName = this.fresh(`${name}/${opType}`)
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(outputCount === 1 ? `${name}_${opType}` : `${name}_${opType}_${i}`))
    this.nodes.push({ opType, name: nodeName, inputs, outputs, attributes })
    return outputs
  }

  floats(name: string, dims: readonly number[], values: Float32Array): string {
    const fresh = this.fresh(name)
    this.initializers.push({ name: fresh, dataType: 'float', dims, values })
    return fresh
  }

  int64s(name: string, values: readonly number[]): string {
    const fresh = this.fresh(name)
    this.initializers.push({ name: fresh, dataType: 'int64', dims: [values.length], values: BigInt64Array.from(values.map(BigInt)) })
    return fresh
  }
}

/** A layer's weights by short name ('enc0_conv/kernel' → 'kernel'), copied out of tfjs. */
function weightsOf(layer: tf.layers.Layer): Map<string, LayerWeight> {
  const out = new Map<string, LayerWeight>()
  for (const variable of layer.weights) {
    const short = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1)
    out.set(short, { shape: [...variable.shape] as number[], values: Float32Array.from(variable.read().dataSync() as Float32Array) })
  }
  return out
}

/** Channels-last spatial dims → ONNX dims: fixed sizes, or names for the sizes chosen at run time. */
function dimsOf(shape: readonly (number | null)[], names: readonly string[]): OnnxDim[] {
  return shape.map((size, a) => size ?? (names[a] as string))
}

const SPATIAL_NAMES = ['batch', 'depth', 'height', 'width']

/**
 * The ONNX model of `model`'s first output. INVALID_ARGUMENT naming the layer and class for a
 * layer the export cannot convert, or a model with more than one input.
 */
export function tfjsToOnnx(model: tf.LayersModel, options: TfjsToOnnxOptions): OnnxModel {
  const converters = options.converters ?? LAYER_CONVERTERS
  const [input] = model.inputs
  const [output] = model.outputs
  if (!input || !output || model.inputs.length !== 1) throw new VoxloopError('INVALID_ARGUMENT', `ONNX export: model ${model.name} must have exactly one input`)
  const rank = input.shape.length
  if (rank !== 5 || output.shape.length !== 5) {
    throw new VoxloopError('INVALID_ARGUMENT', `ONNX export: model ${model.name} maps [${input.shape.join(', ')}] to [${output.shape.join(', ')}]; Voxloop exports rank-5 (NDHWC) networks`)
  }
  const graph = new Builder()
  graph.fresh(ONNX_INPUT_NAME)
  graph.fresh(ONNX_OUTPUT_NAME)
  const [inputFirst] = graph.node('Transpose', 'input_to_channels_first', [ONNX_INPUT_NAME], { perm: { kind: 'ints', value: [0, 4, 1, 2, 3] } })

  // Values by (layer, node, tensor): a layer called more than once converts once per call.
  const values = new Map<string, string[]>()
  const valueOf = (tensor: Symbolic): string => {
    const layer = tensor.sourceLayer
    if (layer.getClassName() === 'InputLayer') {
      if (tensor !== input && layer !== input.sourceLayer) throw new VoxloopError('INVALID_ARGUMENT', `ONNX export: input layer ${layer.name} is not the model's input`)
      return inputFirst as string
    }
    const key = `${layer.name}\u0000${tensor.nodeIndex}`
    let outputs = values.get(key)
    if (!outputs) {
      const node = layer.inboundNodes[tensor.nodeIndex]
      if (!node) throw new VoxloopError('INVALID_ARGUMENT', `ONNX export: layer ${layer.name} has no call ${tensor.nodeIndex}`)
      const inputs = node.inputTensors.map(valueOf)
      const className = layer.getClassName()
      const convert = converters[className]
      if (!convert) {
        throw new VoxloopError(
          'INVALID_ARGUMENT',
          `ONNX export: layer ${layer.name} is a ${className}, which the ONNX export cannot convert (it converts ${Object.keys(converters).sort().join(', ')})`
        )
      }
      outputs = convert(graph, {
        layer,
        className,
        config: layer.getConfig(),
        inputs,
        inputRanks: node.inputTensors.map((t) => t.shape.length),
        weights: weightsOf(layer)
      })
      values.set(key, outputs)
    }
    const value = outputs[tensor.tensorIndex]
    if (value === undefined) throw new VoxloopError('INVALID_ARGUMENT', `ONNX export: layer ${layer.name} gave no output ${tensor.tensorIndex}`)
    return value
  }

  const result = valueOf(output)
  graph.nodes.push({ opType: 'Transpose', name: graph.fresh('output_to_channels_last/Transpose'), inputs: [result], outputs: [ONNX_OUTPUT_NAME], attributes: { perm: { kind: 'ints', value: [0, 2, 3, 4, 1] } } })

  return {
    producerName: 'Voxloop',
    producerVersion: options.producerVersion,
    opsetVersion: ONNX_OPSET,
    ...(options.docString ? { docString: options.docString } : {}),
    metadata: options.metadata ?? [],
    graph: {
      name: model.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      inputs: [{ name: ONNX_INPUT_NAME, elemType: 'float', shape: dimsOf(input.shape, [...SPATIAL_NAMES, 'channels']), docString: 'normalised, resampled image, channels-last [batch, D, H, W, C]' }],
      outputs: [{ name: ONNX_OUTPUT_NAME, elemType: 'float', shape: dimsOf(output.shape, [...SPATIAL_NAMES, 'classes']), docString: 'class probabilities, channels-last [batch, D, H, W, K]' }]
    }
  }
}
