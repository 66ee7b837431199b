import { describe, expect, it } from 'vitest'
import {
  applyNormalizationInPlace,
  channelsLastFromVolume,
  ctWindowNormalization,
  foregroundIntensityWindow,
  normalizeIntensities,
  percentilesInPlace,
  zScoreNormalization,
  type ChannelsLastImage
} from '../../../../src/engine/data'
import { createRandom } from '../../../../src/shared/random'
import { sharedDataMissing } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { meanStd, readHippocampus } from './fixtures'

/** numpy.percentile's default (linear) on a sorted copy. */
function referencePercentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort()
  const rank = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return (sorted[lo] as number) + (rank - lo) * ((sorted[hi] as number) - (sorted[lo] as number))
}

function image1(values: number[] | Float32Array): ChannelsLastImage {
  const image = Float32Array.from(values)
  return { image, shape: [1, 1, image.length], channels: 1 }
}

describe('percentilesInPlace', () => {
  const random = createRandom(7)
  it.each([
    { name: 'uniform noise', values: Array.from({ length: 10_001 }, () => random.uniform(-5, 5)) },
    { name: 'mostly duplicates', values: Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? i : 3)) },
    { name: 'sorted ramp', values: Array.from({ length: 4096 }, (_, i) => i) },
    { name: 'reversed ramp', values: Array.from({ length: 4095 }, (_, i) => -i) },
    { name: 'two values', values: [5, 1] },
    { name: 'one value', values: [42] }
  ])('matches numpy’s linear percentile: $name', ({ values }) => {
    const ps = [0, 0.5, 25, 50, 99.5, 100]
    const got = percentilesInPlace(Float32Array.from(values), ps)
    ps.forEach((p, n) => expect(got[n]).toBeCloseTo(referencePercentile(Float32Array.from(values), p), 4))
  })

  it('returns NaN for no values', () => {
    expect(percentilesInPlace(new Float32Array(0), [50])).toEqual([Number.NaN])
  })
})

describe('z-score (MR)', () => {
  it('gives mean 0 and std 1 on well-behaved data, ignoring zero background by default', () => {
    const random = createRandom(1)
    const values = Array.from({ length: 20_000 }, (_, i) => (i < 5000 ? 0 : random.normal(300, 40)))
    const { image } = normalizeIntensities(image1(values), 'MR', { zScore: { statisticsFrom: 'nonzero', clipPercentiles: [0, 100], clipOutput: false } })
    const { mean, std } = meanStd(image.subarray(5000))
    expect(mean).toBeCloseTo(0, 6)
    expect(std).toBeCloseTo(1, 5)
  })

  it('is not moved by a few extreme voxels (clipped to the 0.5–99.5 percentiles)', () => {
    const random = createRandom(2)
    const clean = Array.from({ length: 20_000 }, () => random.normal(1000, 100))
    const spiked = clean.map((x, i) => (i % 1000 === 0 ? 358_215 : x)) // 0.1 % hot voxels, like case 044's maximum
    const a = normalizeIntensities(image1(clean), 'MR')
    const b = normalizeIntensities(image1(spiked), 'MR')
    const zA = a.normalization[0]!
    const zB = b.normalization[0]!
    expect(zB.offset).toBeCloseTo(zA.offset, -1) // means within ~5 units of 1000
    expect(zB.scale / zA.scale).toBeGreaterThan(0.95)
    expect(Math.max(...b.image)).toBeLessThan(4) // the spikes are clipped to the 99.5th percentile
  })

  it.each([1, 100, 0.01])('does not depend on the units: ×%f gives the same normalised image', (factor) => {
    const random = createRandom(3)
    const values = Array.from({ length: 5000 }, () => random.uniform(10, 500))
    const base = normalizeIntensities(image1(values), 'MR').image
    const scaled = normalizeIntensities(image1(values.map((x) => x * factor)), 'MR').image
    for (let v = 0; v < base.length; v += 97) expect(scaled[v]).toBeCloseTo(base[v] as number, 4)
  })

  it('normalises each channel with its own statistics', () => {
    const values = new Float32Array(2000)
    for (let v = 0; v < 1000; v++) {
      values[2 * v] = 1 + (v % 10)
      values[2 * v + 1] = 50_000 + 1000 * (v % 7)
    }
    const out = normalizeIntensities({ image: values, shape: [1, 1, 1000], channels: 2 }, 'MR')
    for (const c of [0, 1]) {
      const channel = out.image.filter((_, i) => i % 2 === c)
      expect(meanStd(channel).mean).toBeCloseTo(0, 5)
      expect(meanStd(channel).std).toBeCloseTo(1, 4)
    }
  })

  it('leaves a constant channel finite, and maps NaN to the low end', () => {
    const constant = normalizeIntensities(image1([7, 7, 7, 7]), 'MR')
    expect(Array.from(constant.image)).toEqual([0, 0, 0, 0])
    const withNaN = normalizeIntensities(image1([1, 2, 3, Number.NaN, 4]), 'MR', { zScore: { statisticsFrom: 'all', clipPercentiles: [0, 100], clipOutput: true } })
    expect(withNaN.image[3]).toBeCloseTo(withNaN.image[0] as number, 6)
  })

  it('rejects an inverted percentile range', () => {
    expect(() => zScoreNormalization(new Float32Array([1, 2]), 1, 0, { statisticsFrom: 'all', clipPercentiles: [90, 10], clipOutput: true })).toThrow(/clipPercentiles/)
  })
})

