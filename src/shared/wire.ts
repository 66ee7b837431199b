/**
 * Binary-safe framing for the HTTP transport: volumes and label edits travel as raw typed-array
 * bytes next to a small JSON document, never as JSON numbers or base64 (STYLE.md rule 7).
 *
 * Layout: "VXW1" | u32 LE json byte length | json (utf-8) | padding to 8 | blob 0 | pad | blob 1 …
 * A typed array in the value is replaced in the JSON by { "$wire": index, "type", "offset", "length" }.
 */
const MAGIC = 0x31575856 // "VXW1" read as little-endian u32
export const WIRE_CONTENT_TYPE = 'application/x-voxloop-wire'

const TYPED_ARRAYS = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array
} as const
type TypedArrayName = keyof typeof TYPED_ARRAYS
type AnyTypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>

interface Placeholder {
  $wire: number
  type: TypedArrayName
  offset: number
  length: number
}

function typedArrayName(value: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null
  const name = value.constructor.name
  return name in TYPED_ARRAYS ? (name as TypedArrayName) : null
}

/** True when the value holds at least one typed array (so JSON alone cannot carry it). */
export function containsBinary(value: unknown): boolean {
  if (typedArrayName(value)) return true
  if (Array.isArray(value)) return value.some(containsBinary)
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsBinary)
  return false
}

/**
 * The next multiple of 8. Arithmetic, not `(n + 7) & ~7`: bitwise operators work on int32, which
 * turns any size of 2 GiB or more negative (a 2 GiB CT then failed with "Invalid typed array length").
 */
export function align8(n: number): number {
  return Math.ceil(n / 8) * 8
}

export interface WireLayout {
  /** Byte offset of blob 0 in the message (8-aligned, after magic, length and JSON). */
  dataStart: number
  /** Offset of each blob relative to dataStart, as written in its placeholder. */
  blobOffsets: number[]
  /** Length of the whole message. */
  totalBytes: number
}

/** Where everything goes in a message: pure arithmetic, exact for any size up to 2^53. */
export function wireLayout(jsonBytes: number, blobByteLengths: readonly number[]): WireLayout {
  const blobOffsets: number[] = []
  let blobBytes = 0
  for (const length of blobByteLengths) {
    const offset = align8(blobBytes)
    blobOffsets.push(offset)
    blobBytes = offset + length
  }
  const dataStart = align8(8 + jsonBytes)
  return { dataStart, blobOffsets, totalBytes: dataStart + align8(blobBytes) }
}

/**
 * Where a placeholder's bytes lie in a message whose JSON is `jsonLength` bytes long: [start, end).
 * The decoder's half of wireLayout, plain arithmetic like it.
 */
export function blobSpan(jsonLength: number, offset: number, length: number, bytesPerElement: number): { start: number; end: number } {
  const start = align8(8 + jsonLength) + offset
  return { start, end: start + length * bytesPerElement }
}

/** A fresh message buffer; a clear error instead of a bare RangeError when it cannot exist. */
function allocateMessage(totalBytes: number): Uint8Array {
  try {
    return new Uint8Array(totalBytes)
  } catch (error) {
    throw new RangeError(`wire message of ${totalBytes} bytes is larger than one buffer can hold on this platform`, { cause: error })
  }
}

export function encodeWire(value: unknown): Uint8Array {
  const blobs: AnyTypedArray[] = []
  let blobBytes = 0
  const json = JSON.stringify(value, (_key, v: unknown) => {
    const type = typedArrayName(v)
    if (!type) return v
    const array = v as AnyTypedArray
    // Same arithmetic as wireLayout, which places the bytes below.
    const offset = align8(blobBytes)
    const placeholder: Placeholder = { $wire: blobs.length, type, offset, length: array.length }
    blobs.push(array)
    blobBytes = offset + array.byteLength
    return placeholder
  })
  const jsonBytes = new TextEncoder().encode(json ?? 'null')
  const layout = wireLayout(
    jsonBytes.length,
    blobs.map((blob) => blob.byteLength)
  )
  const out = allocateMessage(layout.totalBytes)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, jsonBytes.length, true)
  out.set(jsonBytes, 8)
  blobs.forEach((blob, n) => {
    out.set(new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength), layout.dataStart + (layout.blobOffsets[n] ?? 0))
  })
  return out
}

export function decodeWire(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 8) throw new Error('wire message too short')
  // Typed-array views need aligned offsets, so work on an 8-aligned copy when the input is not.
  const source = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice()
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a wire message (bad magic)')
  const jsonLength = view.getUint32(4, true)
  if (8 + jsonLength > source.byteLength) throw new Error('wire message truncated in its JSON part')
  const json = new TextDecoder().decode(source.subarray(8, 8 + jsonLength))
  return JSON.parse(json, (_key, v: unknown) => {
    if (!isPlaceholder(v)) return v
    const Ctor = TYPED_ARRAYS[v.type]
    const span = blobSpan(jsonLength, v.offset, v.length, Ctor.BYTES_PER_ELEMENT)
    if (span.end > source.byteLength) throw new Error('wire message truncated in its binary part')
    return new Ctor(source.buffer as ArrayBuffer, source.byteOffset + span.start, v.length)
  })
}

function isPlaceholder(value: unknown): value is Placeholder {
  if (value === null || typeof value !== 'object') return false
  const record = value as Record<string, unknown>
  return (
    typeof record.$wire === 'number' &&
    typeof record.type === 'string' &&
    record.type in TYPED_ARRAYS &&
    typeof record.offset === 'number' &&
    Number.isInteger(record.offset) &&
    record.offset % 8 === 0 &&
    record.offset >= 0 &&
    typeof record.length === 'number' &&
    Number.isInteger(record.length) &&
    record.length >= 0
  )
}
