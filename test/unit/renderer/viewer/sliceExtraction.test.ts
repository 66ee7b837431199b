import { describe, expect, it } from 'vitest'
import { defaultLabelColor } from '../../../../src/shared/labelColors'
import type { Mat4 } from '../../../../src/shared/volume'
import { buildLabelPalette, paletteEntryOf } from '../../../../src/renderer/src/viewer/labelPalette'
import { extractSlice, labelBitsOf, labelSliceBuffer, sliceSize } from '../../../../src/renderer/src/viewer/sliceExtraction'
import { viewMapping, type ViewName } from '../../../../src/renderer/src/viewer/viewOrientation'

const LPS: Mat4 = [
  [-1, 0, 0, 0],
  [0, -1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1]
]
const dims: [number, number, number] = [4, 3, 2]

/** A 16-bit label map holding values an 8-bit path would lose (256 → 0, 300 → 44, 65535 → 255). */
function wideLabels(): Uint16Array {
  const labels = new Uint16Array(dims[0] * dims[1] * dims[2])
  const values = [0, 1, 255, 256, 300, 65535]
  for (let i = 0; i < labels.length; i++) labels[i] = values[i % values.length] as number
  return labels
}

describe('label slices of a 16-bit map', () => {
  it('chooses a 16-bit buffer when the label or the prediction shown in the view is 16-bit', () => {
    expect(labelBitsOf(new Uint8Array(1))).toBe(8)
    expect(labelBitsOf(new Uint8Array(1), null)).toBe(8)
    expect(labelBitsOf(new Uint16Array(1))).toBe(16)
    expect(labelBitsOf(new Uint8Array(1), new Uint16Array(1))).toBe(16)
    expect(labelSliceBuffer({ width: 3, height: 2 }, 16)).toBeInstanceOf(Uint16Array)
    expect(labelSliceBuffer({ width: 3, height: 2 }, 8)).toBeInstanceOf(Uint8Array)
  })

  for (const view of ['axial', 'coronal', 'sagittal'] as ViewName[]) {
    it(`keeps 256, 300 and 65535 through ${view} extraction, each drawn in its own colour`, () => {
      const labels = wideLabels()
      const mapping = viewMapping(view, LPS)
      const size = sliceSize(mapping, dims)
      const seen = new Set<number>()
      for (let slice = 0; slice < dims[mapping.sliceAxis]; slice++) {
        const buffer = extractSlice(labels, dims, mapping, slice, labelSliceBuffer(size, labelBitsOf(labels)))
        // The same voxels read straight from the volume: the multiset of values must match exactly.
        const expected: number[] = []
        for (let k = 0; k < dims[2]; k++) {
          for (let j = 0; j < dims[1]; j++) {
            for (let i = 0; i < dims[0]; i++) {
              if ([i, j, k][mapping.sliceAxis] === slice) expected.push(labels[i + dims[0] * (j + dims[1] * k)] as number)
            }
          }
        }
        expect([...buffer].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b))
        for (const value of buffer) seen.add(value)
      }
      for (const value of [256, 300, 65535]) expect(seen.has(value)).toBe(true)

      const palette = buildLabelPalette([1, 255, 256, 300, 65535].map((id) => ({ id, color: defaultLabelColor(id), visible: true })))
      const colours = [1, 255, 256, 300, 65535].map((id) => paletteEntryOf(palette, id))
      for (const [, , , alpha] of colours) expect(alpha).toBe(255)
      expect(new Set(colours.map((c) => c.slice(0, 3).join())).size).toBe(5)
    })
  }

  it('an 8-bit buffer would have lost them: why the width must follow the map', () => {
    const truncated = extractSlice(wideLabels(), dims, viewMapping('axial', LPS), 0, new Uint8Array(dims[0] * dims[1]))
    expect([...truncated]).not.toContain(300)
    expect(labelBitsOf(wideLabels())).toBe(16)
  })
})
