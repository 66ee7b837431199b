import { describe, expect, it } from 'vitest'
import { align8, blobSpan, containsBinary, decodeWire, encodeWire, wireLayout } from '../../../src/shared/wire'

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

  it('aligns sizes of 2 GiB and more without 32-bit wrap-around', () => {
    expect([0, 1, 7, 8, 9].map(align8)).toEqual([0, 8, 8, 8, 16])
    // (n + 7) & ~7 made these negative or zero, so a 2 GiB CT failed with "Invalid typed array length".
    expect(align8(2 ** 31 - 1)).toBe(2 ** 31)
    expect(align8(2 ** 31 + 1)).toBe(2 ** 31 + 8)
    expect(align8(2 ** 32 + 3)).toBe(2 ** 32 + 8)
    expect(align8(2 ** 40 + 8)).toBe(2 ** 40 + 8)
  })

  it('lays out blobs past 2 GiB where the decoder looks for them (computed, not allocated)', () => {
    const ct = 1024 * 1024 * 1050 * 2 // a 2.05 GiB int16 volume
    const lengths = [13, ct, 3 * 2 ** 30 + 2, 4]
    const layout = wireLayout(1001, lengths)
    expect(layout.dataStart).toBe(1016)
    expect(layout.blobOffsets).toEqual([0, 16, 16 + ct, align8(16 + ct + 3 * 2 ** 30 + 2)])
    expect(layout.blobOffsets[2]).toBeGreaterThan(2 ** 31)
    expect(layout.totalBytes).toBe(1016 + align8(layout.blobOffsets[3] + 4))
    // Each placeholder (offset, element count) points the decoder at exactly the encoder's bytes.
    const elementSizes = [1, 2, 2, 4]
    lengths.forEach((byteLength, n) => {
      const span = blobSpan(1001, layout.blobOffsets[n], byteLength / elementSizes[n], elementSizes[n])
      expect(span.start).toBe(layout.dataStart + layout.blobOffsets[n])
      expect(span.start % 8).toBe(0)
      expect(span.end - span.start).toBe(byteLength)
      expect(span.end).toBeLessThanOrEqual(layout.totalBytes)
    })
  })

  it('uses the same layout for a real message', () => {
    const value = { a: new Uint8Array([1, 2, 3]), b: new Float64Array([0.5]), c: new Int16Array([-1, 2, -3]) }
    const encoded = encodeWire(value)
    const jsonLength = new DataView(encoded.buffer).getUint32(4, true)
    const layout = wireLayout(jsonLength, [3, 8, 6])
    expect(encoded.length).toBe(layout.totalBytes)
    expect(Array.from(encoded.subarray(layout.dataStart + layout.blobOffsets[1], layout.dataStart + layout.blobOffsets[1] + 8))).toEqual(
      Array.from(new Uint8Array(value.b.buffer))
    )
    expect(decodeWire(encoded)).toEqual(value)
  })
})
