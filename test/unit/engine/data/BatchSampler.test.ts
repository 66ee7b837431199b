import { IDENTITY_TURN } from '../../../../src/engine/data/reorient'
import { describe, expect, it } from 'vitest'
import {
  BatchSampler,
  buildForegroundIndex,
  labelIndex,
  medianShape,
  prepareCase,
  suggestPatchSize,
  type AugmentationConfigInput,
  type BatchSamplerState,
  type PreparedCase,
  type Shape3
} from '../../../../src/engine/data'
import { sharedDataMissing } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { readHippocampus, sampleFrom, valuesOf } from './fixtures'

/** A prepared case built by hand: image = 10·label + 1 + (d mod 2)/10, a small labelled box of class 1 and one voxel of class 2. */
function syntheticCase(id: string, shape: Shape3): PreparedCase {
  const inBox = (d: number, h: number, w: number): boolean => d >= 2 && d < 4 && h >= 3 && h < 6 && w >= 1 && w < 5
  const labelAt = (d: number, h: number, w: number): number => (inBox(d, h, w) ? 1 : d === shape[0] - 1 && h === 0 && w === 0 ? 2 : 0)
  const { image, label } = sampleFrom(shape, 1, (d, h, w) => 10 * labelAt(d, h, w) + 1 + (d % 2) / 10, labelAt)
  return {
    id,
    image,
    label,
    shape,
    channels: 1,
    spacingMm: [1, 1, 1],
    foreground: buildForegroundIndex(label),
    padValues: [0],
    normalization: [{ kind: 'zscore', clip: null, offset: 0, scale: 1 }],
    original: { shape, spacingMm: [1, 1, 1], turn: IDENTITY_TURN, canonicalShape: shape }
  }
}

const CASES = [syntheticCase('a', [8, 10, 12]), syntheticCase('b', [12, 9, 7]), syntheticCase('tiny', [3, 4, 4])]
const PATCH: Shape3 = [6, 6, 6]

