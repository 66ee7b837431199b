/**
 * An ONNX model as plain data, and its encoding as an .onnx file (a protobuf ModelProto).
 *
 * Only what an exported inference graph uses: float32 and int64 tensors stored as raw little-endian
 * bytes, node attributes of the scalar and list kinds, tensor inputs/outputs with fixed or named
 * dimensions, and metadata_props. Field numbers are onnx/onnx.proto's (stable since IR version 3).
 */
import { ProtoWriter } from './protobuf'

/** TensorProto.DataType values used here. */
export const ONNX_DATA_TYPE = { float: 1, int64: 7 } as const

/** The IR version written: 8 is the one ONNX 1.12 introduced with opset 17 (onnx/docs/Versioning.md). */
export const ONNX_IR_VERSION = 8

export type OnnxTensor =
  | { name: string; dataType: 'float'; dims: readonly number[]; values: Float32Array }
  | { name: string; dataType: 'int64'; dims: readonly number[]; values: BigInt64Array }

export type OnnxAttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }

export interface OnnxNode {
  opType: string
  name: string
  inputs: readonly string[]
  outputs: readonly string[]
  attributes?: Readonly<Record<string, OnnxAttributeValue>>
}

/** A dimension: a fixed size, or a name for a size chosen at run time ('batch', 'depth', …). */
export type OnnxDim = number | string

export interface OnnxValueInfo {
  name: string
  elemType: keyof typeof ONNX_DATA_TYPE
  shape: readonly OnnxDim[]
  docString?: string
}

export interface OnnxGraph {
  name: string
  nodes: readonly OnnxNode[]
  initializers: readonly OnnxTensor[]
  inputs: readonly OnnxValueInfo[]
  outputs: readonly OnnxValueInfo[]
  docString?: string
}

export interface OnnxModel {
  producerName: string
  producerVersion: string
  /** Default opset version of the ai.onnx domain the nodes are written against. */
  opsetVersion: number
  graph: OnnxGraph
  docString?: string
  /** ModelProto.metadata_props, in order; keys must be distinct. */
  metadata?: readonly { key: string; value: string }[]
}

// AttributeProto.AttributeType
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const

function tensorProto(tensor: OnnxTensor): ProtoWriter {
  const expected = tensor.dims.reduce((a, b) => a * b, 1)
  if (tensor.values.length !== expected) {
    throw new RangeError(`ONNX tensor ${tensor.name}: ${tensor.values.length} values for dims [${tensor.dims.join(', ')}] (${expected})`)
  }
  // raw_data is little-endian; typed arrays are platform-endian, and every platform Voxloop ships on is little-endian.
  const raw = new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength)
  return new ProtoWriter()
    .packedInts(1, tensor.dims) // dims
    .int(2, ONNX_DATA_TYPE[tensor.dataType]) // data_type
    .string(8, tensor.name) // name
    .bytes(9, raw) // raw_data
}

function attributeProto(name: string, attribute: OnnxAttributeValue): ProtoWriter {
  const writer = new ProtoWriter().string(1, name).int(20, ATTRIBUTE_TYPE[attribute.kind]) // name, type
  switch (attribute.kind) {
    case 'float':
      return writer.float(2, attribute.value)
    case 'int':
      return writer.int(3, attribute.value)
    case 'string':
      return writer.string(4, attribute.value)
    case 'floats':
      return writer.packedFloats(7, attribute.value)
    case 'ints':
      return writer.packedInts(8, attribute.value)
  }
}

function nodeProto(node: OnnxNode): ProtoWriter {
  const writer = new ProtoWriter()
  for (const input of node.inputs) writer.string(1, input)
  for (const output of node.outputs) writer.string(2, output)
  writer.string(3, node.name).string(4, node.opType)
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) writer.message(5, attributeProto(name, attribute))
  return writer
}

function valueInfoProto(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter()
  for (const dim of info.shape) shape.message(1, typeof dim === 'number' ? new ProtoWriter().int(1, dim) : new ProtoWriter().string(2, dim))
  const tensorType = new ProtoWriter().int(1, ONNX_DATA_TYPE[info.elemType]).message(2, shape)
  const writer = new ProtoWriter().string(1, info.name).message(2, new ProtoWriter().message(1, tensorType))
  if (info.docString) writer.string(3, info.docString)
  return writer
}

function graphProto(graph: OnnxGraph): ProtoWriter {
  const writer = new ProtoWriter()
  for (const node of graph.nodes) writer.message(1, nodeProto(node))
  writer.string(2, graph.name)
  for (const tensor of graph.initializers) writer.message(5, tensorProto(tensor))
  if (graph.docString) writer.string(10, graph.docString)
  for (const input of graph.inputs) writer.message(11, valueInfoProto(input))
  for (const output of graph.outputs) writer.message(12, valueInfoProto(output))
  return writer
}

/**
 * The .onnx file of `model`. Checks what a reader would reject late or silently: values named
 * twice, node inputs that nothing produces, graph outputs that nothing produces, duplicate metadata
 * keys (RangeError naming the value).
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  checkGraph(model.graph)
  const keys = new Set<string>()
  for (const { key } of model.metadata ?? []) {
    if (keys.has(key)) throw new RangeError(`ONNX metadata key ${key} is given twice`)
    keys.add(key)
  }
  const writer = new ProtoWriter()
    .int(1, ONNX_IR_VERSION) // ir_version
    .string(2, model.producerName)
    .string(3, model.producerVersion)
  if (model.docString) writer.string(6, model.docString)
  writer.message(7, graphProto(model.graph))
  writer.message(8, new ProtoWriter().string(1, '').int(2, model.opsetVersion)) // opset_import: ai.onnx
  for (const { key, value } of model.metadata ?? []) writer.message(14, new ProtoWriter().string(1, key).string(2, value))
  return writer.finish()
}

function checkGraph(graph: OnnxGraph): void {
  const defined = new Set<string>()
  const define = (name: string, what: string): void => {
    if (!name) throw new RangeError(`ONNX graph ${graph.name}: ${what} has an empty name`)
    if (defined.has(name)) throw new RangeError(`ONNX graph ${graph.name}: value ${name} is defined twice (${what})`)
    defined.add(name)
  }
  for (const input of graph.inputs) define(input.name, 'graph input')
  for (const tensor of graph.initializers) define(tensor.name, 'initializer')
  for (const node of graph.nodes) {
    // Nodes must come in topological order (onnx.proto: "The nodes in the graph, sorted topologically").
    for (const input of node.inputs) {
      if (input !== '' && !defined.has(input)) throw new RangeError(`ONNX graph ${graph.name}: node ${node.name} reads ${input} before anything produces it`)
    }
    for (const output of node.outputs) define(output, `output of node ${node.name}`)
  }
  for (const output of graph.outputs) {
    if (!defined.has(output.name)) throw new RangeError(`ONNX graph ${graph.name}: graph output ${output.name} is produced by no node`)
  }
}
