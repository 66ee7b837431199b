import { describe, expect, it } from 'vitest'
import { slicePlane, type ViewAxis, type VoxelGrid } from '../../../../../src/renderer/src/tools/core/grid'
import { applySliceInterpolation, planSliceInterpolation } from '../../../../../src/renderer/src/tools/interpolate/interpolate'
import { OVERWRITE_ANY } from '../../../../../src/renderer/src/tools/core/paintRules'
import { VoxelEditor } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import type { Vec3 } from '../../../../../src/shared/volume'
import { grid, paintWhere, seededRandom } from '../helpers'

/** Voxels of `label` in slice `k` along i through row j = centre: the disc's half-width. */
function halfWidth(labels: Uint8Array, g: VoxelGrid, k: number, centre: number, label = 1): number {
  let count = 0
  for (let i = 0; i < g.dims[0]; i++) if (labels[i + g.dims[0] * (centre + g.dims[1] * k)] === label) count++
  return (count - 1) / 2
}

function sliceCount(labels: Uint8Array, g: VoxelGrid, k: number, label = 1): number {
  const n = g.dims[0] * g.dims[1]
  return labels.subarray(k * n, (k + 1) * n).filter((v) => v === label).length
}

/** Oracle: brute-force signed distances over a whole slice, with a chosen metric, blended at t. */
function bruteInterpolatedSlice(a: Uint8Array, b: Uint8Array, width: number, height: number, su: number, sv: number, t: number): Uint8Array {
  const sdf = (mask: Uint8Array, p: number): number => {
    let best = Infinity
    for (let q = 0; q < mask.length; q++) {
      if (mask[q] === mask[p]) continue
      const d = Math.hypot((p % width - (q % width)) * su, (Math.floor(p / width) - Math.floor(q / width)) * sv)
      if (d < best) best = d
    }
    return mask[p] ? -best : best
  }
  return Uint8Array.from({ length: width * height }, (_, p) => ((1 - t) * sdf(a, p) + t * sdf(b, p) <= 0 ? 1 : 0))
}

