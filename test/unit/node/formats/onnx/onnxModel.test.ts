/**
 * The hand-written protobuf encoder against the wire format's documented bytes, and whole ONNX
 * files against their reader: onnxruntime (onnxruntime-node's CPU provider) loads each model,
 * reports its inputs, outputs and metadata, and runs it.
 */
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { encodeOnnxModel, encodeVarint, ProtoWriter, type OnnxModel } from '../../../../../src/node/formats/onnx'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('encodeVarint', () => {
  it.each([
    [0n, '00'],
    [1n, '01'],
    [127n, '7f'],
    [128n, '8001'],
    // protobuf.dev "Encoding": 150 → 96 01, 300 → ac 02.
    [150n, '9601'],
    [300n, 'ac02'],
    [2n ** 32n, '8080808010'],
    // int64 −1: two's complement, ten bytes.
    [-1n, 'ffffffffffffffffff01'],
    [-2n, 'feffffffffffffffff01']
  ])('%s → %s', (value, expected) => {
    expect(hex(encodeVarint(value))).toBe(expected)
  })

  it('refuses values beyond 64 bits', () => {
    expect(() => encodeVarint(2n ** 64n)).toThrow(RangeError)
    expect(() => encodeVarint(-(2n ** 63n) - 1n)).toThrow(RangeError)
  })
})

describe('ProtoWriter', () => {
  it('writes the documented example messages', () => {
    // protobuf.dev: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601')
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67')
    // An embedded message with field 1 = 150 as field 3: 1a 03 08 96 01.
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601')
    // Packed repeated int 4: [3, 270, 86942] → 22 06 03 8e 02 9e a7 05.
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705')
  })

  it('writes floats as little-endian fixed32 (wire type 5)', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f')
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe('3a080000803f000000c0')
  })

  it('refuses field numbers protobuf does not allow', () => {
    expect(() => new ProtoWriter().int(0, 1)).toThrow(RangeError)
    expect(() => new ProtoWriter().int(2 ** 29, 1)).toThrow(RangeError)
  })
})

/** y = Relu(x · scale + bias) per channel on [N, 2, 3]: an initializer, attributes, dims by name and by size. */
function tinyModel(overrides: Partial<OnnxModel> = {}): OnnxModel {
  return {
    producerName: 'Voxloop',
    producerVersion: 'test',
    opsetVersion: 17,
    metadata: [
      { key: 'classes', value: '[{"index":1,"labelId":3,"name":"liver"}]' },
      { key: 'note', value: 'Größe µm' }
    ],
    graph: {
      name: 'tiny',
      nodes: [
        { opType: 'Mul', name: 'scale', inputs: ['x', 'scale'], outputs: ['scaled'] },
        { opType: 'Add', name: 'shift', inputs: ['scaled', 'bias'], outputs: ['shifted'] },
        { opType: 'LeakyRelu', name: 'act', inputs: ['shifted'], outputs: ['y'], attributes: { alpha: { kind: 'float', value: 0.5 } } },
        { opType: 'Transpose', name: 'swap', inputs: ['y'], outputs: ['yt'], attributes: { perm: { kind: 'ints', value: [0, 2, 1] } } }
      ],
      initializers: [
        { name: 'scale', dataType: 'float', dims: [1, 1, 3], values: Float32Array.of(1, 2, -3) },
        { name: 'bias', dataType: 'float', dims: [3], values: Float32Array.of(0.5, 0, -1) }
      ],
      inputs: [{ name: 'x', elemType: 'float', shape: ['batch', 2, 3] }],
      outputs: [{ name: 'yt', elemType: 'float', shape: ['batch', 3, 2] }]
    },
    ...overrides
  }
}

/**
 * The top-level fields of a message (varint and length-delimited only): an independent reader for
 * what onnxruntime does not expose, such as metadata_props (an unknown field number would load silently).
 */
function fields(bytes: Uint8Array): { field: number; value: bigint | Uint8Array }[] {
  const out: { field: number; value: bigint | Uint8Array }[] = []
  let offset = 0
  const varint = (): bigint => {
    let result = 0n
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[offset++] as number
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return result
    }
  }
  while (offset < bytes.length) {
    const key = varint()
    const field = Number(key >> 3n)
    const wireType = Number(key & 7n)
    if (wireType === 0) out.push({ field, value: varint() })
    else if (wireType === 2) {
      const length = Number(varint())
      out.push({ field, value: bytes.subarray(offset, offset + length) })
      offset += length
    } else throw new Error(`wire type ${wireType} not read here`)
  }
  return out
}

