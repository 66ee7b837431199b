/**
 * The few protocol-buffer encodings an ONNX file needs, written by hand so that exporting a model
 * pulls in no protobuf library (protobufjs and google-protobuf each add a runtime and generated
 * code for a format we only ever write): varints, length-delimited fields (strings, bytes, nested
 * messages), 32-bit floats, and packed repeated int64/float.
 *
 * Wire format (protocolbuffers.dev "Encoding"): each field is a key varint (fieldNumber << 3 | wire
 * type) followed by its value; wire type 0 = varint, 2 = length-delimited, 5 = 32-bit. int64 and
 * int32 are varints of the two's-complement value, so a negative number takes 10 bytes.
 */

const WIRE_VARINT = 0
const WIRE_LENGTH_DELIMITED = 2
const WIRE_FIXED32 = 5

/** An encoder of one message: fields appended in call order, `finish()` gives the bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = []
  private length = 0

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.byteLength
  }

  private key(field: number, wireType: number): void {
    if (!(Number.isInteger(field) && field >= 1 && field < 2 ** 29)) throw new RangeError(`protobuf field number ${field} is out of range`)
    this.push(encodeVarint(BigInt(field) * 8n + BigInt(wireType)))
  }

  /** int64 / int32 / enum / bool field (varint of the two's-complement value). */
  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT)
    this.push(encodeVarint(BigInt(value)))
    return this
  }

  /** float field (IEEE 754 single, little-endian). */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, true)
    this.push(bytes)
    return this
  }

  /** bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED)
    this.push(encodeVarint(BigInt(value.byteLength)))
    this.push(value)
    return this
  }

  /** string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  /** Embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish())
  }

  /** Packed repeated int64 / int32 (one length-delimited field holding the varints). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter()
    for (const value of values) inner.push(encodeVarint(BigInt(value)))
    return this.bytes(field, inner.finish())
  }

  /** Packed repeated float. */
  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(4 * values.length)
    const view = new DataView(bytes.buffer)
    values.forEach((value, i) => view.setFloat32(4 * i, value, true))
    return this.bytes(field, bytes)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }
}

/**
 * Base-128 varint of a signed 64-bit value: negative values as their two's complement (10 bytes),
 * as protobuf writes int64 and int32. RangeError outside int64.
 */
export function encodeVarint(value: bigint): Uint8Array {
  if (value < -(2n ** 63n) || value >= 2n ** 64n) throw new RangeError(`${value} does not fit a 64-bit varint`)
  let rest = value < 0n ? value + 2n ** 64n : value
  const bytes: number[] = []
  do {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    bytes.push(rest === 0n ? low : low | 0x80)
  } while (rest !== 0n)
  return Uint8Array.from(bytes)
}