describe('interpolation between slices', () => {
  it('morphs a disc of radius 2 on slice 0 into radius 6 on slice 4 with monotone radii', () => {
    const g = grid([21, 21, 5])
    const labels = new Uint8Array(21 * 21 * 5)
    paintWhere(labels, g, 1, (i, j, k) => (k === 0 && (i - 10) ** 2 + (j - 10) ** 2 <= 4) || (k === 4 && (i - 10) ** 2 + (j - 10) ** 2 <= 36))
    const editor = new VoxelEditor(labels, g)
    const result = applySliceInterpolation(editor, { label: 1, axis: 'axial' })
    expect(result.keySlices).toEqual([0, 4])
    expect(result.filledSlices).toEqual([1, 2, 3])
    expect([0, 1, 2, 3, 4].map((k) => halfWidth(labels, g, k, 10))).toEqual([2, 3, 4, 5, 6])
    const areas = [0, 1, 2, 3, 4].map((k) => sliceCount(labels, g, k))
    for (let k = 1; k < 5; k++) expect(areas[k]).toBeGreaterThan(areas[k - 1])
    // One undo unit that removes exactly the interpolated voxels.
    expect(editor.undoDescription).toBe('Interpolate label 1')
    expect(result.voxelCount).toBe(areas[1] + areas[2] + areas[3])
    editor.undo()
    expect([1, 2, 3].map((k) => sliceCount(labels, g, k))).toEqual([0, 0, 0])
  })

  it.each(['coronal', 'sagittal'] as const)('works across %s slices', (axis) => {
    // The same square on slices 1 and 3 of the chosen axis reappears on slice 2.
    const g = grid([6, 6, 6])
    const labels = new Uint8Array(216)
    const normal = axis === 'coronal' ? 1 : 0
    paintWhere(labels, g, 2, (i, j, k) => {
      const c = [i, j, k]
      const inPlane = [0, 1, 2].filter((a) => a !== normal)
      return (c[normal] === 1 || c[normal] === 3) && inPlane.every((a) => c[a] >= 2 && c[a] <= 3)
    })
    const plan = planSliceInterpolation(labels, g, { label: 2, axis: axis as ViewAxis })
    expect(plan.keySlices).toEqual([1, 3])
    expect(plan.filledSlices).toEqual([2])
    const plane = slicePlane(g, axis)
    const expected = [2, 3].flatMap((v) => [2, 3].map((u) => u * plane.uStride + v * plane.vStride + 2 * plane.sliceStride)).sort((x, y) => x - y)
    expect(Array.from(plan.indices).sort((x, y) => x - y)).toEqual(expected)
  })

  it('never writes slices that already hold the label, nor other labels by default', () => {
    const g = grid([9, 9, 5])
    const labels = new Uint8Array(405)
    // Label 1 on slices 0, 2 and 4 (different squares); label 3 sits where slice 1 would get label 1.
    paintWhere(labels, g, 1, (i, j, k) => (k === 0 || k === 4) && i >= 2 && i <= 6 && j >= 2 && j <= 6)
    paintWhere(labels, g, 1, (i, j, k) => k === 2 && i === 4 && j === 4)
    paintWhere(labels, g, 3, (i, j, k) => k === 1 && i === 3 && j === 3)
    const before = labels.slice()
    const plan = planSliceInterpolation(labels, g, { label: 1 })
    expect(plan.keySlices).toEqual([0, 2, 4])
    expect(plan.filledSlices).toEqual([1, 3])
    const editor = new VoxelEditor(labels, g)
    applySliceInterpolation(editor, { label: 1 })
    for (const k of [0, 2, 4]) expect(labels.subarray(k * 81, (k + 1) * 81)).toEqual(before.subarray(k * 81, (k + 1) * 81))
    expect(labels[3 + 9 * (3 + 9 * 1)]).toBe(3)
    expect(sliceCount(labels, g, 1)).toBeGreaterThan(0)
    // With overwrite 'any' the label-3 voxel is taken.
    editor.undo()
    const greedy = planSliceInterpolation(labels, g, { label: 1, overwrite: OVERWRITE_ANY })
    expect(Array.from(greedy.indices)).toContain(3 + 9 * (3 + 9 * 1))
  })

  it('leaves single labelled slices, adjacent slices and too-wide gaps alone', () => {
    const g = grid([5, 5, 8])
    const labels = new Uint8Array(200)
    paintWhere(labels, g, 1, (i, j, k) => (k === 0 || k === 1 || k === 7) && i === 2 && j === 2)
    expect(planSliceInterpolation(labels, g, { label: 1, maxGapSlices: 4 }).indices.length).toBe(0)
    expect(planSliceInterpolation(labels, g, { label: 1 }).filledSlices).toEqual([2, 3, 4, 5, 6])
    expect(planSliceInterpolation(new Uint8Array(200), g, { label: 1 }).keySlices).toEqual([])
    expect(() => planSliceInterpolation(labels, g, { label: 0 })).toThrow(/background/)
  })

  it('uses the in-plane spacing in mm (anisotropic pixels), matching a brute-force oracle', () => {
    // 0.5 × 2 mm pixels: a metric in voxel units gives a different shape for these blobs.
    const spacing: Vec3 = [0.5, 2, 3]
    const g = grid([24, 10, 3], spacing)
    const random = seededRandom(7)
    const labels = new Uint8Array(24 * 10 * 3)
    // Two random blobs away from the slice edges, on slices 0 and 2.
    for (const k of [0, 2]) {
      const cu = 8 + random() * 8
      const cv = 3.5 + random() * 3
      const ru = 3 + random() * 4
      const rv = 1 + random() * 1.5
      paintWhere(labels, g, 1, (i, j, kk) => kk === k && ((i - cu) / ru) ** 2 + ((j - cv) / rv) ** 2 <= 1)
      paintWhere(labels, g, 1, (i, j, kk) => kk === k && Math.abs(i - cu - (k - 1) * 3) <= 1 && Math.abs(j - cv) <= 3 && j > 0 && j < 9)
    }
    const sliceA = labels.slice(0, 240)
    const sliceB = labels.slice(480, 720)
    const plan = planSliceInterpolation(labels, g, { label: 1 })
    const got = new Uint8Array(240)
    for (const index of plan.indices) got[index - 240] = 1
    const inMm = bruteInterpolatedSlice(sliceA, sliceB, 24, 10, 0.5, 2, 0.5)
    const inVoxels = bruteInterpolatedSlice(sliceA, sliceB, 24, 10, 1, 1, 0.5)
    expect(Array.from(got)).toEqual(Array.from(inMm))
    expect(Array.from(inMm)).not.toEqual(Array.from(inVoxels))
  })
})
