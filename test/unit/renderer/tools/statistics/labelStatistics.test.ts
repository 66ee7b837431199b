import { describe, expect, it } from 'vitest'
import { makeGrid } from '../../../../../src/renderer/src/tools/core/grid'
import {
  labelStatistics,
  labelStatisticsInSlices,
  LabelStatisticsAccumulator,
  type LabelStatistic
} from '../../../../../src/renderer/src/tools/statistics/labelStatistics'
import type { LabelArray, Vec3, VoxelArray } from '../../../../../src/shared/volume'
import { seededRandom } from '../growFromSeeds/helpers'

/** The definition, computed the plain way: group values per label, then two passes per label. */
function bruteForce(labels: LabelArray, image: VoxelArray, spacing: Vec3): LabelStatistic[] {
  const groups = new Map<number, number[]>()
  for (let index = 0; index < labels.length; index++) {
    if (labels[index] === 0) continue
    const list = groups.get(labels[index]) ?? []
    list.push(image[index])
    groups.set(labels[index], list)
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((label) => {
      const values = groups.get(label) as number[]
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length
      return {
        label,
        voxelCount: values.length,
        volumeMl: (values.length * spacing[0] * spacing[1] * spacing[2]) / 1000,
        mean,
        sd: Math.sqrt(variance),
        min: Math.min(...values),
        max: Math.max(...values)
      }
    })
}

function expectClose(actual: LabelStatistic[], expected: LabelStatistic[]): void {
  expect(actual.map((r) => r.label)).toEqual(expected.map((r) => r.label))
  for (let n = 0; n < expected.length; n++) {
    const a = actual[n] as LabelStatistic
    const e = expected[n] as LabelStatistic
    expect(a.voxelCount).toBe(e.voxelCount)
    expect(a.min).toBe(e.min)
    expect(a.max).toBe(e.max)
    expect(a.volumeMl).toBeCloseTo(e.volumeMl, 9)
    expect(a.mean).toBeCloseTo(e.mean, 6)
    expect(a.sd).toBeCloseTo(e.sd, 6)
  }
}

describe('label statistics', () => {
  it.each([
    { name: 'CT-like int16, 8-bit labels', dims: [17, 13, 9] as Vec3, spacing: [0.8, 0.8, 2.5] as Vec3, labels: 'u8', image: 'i16', maxLabel: 4, offset: -1000, scale: 2000 },
    { name: 'float MR, 16-bit labels with large ids', dims: [11, 10, 7] as Vec3, spacing: [1, 1, 1] as Vec3, labels: 'u16', image: 'f32', maxLabel: 3, offset: 0, scale: 1 },
    { name: 'uint8 image, anisotropic', dims: [9, 20, 4] as Vec3, spacing: [0.5, 0.7, 5] as Vec3, labels: 'u8', image: 'u8', maxLabel: 7, offset: 0, scale: 255 }
  ])('matches a brute-force computation: $name', ({ dims, spacing, labels: labelType, image: imageType, maxLabel, offset, scale }) => {
    const random = seededRandom(dims[0] * 31 + maxLabel)
    const n = dims[0] * dims[1] * dims[2]
    const labels: LabelArray = labelType === 'u16' ? new Uint16Array(n) : new Uint8Array(n)
    const image: VoxelArray = imageType === 'i16' ? new Int16Array(n) : imageType === 'u8' ? new Uint8Array(n) : new Float32Array(n)
    for (let index = 0; index < n; index++) {
      const label = Math.floor(random() * (maxLabel + 1))
      labels[index] = labelType === 'u16' && label > 0 ? label * 1000 + 7 : label
      image[index] = offset + random() * scale
    }
    const grid = makeGrid(dims, spacing)
    expectClose(labelStatistics(labels, image, grid), bruteForce(labels, image, spacing))
  })

  it('gives the mL of a known block: 10×10×4 voxels of 1×1×2.5 mm = 1000 mm³ = 1 mL', () => {
    const grid = makeGrid([20, 20, 8], [1, 1, 2.5])
    const labels = new Uint8Array(3200)
    const image = new Int16Array(3200).fill(-1000)
    for (let k = 2; k < 6; k++) for (let j = 5; j < 15; j++) for (let i = 5; i < 15; i++) {
      labels[i + 20 * (j + 20 * k)] = 2
      image[i + 20 * (j + 20 * k)] = i % 2 === 0 ? 30 : 50
    }
    const [row] = labelStatistics(labels, image, grid)
    expect(row).toMatchObject({ label: 2, voxelCount: 400, mean: 40, sd: 10, min: 30, max: 50 })
    expect(row?.volumeMl).toBeCloseTo(1, 12)
  })

  it('keeps its digits for a large mean with a small spread (CT bone at ~3000 HU, sd 0.5)', () => {
    const n = 200_000
    const grid = makeGrid([n, 1, 1])
    const labels = new Uint8Array(n).fill(1)
    const image = new Float64Array(n)
    for (let index = 0; index < n; index++) image[index] = 3_000_000 + (index % 2 === 0 ? -0.5 : 0.5)
    const [row] = labelStatistics(labels, image, grid)
    expect(row?.mean).toBeCloseTo(3_000_000, 6)
    expect(row?.sd).toBeCloseTo(0.5, 9)
  })

  it('lists nothing for an empty label map, and refuses arrays that do not fit the grid or a bad range', () => {
    const grid = makeGrid([4, 4, 4])
    expect(labelStatistics(new Uint8Array(64), new Float32Array(64), grid)).toEqual([])
    expect(() => labelStatistics(new Uint8Array(63), new Float32Array(64), grid)).toThrow(/label map has 63 voxels/)
    expect(() => labelStatistics(new Uint8Array(64), new Float32Array(10), grid)).toThrow(/image channel has 10 voxels/)
    expect(() => new LabelStatisticsAccumulator(new Uint8Array(64), new Float32Array(64), grid).add(0, 65)).toThrow(/outside/)
  })

  it('in slices gives the same rows as one pass, yielding between chunks, and stops when cancelled', async () => {
    const random = seededRandom(99)
    const grid = makeGrid([30, 20, 10], [0.7, 0.7, 3])
    const labels = Uint8Array.from({ length: 6000 }, () => Math.floor(random() * 3))
    const image = Float32Array.from({ length: 6000 }, () => random() * 100 - 50)
    let yields = 0
    const sliced = await labelStatisticsInSlices(labels, image, grid, {
      chunkVoxels: 1000,
      yieldToPage: async () => {
        yields++
      },
      isCancelled: () => false
    })
    expect(yields).toBe(5)
    expect(sliced).toEqual(labelStatistics(labels, image, grid))
    let calls = 0
    const cancelled = await labelStatisticsInSlices(labels, image, grid, { chunkVoxels: 1000, yieldToPage: async () => undefined, isCancelled: () => ++calls > 2 })
    expect(cancelled).toBeNull()
  })
})