describe('CT window', () => {
  it.each([
    { hu: -2000, expected: -1 },
    { hu: -1000, expected: -1 },
    { hu: 0, expected: 0 },
    { hu: 500, expected: 0.5 },
    { hu: 1000, expected: 1 },
    { hu: 3071, expected: 1 }
  ])('default window [-1000, 1000] → [-1, 1]: $hu HU → $expected', ({ hu, expected }) => {
    const { image } = normalizeIntensities(image1([hu]), 'CT')
    expect(image[0]).toBeCloseTo(expected, 6)
  })

  it.each([
    { window: [-160, 240] as [number, number], range: [0, 1] as [number, number], hu: 40, expected: 0.5 },
    { window: [-160, 240] as [number, number], range: [0, 1] as [number, number], hu: -160, expected: 0 },
    { window: [0, 80] as [number, number], range: [-1, 1] as [number, number], hu: 60, expected: 0.5 }
  ])('window $window → $range: $hu HU → $expected', ({ window, range, hu, expected }) => {
    const values = new Float32Array([hu])
    applyNormalizationInPlace(values, 1, 0, ctWindowNormalization({ windowHu: window, outputRange: range }))
    expect(values[0]).toBeCloseTo(expected, 6)
  })

  it('derives a dataset window from labelled voxels', () => {
    const image = Float32Array.from({ length: 1000 }, (_, v) => (v < 500 ? -1000 : 40 + (v % 100)))
    const label = Uint8Array.from({ length: 1000 }, (_, v) => (v < 500 ? 0 : 1))
    const [low, high] = foregroundIntensityWindow([{ image, channels: 1, label }], { percentiles: [0, 100] })
    expect([low, high]).toEqual([40, 139])
  })
})

describeUnless(sharedDataMissing, 'z-score on real hippocampus MR', () => {
  it('brings case 044 (stored ~100× brighter, max 358,215) and normal cases to comparable ranges', async () => {
    const summaries = []
    for (const id of ['hippocampus_044', 'hippocampus_004', 'hippocampus_001']) {
      const { image: volume } = await readHippocampus(id)
      const raw = channelsLastFromVolume(volume)
      const out = normalizeIntensities(raw, 'MR')
      const p = percentilesInPlace(out.image.slice(), [1, 50, 99])
      summaries.push({ id, rawMax: Math.max(...raw.image), min: Math.min(...out.image), max: Math.max(...out.image), p1: p[0]!, p50: p[1]!, p99: p[2]! })
    }
    const [bright, ...normal] = summaries
    expect(bright!.rawMax).toBeGreaterThan(50 * normal[0]!.rawMax) // the raw scales really differ
    for (const s of summaries) {
      expect(s.max - s.min).toBeGreaterThan(2)
      expect(s.max - s.min).toBeLessThan(5) // bounded by the percentile clip, not by the hottest voxel
      expect(Math.abs(s.p50)).toBeLessThan(0.5)
    }
    for (const s of normal) {
      expect(Math.abs(s.p1 - bright!.p1)).toBeLessThan(0.5)
      expect(Math.abs(s.p99 - bright!.p99)).toBeLessThan(0.5)
    }
  })
})