describe('BatchSampler', () => {
  it('yields [B, D, H, W, C] images and [B, D, H, W] labels', () => {
    const batch = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 3 }).next()
    expect(batch.shape).toEqual([3, 6, 6, 6, 1])
    expect(batch.image.length).toBe(3 * 216)
    expect(batch.label.length).toBe(3 * 216)
    expect(batch.samples).toHaveLength(3)
    for (const v of valuesOf(batch.label)) expect([0, 1, 2]).toContain(v)
  })

  it('draws the same batches for the same seed and others for another seed', () => {
    const draw = (seed: number): Float32Array[] => {
      const sampler = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 2, seed })
      return [0, 1, 2].map(() => sampler.next().image)
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(8)).not.toEqual(draw(7))
  })

  it('resumes from a JSON state saved at step N with exactly the batches it would have drawn', () => {
    const options = { patchShape: PATCH, batchSize: 2, seed: 123, foregroundProbability: 0.5 }
    const first = new BatchSampler(CASES, options)
    const expected = [0, 1, 2, 3, 4].map(() => first.next())
    const replay = new BatchSampler(CASES, options)
    replay.next()
    replay.next()
    replay.next()
    const saved = JSON.parse(JSON.stringify(replay.getState())) as BatchSamplerState
    expect(saved).toMatchObject({ version: 1, seed: 123, step: 3 })
    const resumed = new BatchSampler(CASES, options, saved)
    expect(resumed.step).toBe(3)
    expect(resumed.next()).toEqual(expected[3])
    expect(resumed.next()).toEqual(expected[4])
    expect(new BatchSampler(CASES, options).batchAt(4)).toEqual(expected[4])
  })

  it.each([
    { name: 'another seed', change: { seed: 124 } },
    { name: 'another patch', change: { patchShape: [6, 6, 8] as Shape3 } },
    { name: 'other augmentation', change: { augmentation: { flip: { probability: 0.1 } } } }
  ])('refuses a state saved with $name', ({ change }) => {
    const options = { patchShape: PATCH, seed: 123 }
    const state = new BatchSampler(CASES, options).getState()
    expect(() => new BatchSampler(CASES, { ...options, ...change }, state)).toThrow(/cannot be reproduced/)
  })

  it.each([0, 0.33, 1])('centres about a fraction %f of patches on labelled voxels', (p) => {
    const sampler = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 4, foregroundProbability: p, augmentation: null, seed: 5 })
    let foreground = 0
    let total = 0
    for (let step = 0; step < 150; step++) {
      const batch = sampler.next()
      batch.samples.forEach((sample, b) => {
        total++
        if (!sample.foreground) return
        foreground++
        // Without augmentation the centre voxel of the patch is the drawn labelled voxel.
        const centre = b * 216 + labelIndex(PATCH, 3, 3, 3)
        expect(batch.label[centre]).toBeGreaterThan(0)
      })
    }
    expect(Math.abs(foreground / total - p)).toBeLessThan(0.06)
  })

  it('with quota mode always makes the last round(B·p) patches foreground', () => {
    const sampler = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 3, foregroundProbability: 0.33, foregroundMode: 'quota', augmentation: null })
    for (let step = 0; step < 20; step++) expect(sampler.next().samples.map((s) => s.foreground)).toEqual([false, false, true])
  })

  it('centres foreground patches only on the chosen classes', () => {
    const sampler = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 4, foregroundProbability: 1, foregroundClasses: [2], augmentation: null })
    for (let step = 0; step < 10; step++) {
      const batch = sampler.next()
      batch.samples.forEach((_, b) => expect(batch.label[b * 216 + labelIndex(PATCH, 3, 3, 3)]).toBe(2))
    }
  })

  it('pads a case smaller than the patch (labels with 0, image with the pad value)', () => {
    const sampler = new BatchSampler([CASES[2]!], { patchShape: [8, 8, 8], batchSize: 1, augmentation: null, foregroundProbability: 0 })
    const batch = sampler.next()
    expect(batch.image.filter((v) => v === 0).length).toBeGreaterThanOrEqual(512 - 48)
    expect(batch.label.filter((v) => v !== 0).length).toBeLessThanOrEqual(8)
  })

  it('keeps image and label aligned through augmentation', () => {
    // Flips, rot90 and positive intensity scaling keep "label 1 ⇔ brightest intensity band".
    const augmentation: AugmentationConfigInput = {
      rot90: { probability: 0.5 },
      rotate: { probability: 0 },
      zoom: { probability: 0 },
      flip: { probability: 0.5 },
      noise: { probability: 0 },
      intensityShift: { probability: 0 },
      gamma: { probability: 0 },
      intensityScale: { probability: 1, range: [0.8, 1.2] }
    }
    const sampler = new BatchSampler(CASES, { patchShape: PATCH, batchSize: 4, foregroundProbability: 1, augmentation, seed: 3 })
    for (let step = 0; step < 10; step++) {
      const batch = sampler.next()
      batch.samples.forEach((sample, b) => {
        const factor = sample.augmentation!.intensityScale!
        for (let v = b * 216; v < (b + 1) * 216; v++) {
          const original = batch.image[v]! / factor
          const label = batch.label[v]!
          if (original === 0) expect(label).toBe(0) // padding
          else expect(Math.abs(Math.round((original - 1) / 10))).toBe(label)
        }
      })
    }
  })

  it('validates its inputs', () => {
    expect(() => new BatchSampler([], { patchShape: PATCH })).toThrow(/at least one case/)
    expect(() => new BatchSampler([{ ...CASES[0]!, label: null }], { patchShape: PATCH })).toThrow(/no label/)
    expect(() => new BatchSampler(CASES, { patchShape: PATCH, foregroundProbability: 2 })).toThrow(/0–1/)
  })
})

describeUnless(sharedDataMissing, 'BatchSampler on real hippocampus cases', () => {
  it('prepares five cases, suggests a patch and draws augmented batches quickly', async () => {
    const ids = ['hippocampus_001', 'hippocampus_003', 'hippocampus_004', 'hippocampus_044', 'hippocampus_243']
    const cases = await Promise.all(
      ids.map(async (id) => {
        const { image, label } = await readHippocampus(id)
        return prepareCase(image, label, { targetSpacing: [1, 1, 1], modality: 'MR', id })
      })
    )
    const patchShape = suggestPatchSize(medianShape(cases.map((c) => c.shape)))
    expect(patchShape).toEqual([48, 64, 48])
    const sampler = new BatchSampler(cases, { patchShape, batchSize: 2, seed: 1 })
    const started = performance.now()
    let labelled = 0
    for (let step = 0; step < 10; step++) {
      const batch = sampler.next()
      for (const v of valuesOf(batch.label)) expect([0, 1, 2]).toContain(v)
      for (const v of batch.label) labelled += Number(v > 0)
      let largest = 0
      for (const x of batch.image) largest = Math.max(largest, Math.abs(x))
      expect(largest).toBeLessThan(10) // normalised, finite
    }
    const msPerBatch = (performance.now() - started) / 10
    expect(labelled).toBeGreaterThan(0)
    expect(msPerBatch).toBeLessThan(500)
  })
})
