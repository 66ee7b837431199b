import { describe, expect, it } from 'vitest'
import { containsBinary, decodeWire, encodeWire } from '../../../src/shared/wire'

describe('wire framing', () => {
  it('round-trips JSON with typed arrays of every kind, keeping their bytes', () => {
    const value = {
      caseId: 'case_001',
      edits: [
        { indices: new Uint32Array([0, 5, 4_000_000_000]), values: new Uint8Array([1, 2, 3]) },
        { indices: new Uint32Array([]), values: new Uint16Array([65535]) }
      ],
      image: new Float32Array([1.5, -2.25, Number.NaN]),
      extra: [new Int16Array([-32768, 32767]), new Float64Array([Math.PI]), new Int8Array([-1]), new Int32Array([-7]), new Uint16Array(3)],
      note: 'text'
    }
    const decoded = decodeWire(encodeWire(value)) as typeof value
    expect(decoded.caseId).toBe('case_001')
    expect(decoded.edits[0]?.indices).toEqual(new Uint32Array([0, 5, 4_000_000_000]))
    expect(decoded.edits[0]?.values).toBeInstanceOf(Uint8Array)
    expect(Array.from(decoded.edits[1]?.values ?? [])).toEqual([65535])
    expect(decoded.image[0]).toBe(1.5)
    expect(Number.isNaN(decoded.image[2])).toBe(true)
    expect(decoded.extra[0]).toEqual(new Int16Array([-32768, 32767]))
    expect(decoded.extra[1]?.[0]).toBe(Math.PI)
    expect(decoded.note).toBe('text')
  })

  it('decodes from an unaligned buffer', () => {
    const encoded = encodeWire([new Float64Array([1, 2, 3])])
    const shifted = new Uint8Array(encoded.length + 1)
    shifted.set(encoded, 1)
    const decoded = decodeWire(shifted.subarray(1)) as [Float64Array]
    expect(Array.from(decoded[0])).toEqual([1, 2, 3])
  })

  it('refuses truncated or foreign messages', () => {
    const encoded = encodeWire({ data: new Uint8Array(100) })
    expect(() => decodeWire(encoded.subarray(0, encoded.length - 64))).toThrow(/truncated/)
    expect(() => decodeWire(new TextEncoder().encode('{"json": true}'))).toThrow(/bad magic/)
    expect(() => decodeWire(new Uint8Array(3))).toThrow(/too short/)
  })

  it('knows when a value needs binary framing', () => {
    expect(containsBinary({ a: [1, 2, { b: 'c' }] })).toBe(false)
    expect(containsBinary({ a: [1, 2, { b: new Uint8Array(1) }] })).toBe(true)
  })
})
