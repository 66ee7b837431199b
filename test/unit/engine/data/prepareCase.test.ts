import { describe, expect, it } from 'vitest'
import {
  labelMapToOriginalGrid,
  predictionToOriginalGrid,
  prepareCase,
  valuesToOriginalGrid,
  voxelCountOfShape,
  type PreparedCase
} from '../../../../src/engine/data'
import { VoxloopError } from '../../../../src/shared/errors'
import { sharedDataMissing } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { dice, labelVolumeFrom, meanStd, readHippocampus, volumeFrom } from './fixtures'

/** One-hot scores [D, H, W, K] of a label map: a perfect "prediction". */
function oneHot(label: Uint8Array, classes: number): Float32Array {
  const out = new Float32Array(label.length * classes)
  label.forEach((k, v) => (out[v * classes + k] = 1))
  return out
}

describe('prepareCase (synthetic)', () => {
  // A 0.8 × 0.8 × 5 mm CT-like volume with a ball of class 1 (radius 12 mm) and a block of class 2.
  const dims: [number, number, number] = [50, 50, 10]
  const spacing: [number, number, number] = [0.8, 0.8, 5]
  const mm = (i: number, j: number, k: number): [number, number, number] => [(i + 0.5) * 0.8 - 20, (j + 0.5) * 0.8 - 20, (k + 0.5) * 5 - 25]
  const inBall = (i: number, j: number, k: number): boolean => Math.hypot(...mm(i, j, k)) < 12
  const image = volumeFrom(dims, spacing, 1, (i, j, k) => (inBall(i, j, k) ? 60 : i < 5 ? 700 : -1000))
  const label = labelVolumeFrom(dims, spacing, (i, j, k) => (inBall(i, j, k) ? 1 : i < 5 && k > 2 ? 2 : 0))

  it('resamples anisotropic 0.8 × 0.8 × 5 mm to 1.5 mm and windows CT', () => {
    const prepared = prepareCase(image, label, { targetSpacing: [1.5, 1.5, 1.5], modality: 'CT', id: 'ct' })
    expect(prepared.shape).toEqual([33, 27, 27])
    prepared.spacingMm.forEach((s) => expect(s).toBeCloseTo(1.5, 1))
    expect(prepared.image.length).toBe(voxelCountOfShape(prepared.shape))
    expect(Math.min(...prepared.image)).toBeCloseTo(-1, 6) // -1000 HU
    expect(Math.max(...prepared.image)).toBeCloseTo(0.7, 5) // 700 HU
    expect(prepared.padValues).toEqual([Math.min(...prepared.image)])
    expect(prepared.foreground!.classes).toEqual([1, 2])
    expect(prepared.normalization).toEqual([{ kind: 'window', clip: [-1000, 1000], offset: 0, scale: 0.001 }])
    // The ball keeps its physical volume (≈ 7238 mm³) within discretisation error.
    const ballMm3 = prepared.foreground!.voxelsByClass[0]!.length * prepared.spacingMm.reduce((a, b) => a * b, 1)
    expect(ballMm3 / ((4 / 3) * Math.PI * 12 ** 3)).toBeCloseTo(1, 1)
  })

  it('maps a perfect prediction back to the original grid', () => {
    const prepared = prepareCase(image, label, { targetSpacing: [1.5, 1.5, 1.5], modality: 'CT' })
    const back = predictionToOriginalGrid(oneHot(prepared.label!, 3), 3, prepared)
    expect(back.length).toBe(label.data.length)
    expect(dice(back, label.data as Uint8Array, 1)).toBeGreaterThan(0.9)
    expect(dice(back, label.data as Uint8Array, 2)).toBeGreaterThan(0.85)
    expect(dice(labelMapToOriginalGrid(prepared.label!, prepared), label.data as Uint8Array, 1)).toBeGreaterThan(0.9)
    expect(valuesToOriginalGrid(prepared.image, 1, prepared).length).toBe(label.data.length)
  })

  it('neither grows a label nor shifts it by half a voxel on the way to the model grid and back (#13 item 5)', () => {
    // Two target spacings that do not divide the source's 0.8 × 0.8 × 5 mm.
    for (const target of [[1.5, 1.5, 1.5], [1.1, 1.3, 2.2]] as const) {
      const prepared = prepareCase(image, label, { targetSpacing: [...target], modality: 'CT' })
      const back = predictionToOriginalGrid(oneHot(prepared.label!, 3), 3, prepared)
      const [nx, ny] = label.header.dims
      // The ball only: the 4 mm wide block of class 2 has edges that coarse voxels can only quantise
      // (to 3 × 1.48 mm here), a discretisation error of either sign, not a bias.
      for (const cls of [1]) {
        const stats = (map: ArrayLike<number>): { count: number; centroid: number[] } => {
          const sum = [0, 0, 0]
          let count = 0
          for (let v = 0; v < map.length; v++) {
            if (map[v] !== cls) continue
            count++
            sum[0]! += v % nx
            sum[1]! += Math.floor(v / nx) % ny
            sum[2]! += Math.floor(v / (nx * ny))
          }
          return { count, centroid: sum.map((s) => s / count) }
        }
        const original = stats(label.data)
        const roundTrip = stats(back)
        expect(roundTrip.count / original.count).toBeGreaterThan(0.95)
        expect(roundTrip.count / original.count).toBeLessThan(1.05)
        // A half-voxel shift of the model grid against the case grid would move the centroid by ~0.5 voxel.
        roundTrip.centroid.forEach((c, axis) => expect(Math.abs(c - (original.centroid[axis] as number))).toBeLessThan(0.2))
      }
    }
  })

  it('keeps the grid, and the label array itself, when the spacing already matches', () => {
    const prepared = prepareCase(image, label, { targetSpacing: [0.8, 0.8, 5], modality: 'CT' })
    expect(prepared.shape).toEqual([10, 50, 50])
    expect(prepared.label).toBe(label.data)
    expect(predictionToOriginalGrid(oneHot(prepared.label!, 3), 3, prepared)).toEqual(label.data)
    expect(prepareCase(image, null, { targetSpacing: null, modality: 'MR' }).shape).toEqual([10, 50, 50])
  })

  it('lays out and normalises several MR channels separately', () => {
    const multi = volumeFrom([6, 5, 4], [1, 1, 1], 2, (i, j, k, c) => (c === 0 ? 1 + i + j + k : 1000 * (1 + ((i * j + k) % 5))))
    const prepared = prepareCase(multi, null, { targetSpacing: null, modality: 'MR', normalization: { zScore: { statisticsFrom: 'all', clipPercentiles: [0, 100], clipOutput: false } } })
    expect(prepared.channels).toBe(2)
    expect(prepared.foreground).toBeNull()
    for (const c of [0, 1]) {
      const channel = prepared.image.filter((_, i) => i % 2 === c)
      expect(meanStd(channel).mean).toBeCloseTo(0, 5)
      expect(meanStd(channel).std).toBeCloseTo(1, 4)
    }
  })

  it('refuses a label on another grid', () => {
    const other = labelVolumeFrom([50, 50, 9], spacing, () => 0)
    expect(() => prepareCase(image, other, { targetSpacing: null, modality: 'CT' })).toThrow(VoxloopError)
    try {
      prepareCase(image, other, { targetSpacing: null, modality: 'CT' })
    } catch (error) {
      expect((error as VoxloopError).code).toBe('GRID_MISMATCH')
    }
  })
})