const text = (value: bigint | Uint8Array): string => new TextDecoder().decode(value as Uint8Array)

describe('encodeOnnxModel, field by field', () => {
  it("writes ir_version 8, the producer, opset_import and metadata_props under onnx.proto's field numbers", () => {
    const model = fields(encodeOnnxModel(tinyModel()))
    expect(model.find((f) => f.field === 1)?.value).toBe(8n)
    expect(text(model.find((f) => f.field === 2)?.value as Uint8Array)).toBe('Voxloop')
    expect(text(model.find((f) => f.field === 3)?.value as Uint8Array)).toBe('test')
    const opset = fields(model.find((f) => f.field === 8)?.value as Uint8Array)
    expect(opset.find((f) => f.field === 2)?.value).toBe(17n)
    const metadata = model.filter((f) => f.field === 14).map((f) => Object.fromEntries(fields(f.value as Uint8Array).map((e) => [e.field, text(e.value)])))
    expect(metadata).toEqual([
      { 1: 'classes', 2: '[{"index":1,"labelId":3,"name":"liver"}]' },
      { 1: 'note', 2: 'Größe µm' }
    ])
  })
})

describe('encodeOnnxModel, read back by onnxruntime', () => {
  it('loads with its inputs, outputs and metadata, and computes what the graph says', async () => {
    const session = await ort.InferenceSession.create(encodeOnnxModel(tinyModel()))
    try {
      expect(session.inputNames).toEqual(['x'])
      expect(session.outputNames).toEqual(['yt'])
      const x = Float32Array.of(1, 1, 1, -1, -1, -1)
      const { yt } = await session.run({ x: new ort.Tensor('float32', x, [1, 2, 3]) })
      // Row 0: [1·1+0.5, 1·2+0, 1·(−3)−1] → leaky [1.5, 2, −2]; row 1: [−0.5, −2, 2] → [−0.25, −1, 2]; then transposed.
      expect(Array.from(yt?.data as Float32Array)).toEqual([1.5, -0.25, 2, -1, -2, 2])
      expect(yt?.dims).toEqual([1, 3, 2])
    } finally {
      await session.release()
    }
  })

  it('takes any batch size where the dim is named', async () => {
    const session = await ort.InferenceSession.create(encodeOnnxModel(tinyModel()))
    try {
      const { yt } = await session.run({ x: new ort.Tensor('float32', new Float32Array(18), [3, 2, 3]) })
      expect(yt?.dims).toEqual([3, 3, 2])
    } finally {
      await session.release()
    }
  })

  it('refuses graphs a reader would reject', () => {
    const base = tinyModel()
    const withNodes = (nodes: OnnxModel['graph']['nodes']): OnnxModel => ({ ...base, graph: { ...base.graph, nodes } })
    const [mul, add, act, swap] = base.graph.nodes as [OnnxModel['graph']['nodes'][number], OnnxModel['graph']['nodes'][number], OnnxModel['graph']['nodes'][number], OnnxModel['graph']['nodes'][number]]
    expect(() => encodeOnnxModel(withNodes([add, mul, act, swap]))).toThrow(/node shift reads scaled before anything produces it/)
    expect(() => encodeOnnxModel(withNodes([mul, { ...add, outputs: ['scaled'] }, act, swap]))).toThrow(/value scaled is defined twice/)
    expect(() => encodeOnnxModel(withNodes([mul, add, act]))).toThrow(/graph output yt is produced by no node/)
    expect(() => encodeOnnxModel({ ...base, metadata: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] })).toThrow(/metadata key a is given twice/)
    const badTensor = { ...base, graph: { ...base.graph, initializers: [{ name: 'scale', dataType: 'float' as const, dims: [2, 3], values: Float32Array.of(1) }, ...base.graph.initializers.slice(1)] } }
    expect(() => encodeOnnxModel(badTensor)).toThrow(/1 values for dims \[2, 3\]/)
  })
})
