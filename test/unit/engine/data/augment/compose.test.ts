import { describe, expect, it } from 'vitest'
import {
  applyAugmentation,
  augmentationRegionShape,
  composeAugmentations,
  DEFAULT_AUGMENTATION,
  drawAugmentation,
  NO_AUGMENTATION,
  resolveAugmentationConfig,
  type AugmentationConfigInput,
  type Shape3
} from '../../../../../src/engine/data'
import { createRandom } from '../../../../../src/shared/random'
import { ballSample, indexedSample, sampleFrom, valuesOf } from '../fixtures'

const EVERYTHING: AugmentationConfigInput = {
  rot90: { probability: 1 },
  rotate: { probability: 1, maxDegrees: { inPlane: 15, outOfPlane: 10 } },
  zoom: { probability: 1 },
  flip: { probability: 1 },
  noise: { probability: 1 },
  intensityScale: { probability: 1 },
  intensityShift: { probability: 1 },
  gamma: { probability: 1 }
}

/** A labelled cube (class 2) whose image is 5 inside and 1 outside, plus a class-1 slab. */
function cubeSample(shape: Shape3): ReturnType<typeof sampleFrom> {
  const inCube = (d: number, h: number, w: number): boolean => d >= 3 && d < 9 && h >= 2 && h < 8 && w >= 4 && w < 11
  return sampleFrom(
    shape,
    1,
    (d, h, w) => (inCube(d, h, w) ? 5 : 1),
    (d, h, w) => (inCube(d, h, w) ? 2 : d === 0 ? 1 : 0)
  )
}

describe('composeAugmentations', () => {
  it('is the identity with every transform off', () => {
    const sample = indexedSample([4, 5, 6], 2)
    expect(composeAugmentations(NO_AUGMENTATION)(sample, createRandom(1))).toEqual(sample)
  })

  it('gives the same result for the same seed and another for another seed', () => {
    const augment = composeAugmentations(EVERYTHING)
    const sample = ballSample([12, 14, 14], 4)
    const a = augment(sample, createRandom(42))
    expect(augment(sample, createRandom(42))).toEqual(a)
    expect(augment(sample, createRandom(43)).image).not.toEqual(a.image)
  })

  it.each([1, 2, 3, 4, 5])('keeps label values from the original set with everything on (seed %i)', (seed) => {
    const sample = cubeSample([12, 10, 14])
    const out = composeAugmentations(EVERYTHING)(sample, createRandom(seed))
    for (const v of valuesOf(out.label)) expect([0, 1, 2]).toContain(v)
    expect(out.label.every((v) => Number.isInteger(v))).toBe(true)
  })

  it.each([1, 2, 3, 4, 5, 6])('keeps image and label aligned under exact transforms + intensity changes (seed %i)', (seed) => {
    // rot90 and flips permute voxels; scale, shift and gamma are monotone per voxel: the cube's voxels
    // must all carry one image value, different from everything outside.
    const config: AugmentationConfigInput = { ...EVERYTHING, rotate: { probability: 0 }, zoom: { probability: 0 }, noise: { probability: 0 } }
    const sample = cubeSample([12, 10, 10])
    const out = composeAugmentations(config)(sample, createRandom(seed))
    const inside = new Set<number>()
    const outside = new Set<number>()
    out.label.forEach((label, v) => (label === 2 ? inside : outside).add(out.image[v] as number))
    expect(inside.size).toBe(1)
    expect(outside.has([...inside][0]!)).toBe(false)
    expect(out.label.filter((v) => v === 2).length).toBe(sample.label.filter((v) => v === 2).length)
  })

  it('crops to an output shape after turning, from a region made for it', () => {
    const config = resolveAugmentationConfig(EVERYTHING)
    const patch: Shape3 = [8, 12, 16]
    const region = augmentationRegionShape(config, patch)
    expect(region[1]).toBe(region[2]) // square in plane: rot90 may swap H and W
    region.forEach((n, axis) => expect(n).toBeGreaterThanOrEqual(patch[axis]!))
    const ones = sampleFrom(region, 1, () => 1, () => 1)
    for (let seed = 0; seed < 5; seed++) {
      const draw = drawAugmentation({ ...config, noise: NO_AUGMENTATION.noise, intensityShift: NO_AUGMENTATION.intensityShift }, createRandom(seed))
      const out = applyAugmentation(ones, draw, { outputShape: patch, padValues: [-1000] })
      expect(out.shape).toEqual(patch)
      expect(Math.min(...out.image)).toBeGreaterThan(0) // never read padding
    }
  })
})

