import { describe, expect, it } from 'vitest'
import {
  applyEdit,
  clearLabels,
  countLabels,
  diffLabels,
  validateEdit,
  widenFor
} from '../../../../../src/main/services/project/labelOps'

const edit = (indices: number[], values: number[]) => ({ indices: Uint32Array.from(indices), values: Uint8Array.from(values) })

describe('label operations', () => {
  it('applies edits in order, counts distinct changed voxels and keeps counts in step', () => {
    const labels = Uint8Array.from([0, 1, 1, 2, 0])
    const counts = countLabels(labels)
    expect(applyEdit(labels, edit([0, 1, 1, 4, 3], [2, 2, 1, 0, 2]), counts)).toBe(1)
    expect([...labels]).toEqual([2, 1, 1, 2, 0])
    expect(counts).toEqual(countLabels(labels))
  })

  it('is idempotent: applying the same edit twice changes nothing the second time', () => {
    const labels = new Uint8Array(6)
    const e = edit([1, 2, 3], [1, 2, 3])
    expect(applyEdit(labels, e)).toBe(3)
    const after = labels.slice()
    expect(applyEdit(labels, e)).toBe(0)
    expect(labels).toEqual(after)
  })

  it('widens 8-bit labels for values above 255 only', () => {
    const labels = Uint8Array.from([1, 2])
    expect(widenFor(labels, Uint8Array.from([3]))).toBe(labels)
    expect(widenFor(labels, Uint16Array.from([3]))).toBe(labels)
    const wide = widenFor(labels, Uint16Array.from([300]))
    expect(wide).toBeInstanceOf(Uint16Array)
    expect([...wide]).toEqual([1, 2])
  })

  it('diffs per label', () => {
    expect(diffLabels(Uint8Array.from([0, 1, 1, 2]), Uint8Array.from([1, 1, 0, 0]))).toEqual({
      voxelsChanged: 3,
      changes: [
        { labelId: 0, gained: 2, lost: 1 },
        { labelId: 1, gained: 1, lost: 1 },
        { labelId: 2, gained: 0, lost: 1 }
      ]
    })
  })

  it('clears removed labels', () => {
    const labels = Uint8Array.from([1, 2, 3, 2])
    expect(clearLabels(labels, new Set([2]))).toBe(2)
    expect([...labels]).toEqual([1, 0, 3, 0])
  })

  it.each([
    ['index out of range', edit([10], [1]), /outside the volume/],
    ['unknown label', edit([1], [7]), /not in the project's label table/],
    ['length mismatch', { indices: Uint32Array.from([1, 2]), values: Uint8Array.from([1]) }, /2 indices but 1 values/],
    ['wrong index type', { indices: [1] as unknown as Uint32Array, values: Uint8Array.from([1]) }, /Uint32Array/]
  ])('validateEdit refuses %s', (_why, bad, message) => {
    expect(() => validateEdit(bad, 10, new Set([1, 2]), 'c1')).toThrow(message)
  })
})
