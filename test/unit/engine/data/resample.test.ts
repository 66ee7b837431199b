import { describe, expect, it } from 'vitest'
import {
  argmaxChannelsLast,
  resampledShape,
  resampleArgmax,
  resampleLinear,
  resampleNearest,
  spacingAfterResample,
  voxelCountOfShape,
  type Shape3
} from '../../../../src/engine/data'
import type { Vec3 } from '../../../../src/shared/volume'
import { indexedSample, sampleFrom, valuesOf } from './fixtures'

describe('resampledShape', () => {
  it.each<{ name: string; shape: Shape3; spacing: Vec3; target: Vec3; expected: Shape3 }>([
    { name: 'already at the target', shape: [35, 51, 36], spacing: [1, 1, 1], target: [1, 1, 1], expected: [35, 51, 36] },
    { name: 'anisotropic 0.8×0.8×5 → 1.5 iso', shape: [20, 100, 100], spacing: [0.8, 0.8, 5], target: [1.5, 1.5, 1.5], expected: [67, 53, 53] },
    { name: 'keep the coarse axis', shape: [20, 512, 512], spacing: [0.75, 0.75, 5], target: [1.5, 1.5, 5], expected: [20, 256, 256] },
    { name: 'never below one voxel', shape: [1, 4, 4], spacing: [1, 1, 1], target: [1, 1, 8], expected: [1, 4, 4] }
  ])('$name', ({ shape, spacing, target, expected }) => {
    expect(resampledShape(shape, spacing, target)).toEqual(expected)
  })

  it('reports the spacing the rounded grid really has', () => {
    expect(spacingAfterResample([0.8, 0.8, 5], [20, 100, 100], [67, 53, 53])).toEqual([80 / 53, 80 / 53, 100 / 67])
  })

  it('rejects non-positive spacings', () => {
    expect(() => resampledShape([2, 2, 2], [1, 0, 1], [1, 1, 1])).toThrow(/positive/)
  })
})

describe('resampleLinear', () => {
  it('returns the same array, uncopied, when the grid does not change', () => {
    const { image, label, shape } = indexedSample([3, 4, 5], 2)
    expect(resampleLinear(image, 2, shape, shape)).toBe(image)
    expect(resampleNearest(label, shape, shape)).toBe(label)
  })

  it.each<{ name: string; from: Shape3; to: Shape3 }>([
    { name: 'upsample ×2', from: [4, 6, 8], to: [8, 12, 16] },
    { name: 'downsample', from: [9, 12, 16], to: [5, 6, 7] },
    { name: 'anisotropic mixed', from: [5, 20, 20], to: [17, 11, 11] }
  ])('reproduces a linear ramp between the outer voxel centres ($name)', ({ from, to }) => {
    // f = 2d + 3h − w in input voxel units; an output voxel centre sits at (o + ½)·n/m − ½ input voxels.
    const ramp = (d: number, h: number, w: number): number => 2 * d + 3 * h - w
    const { image } = sampleFrom(from, 1, ramp)
    const out = resampleLinear(image, 1, from, to)
    const at = (o: number, axis: number): number => ((o + 0.5) * (from[axis] as number)) / (to[axis] as number) - 0.5
    let checked = 0
    for (let d = 0; d < to[0]; d++) {
      for (let h = 0; h < to[1]; h++) {
        for (let w = 0; w < to[2]; w++) {
          const x = [at(d, 0), at(h, 1), at(w, 2)] as const
          if (x.some((value, axis) => value < 0 || value > (from[axis] as number) - 1)) continue // edge-clamped band
          expect(out[(d * to[1] + h) * to[2] + w]).toBeCloseTo(ramp(x[0], x[1], x[2]), 3)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(voxelCountOfShape(to) / 4)
  })

  it('interpolates each channel on its own', () => {
    const from: Shape3 = [2, 2, 2]
    const { image } = sampleFrom(from, 2, (d, h, w, c) => (c === 0 ? 1 : 10 * (d + h + w)))
    const out = resampleLinear(image, 2, from, [4, 4, 4])
    for (let v = 0; v < 64; v++) expect(out[2 * v]).toBeCloseTo(1, 6)
    expect(out[1]).toBeCloseTo(0, 6) // corner voxel clamps to the corner value
    expect(out[2 * 63 + 1]).toBeCloseTo(30, 5)
  })
})

describe('resampleNearest', () => {
  it.each<{ name: string; small: Shape3; large: Shape3 }>([
    { name: '×2 every axis', small: [3, 4, 5], large: [6, 8, 10] },
    { name: '×3 in plane, ×1 across', small: [4, 3, 3], large: [4, 9, 9] }
  ])('upsampling by whole factors and back is the identity ($name)', ({ small, large }) => {
    const { label } = indexedSample(small)
    const up = resampleNearest(label, small, large)
    expect(resampleNearest(up, large, small)).toEqual(label)
  })

  it('only ever produces values of the input', () => {
    const { label } = sampleFrom([7, 9, 11], 1, () => 0, (d, h, w) => [0, 3, 7][(d + 2 * h + w) % 3] as number)
    expect([...valuesOf(resampleNearest(label, [7, 9, 11], [10, 5, 13]))].every((v) => [0, 3, 7].includes(v))).toBe(true)
  })
})

describe('resampleArgmax', () => {
  it('equals the argmax of the linearly resampled scores without building them', () => {
    const from: Shape3 = [5, 6, 7]
    const to: Shape3 = [9, 4, 13]
    const { image: scores } = sampleFrom(from, 3, (d, h, w, c) => Math.sin(d + 2 * c) + Math.cos(h * w + c))
    expect(resampleArgmax(scores, 3, from, to)).toEqual(argmaxChannelsLast(resampleLinear(scores, 3, from, to), 3))
  })
})