describe('drawAugmentation', () => {
  it('is plain JSON that replays to the same result', () => {
    const config = resolveAugmentationConfig(EVERYTHING)
    const sample = ballSample([10, 10, 10], 3)
    const draw = drawAugmentation(config, createRandom(8))
    const replayed = JSON.parse(JSON.stringify(draw)) as typeof draw
    expect(applyAugmentation(sample, replayed)).toEqual(applyAugmentation(sample, draw))
  })

  it('consumes the same random numbers whatever the probabilities, so one switch does not reshuffle the rest', () => {
    const a = drawAugmentation(resolveAugmentationConfig({ ...EVERYTHING, gamma: { probability: 0 }, rot90: { probability: 0 } }), createRandom(3))
    const b = drawAugmentation(resolveAugmentationConfig(EVERYTHING), createRandom(3))
    expect(a.flip).toEqual(b.flip)
    expect(a.affine).toEqual(b.affine)
    expect(a.noise).toEqual(b.noise)
    expect(a.intensityScale).toBe(b.intensityScale)
    expect(a.gamma).toBeNull()
    expect(a.rot90).toBe(0)
  })

  it('fires each transform about as often as its probability', () => {
    const config = resolveAugmentationConfig({})
    const random = createRandom(5)
    let gammaHits = 0
    let noiseHits = 0
    for (let n = 0; n < 3000; n++) {
      const draw = drawAugmentation(config, random)
      gammaHits += Number(draw.gamma !== null)
      noiseHits += Number(draw.noise !== null)
    }
    expect(gammaHits / 3000).toBeCloseTo(DEFAULT_AUGMENTATION.gamma.probability, 1)
    expect(noiseHits / 3000).toBeCloseTo(DEFAULT_AUGMENTATION.noise.probability, 1)
  })

  it.each([
    { name: 'probability above 1', input: { flip: { probability: 1.5 } } },
    { name: 'inverted range', input: { zoom: { range: [1.2, 0.8] as [number, number] } } },
    { name: 'non-positive gamma', input: { gamma: { range: [0, 1] as [number, number] } } },
    { name: 'shift beyond half the patch', input: { shift: { fraction: 0.6 } } },
    { name: 'crop area above 1', input: { resizedCrop: { area: [0.5, 1.2] as [number, number] } } },
    { name: 'elastic grid of 1 voxel', input: { elastic: { sigmaVoxels: 1 } } },
    { name: 'dropout of no box', input: { dropout: { boxes: [0, 2] as [number, number] } } }
  ])('rejects a bad config: $name', ({ input }) => {
    expect(() => resolveAugmentationConfig(input)).toThrow(RangeError)
  })
})

const EXTRAS: AugmentationConfigInput = {
  transpose: { probability: 0.5 },
  shift: { probability: 1, fraction: 0.1 },
  resizedCrop: { probability: 1, area: [0.5, 1], aspect: [0.75, 1.33] },
  elastic: { probability: 1, alphaVoxels: [1, 2], sigmaVoxels: 5 },
  dropout: { probability: 1, boxes: [1, 3], size: [0.1, 0.3], fill: 'mean' }
}