describeUnless(sharedDataMissing, 'prepareCase (real hippocampus MR)', () => {
  it.each(['hippocampus_001', 'hippocampus_003', 'hippocampus_044'])('%s at its own 1 mm grid: identity geometry, label kept', async (id) => {
    const { image, label } = await readHippocampus(id)
    const prepared: PreparedCase = prepareCase(image, label, { targetSpacing: [1, 1, 1], modality: 'MR', id })
    expect(prepared.shape).toEqual([image.header.dims[2], image.header.dims[1], image.header.dims[0]])
    // Same bytes (Buffer.equals: a deep toEqual of 60k elements is slow); the very same array for uint8 files.
    expect(Buffer.from(prepared.label!).equals(Buffer.from(label.data as Uint8Array))).toBe(true)
    if (id !== 'hippocampus_003') expect(prepared.label).toBe(label.data)
    expect(prepared.foreground!.classes).toEqual([1, 2])
    expect(prepared.image.reduce((a, b) => Math.max(a, b)) - prepared.image.reduce((a, b) => Math.min(a, b))).toBeLessThan(5)
  })

  it('round-trips a prediction through a 1.5 mm grid with little loss', async () => {
    const { image, label } = await readHippocampus('hippocampus_004')
    const prepared = prepareCase(image, label, { targetSpacing: [1.5, 1.5, 1.5], modality: 'MR' })
    expect(prepared.shape).toEqual([25, 35, 24])
    const back = predictionToOriginalGrid(oneHot(prepared.label!, 3), 3, prepared)
    expect(dice(back, label.data as Uint8Array, 1)).toBeGreaterThan(0.8)
    expect(dice(back, label.data as Uint8Array, 2)).toBeGreaterThan(0.8)
  })
})
