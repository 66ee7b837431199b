import { describe, expect, it } from 'vitest'
import { chooseNormalization, computeFingerprint, FINGERPRINT_VOXELS_PER_CASE, type FingerprintCase } from '../../../../src/engine/data/fingerprint'
import { normalizationFor } from '../../../../src/engine/data/normalize'
import type { Vec3 } from '../../../../src/shared/volume'

/** A CT-like case: air (−1000) around an organ block (values 40 + k, labelled 1) on a dims grid. */
function ctCase(dims: Vec3, spacingMm: Vec3, organValue: (n: number) => number): FingerprintCase {
  const n = dims[0] * dims[1] * dims[2]
  const data = new Float32Array(n).fill(-1000)
  const labels = new Uint8Array(n)
  let k = 0
  for (let v = Math.floor(n / 4); v < Math.floor(n / 2); v++) {
    data[v] = organValue(k++)
    labels[v] = 1
  }
  return { dims, spacingMm, channels: 1, data, labels }
}

describe('computeFingerprint', () => {
  it('measures spacings, shapes and the labelled foreground only', () => {
    const cases = [ctCase([10, 8, 6], [0.8, 0.8, 3], (k) => 40 + (k % 11)), ctCase([12, 8, 4], [0.7, 0.9, 5], (k) => 50 + (k % 11)), ctCase([10, 10, 6], [0.9, 0.8, 3], () => 45)]
    const fingerprint = computeFingerprint(cases)
    expect(fingerprint.cases).toBe(3)
    expect(fingerprint.spacingMm.median).toEqual([0.8, 0.8, 3])
    expect(fingerprint.spacingMm.max).toEqual([0.9, 0.9, 5])
    // [D, H, W] = [z, y, x].
    expect(fingerprint.shape.min).toEqual([4, 8, 10])
    expect(fingerprint.shape.max).toEqual([6, 10, 12])
    const [stats] = fingerprint.foregroundIntensity
    // Air is never counted: everything measured is organ tissue.
    expect(stats?.min).toBeGreaterThanOrEqual(40)
    expect(stats?.max).toBeLessThanOrEqual(60)
    const organ = cases.flatMap((c) => Array.from(c.data).filter((_, v) => c.labels?.[v] === 1))
    const mean = organ.reduce((a, b) => a + b, 0) / organ.length
    expect(stats?.mean).toBeCloseTo(mean, 6)
    expect(stats?.voxels).toBe(organ.length)
  })

  it('samples at most 10,000 foreground voxels per case, evenly', () => {
    const big = ctCase([60, 60, 20], [1, 1, 1], (k) => k % 100)
    const fingerprint = computeFingerprint([big])
    expect(fingerprint.foregroundIntensity[0]?.voxels).toBeLessThanOrEqual(FINGERPRINT_VOXELS_PER_CASE)
    expect(fingerprint.foregroundIntensity[0]?.voxels).toBeGreaterThan(FINGERPRINT_VOXELS_PER_CASE / 2)
    // An even stride over a 0..99 ramp keeps its mean near 49.5.
    expect(fingerprint.foregroundIntensity[0]?.mean).toBeGreaterThan(45)
    expect(fingerprint.foregroundIntensity[0]?.mean).toBeLessThan(54)
  })
})

describe('chooseNormalization', () => {
  it('CT: one dataset-wide map, clipped to the foreground percentiles and z-scored with its mean and sd', () => {
    const fingerprint = computeFingerprint([ctCase([20, 20, 10], [1, 1, 1], (k) => 30 + (k % 41))])
    const plan = chooseNormalization('CT', fingerprint)
    expect(plan.scheme).toBe('ct-dataset')
    const stats = fingerprint.foregroundIntensity[0]
    const channel = plan.channels?.[0]
    expect(channel?.clip).toEqual([stats?.p00_5, stats?.p99_5])
    expect(channel?.offset).toBe(stats?.mean)
    expect(channel?.scale).toBeCloseTo(1 / (stats?.sd ?? 1), 12)
    // Applied through the same path training and prediction use: the organ lands around 0 with unit
    // spread, air is clipped to the low end (not −1000 HU far below everything).
    const image = { image: Float32Array.from([-1000, 30, 50, 70]), shape: [1, 1, 4] as [number, number, number], channels: 1 }
    const applied = normalizationFor(image, 'CT', { fixed: plan.channels ?? [] })
    expect(applied).toEqual(plan.channels)
  })

  it('MR and other: each volume on its own; CT without any labelled voxel too', () => {
    const fingerprint = computeFingerprint([ctCase([8, 8, 8], [1, 1, 1], () => 100)])
    expect(chooseNormalization('MR', fingerprint).scheme).toBe('per-volume-zscore')
    expect(chooseNormalization('other', fingerprint).scheme).toBe('per-volume-zscore')
    const unlabelled = computeFingerprint([{ ...ctCase([8, 8, 8], [1, 1, 1], () => 100), labels: null }])
    expect(chooseNormalization('CT', unlabelled)).toMatchObject({ scheme: 'per-volume-zscore', reason: expect.stringContaining('no labelled voxel') })
  })

  it('refuses a fixed normalisation whose channel count differs from the image', () => {
    const image = { image: new Float32Array(8), shape: [2, 2, 1] as [number, number, number], channels: 2 }
    expect(() => normalizationFor(image, 'CT', { fixed: [{ kind: 'zscore', clip: null, offset: 0, scale: 1 }] })).toThrow(/1 channel\(s\); the image has 2/)
  })
})