describe('the extra transforms in the pipeline', () => {
  it('leave the other draws as they were: drawn after them, and only when one is on', () => {
    const without = resolveAugmentationConfig(EVERYTHING)
    const withExtras = resolveAugmentationConfig({ ...EVERYTHING, ...EXTRAS })
    for (let seed = 0; seed < 10; seed++) {
      const a = drawAugmentation(without, createRandom(seed))
      const b = drawAugmentation(withExtras, createRandom(seed))
      const c = drawAugmentation(withExtras, createRandom(seed), createRandom(seed + 100))
      for (const draw of [b, c]) {
        expect({ ...draw, transpose: false, shift: null, resizedCrop: null, elastic: null, dropout: null }).toEqual(a)
        expect(draw.shift).not.toBeNull()
        expect(draw.elastic).not.toBeNull()
      }
      // Off, they draw nothing: the next draw from the same stream is where it was.
      const random = createRandom(seed)
      drawAugmentation(without, random)
      const next = random.next()
      const again = createRandom(seed)
      drawAugmentation(resolveAugmentationConfig({ ...EVERYTHING, ...EXTRAS, ...Object.fromEntries(Object.keys(EXTRAS).map((k) => [k, { probability: 0 }])) }), again)
      expect(again.next()).toBe(next)
    }
  })

  it.each([
    { name: '3D', region: [14, 30, 30] as Shape3, patch: [8, 12, 16] as Shape3 },
    { name: '2D (one slice)', region: [1, 40, 40] as Shape3, patch: [1, 24, 24] as Shape3 }
  ])('keep shape, label set and determinism with everything on ($name)', ({ region, patch }) => {
    const augment = composeAugmentations({ ...EVERYTHING, ...EXTRAS, rotate: { probability: 1, maxDegrees: { inPlane: 15, outOfPlane: patch[0] === 1 ? 0 : 10 } } })
    const sample = cubeSample(region)
    for (let seed = 0; seed < 6; seed++) {
      const out = augment(sample, createRandom(seed), { outputShape: patch, padValues: [1] })
      expect(out.shape).toEqual(patch)
      for (const v of valuesOf(out.label)) expect([0, 1, 2]).toContain(v)
      expect(augment(sample, createRandom(seed), { outputShape: patch, padValues: [1] })).toEqual(out)
    }
  })

  it('shift along a one-voxel axis is none: a 2D patch keeps its slice', () => {
    const slice = sampleFrom([1, 20, 20], 1, (_d, h, w) => 1 + h * 20 + w, () => 0)
    const draw = { ...drawAugmentation(NO_AUGMENTATION, createRandom(1)), shift: [0.4, 0, 0] as [number, number, number] }
    expect(applyAugmentation(slice, draw).image).toEqual(slice.image)
  })

  it('make the sampler region large enough for the largest shift (never reads padding)', () => {
    const config = resolveAugmentationConfig({ ...NO_AUGMENTATION, shift: { probability: 1, fraction: 0.25 } })
    const patch: Shape3 = [8, 12, 16]
    const region = augmentationRegionShape(config, patch)
    const ones = sampleFrom(region, 1, () => 1, () => 1)
    for (let seed = 0; seed < 20; seed++) {
      const draw = drawAugmentation(config, createRandom(seed))
      const out = applyAugmentation(ones, draw, { outputShape: patch, padValues: [-1000] })
      expect(Math.min(...out.image)).toBeGreaterThan(0)
    }
    // The draws do reach the edge: with the patch itself as the region they would pad.
    const padded = [0, 1, 2, 3, 4].some((seed) => Math.min(...applyAugmentation(sampleFrom(patch, 1, () => 1, () => 1), drawAugmentation(config, createRandom(seed)), { outputShape: patch, padValues: [-1000] }).image) < 0)
    expect(padded).toBe(true)
  })

  it('square the region when a transpose may swap H and W', () => {
    const region = augmentationRegionShape(resolveAugmentationConfig({ ...NO_AUGMENTATION, transpose: { probability: 0.5 } }), [4, 8, 12])
    expect(region).toEqual([4, 12, 12])
  })
})
