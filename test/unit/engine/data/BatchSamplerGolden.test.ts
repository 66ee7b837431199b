/**
 * The default training augmentation must not change under refactoring: the measured results of the
 * default path (docs/TRAINING.md) were obtained with exactly these batches. The digests below were
 * computed by this file on the sampler as it was before augmentation presets (commit a31c16d) and
 * are checked against every later version: same seed ⇒ same patches, same draws, same fingerprint
 * (so an interrupted run from before still resumes).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { augmentationConfigOf, BatchSampler, buildForegroundIndex, type BatchSamplerInput, type PreparedCase, type Shape3 } from '../../../../src/engine/data'
import { augmentationTransforms } from '../../../../src/shared/augmentation'
import { IDENTITY_TURN } from '../../../../src/engine/data/reorient'
import { sampleFrom } from './fixtures'

/** A smooth two-channel image with a labelled ellipsoid (class 1) and a slab (class 2). */
function smoothCase(id: string, shape: Shape3): PreparedCase {
  const labelAt = (d: number, h: number, w: number): number =>
    ((d - shape[0] / 2) / 4) ** 2 + ((h - shape[1] / 2) / 5) ** 2 + ((w - shape[2] / 2) / 3) ** 2 < 1 ? 1 : h < 2 ? 2 : 0
  const { image, label } = sampleFrom(shape, 2, (d, h, w, c) => Math.sin(0.3 * d + 0.2 * h) + 0.1 * w + c + 3 * labelAt(d, h, w), labelAt)
  return {
    id,
    image,
    label,
    shape,
    channels: 2,
    spacingMm: [1, 1, 1],
    foreground: buildForegroundIndex(label),
    padValues: [-1, 0],
    normalization: [
      { kind: 'zscore', clip: null, offset: 0, scale: 1 },
      { kind: 'zscore', clip: null, offset: 0, scale: 1 }
    ],
    original: { shape, spacingMm: [1, 1, 1], turn: IDENTITY_TURN, canonicalShape: shape }
  }
}

const CASES = [smoothCase('a', [14, 18, 16]), smoothCase('b', [10, 20, 22])]

/** What runTraining gave the sampler for `augment: true` before presets, per mirror axes. */
function todaysAugmentation(mirrors: (0 | 1 | 2)[]): BatchSamplerInput['augmentation'] {
  return { flip: { probability: mirrors.length ? 0.5 : 0, axes: mirrors } }
}

export function samplerDigest(input: Omit<BatchSamplerInput, 'patchShape'>, steps = 40): string {
  const sampler = new BatchSampler(CASES, { patchShape: [6, 8, 10], batchSize: 3, seed: 1234, ...input })
  const hash = createHash('sha256')
  hash.update(sampler.getState().fingerprint)
  for (let step = 0; step < steps; step++) {
    const batch = sampler.next()
    hash.update(new Uint8Array(batch.image.buffer, batch.image.byteOffset, batch.image.byteLength))
    hash.update(batch.label)
  }
  return hash.digest('hex').slice(0, 16)
}

const GOLDEN = [
  { mirrors: [] as (0 | 1 | 2)[], digest: 'f0b6a7e276cc1405' },
  { mirrors: [2] as (0 | 1 | 2)[], digest: '28d275d705a42606' },
  { mirrors: [0, 1, 2] as (0 | 1 | 2)[], digest: 'f2b7c3e959920e99' }
]

describe('default augmentation (before presets)', () => {
  it.each(GOLDEN)('draws the same batches for seed 1234 (mirror axes $mirrors)', ({ mirrors, digest }) => {
    expect(samplerDigest({ augmentation: todaysAugmentation(mirrors) })).toBe(digest)
  })
})

describe("the 'medium' preset", () => {
  it.each(GOLDEN)('is the augmentation before presets: the same batches and fingerprint for seed 1234 (mirror axes $mirrors)', ({ mirrors, digest }) => {
    const config = augmentationConfigOf(augmentationTransforms({ preset: 'medium', mirrorAxes: mirrors }))
    expect(samplerDigest({ augmentation: config })).toBe(digest)
  })

  it('keeps every patch\'s case and centre under light and heavy: their extra transforms draw from a stream of their own', () => {
    const where = (augmentation: BatchSamplerInput['augmentation']): unknown[] => {
      const sampler = new BatchSampler(CASES, { patchShape: [6, 8, 10], batchSize: 3, seed: 99, augmentation })
      return Array.from({ length: 10 }, () => sampler.next().samples.map((s) => [s.caseId, s.centre, s.foreground, s.augmentation?.affine ?? null]))
    }
    const medium = where(augmentationConfigOf(augmentationTransforms({ preset: 'medium' })))
    const withExtras = augmentationConfigOf([...augmentationTransforms({ preset: 'medium' }), ...augmentationTransforms({ preset: 'heavy' }).filter((t) => ['shift', 'resizedCrop', 'elastic', 'dropout'].includes(t.kind))])
    expect(where(withExtras)).toEqual(medium)
  })

  it('and the others draw other batches (the digest sees augmentation)', () => {
    for (const preset of ['light', 'heavy'] as const) expect(samplerDigest({ augmentation: augmentationConfigOf(augmentationTransforms({ preset })) })).not.toBe(GOLDEN[0]!.digest)
    expect(samplerDigest({ augmentation: null })).not.toBe(GOLDEN[0]!.digest)
  })
})
