import { describe, expect, it } from 'vitest'
import {
  addGaussianNoise,
  drawGamma,
  gamma,
  randomGamma,
  scaleIntensity,
  shiftIntensity
} from '../../../../../src/engine/data'
import { createRandom } from '../../../../../src/shared/random'
import { indexedSample, meanStd, sampleFrom } from '../fixtures'

const ramp = (): ReturnType<typeof sampleFrom> => sampleFrom([1, 1, 5], 1, (_d, _h, w) => [-2, -1, 0, 1, 2][w] as number, (_d, _h, w) => w % 2)

describe('intensity scale and shift', () => {
  it.each([
    { factor: 1, expected: [-2, -1, 0, 1, 2] },
    { factor: 0.75, expected: [-1.5, -0.75, 0, 0.75, 1.5] },
    { factor: 1.25, expected: [-2.5, -1.25, 0, 1.25, 2.5] }
  ])('scale ×$factor', ({ factor, expected }) => {
    const out = scaleIntensity(ramp(), factor)
    expect(Array.from(out.image)).toEqual(expected)
    expect(Array.from(out.label)).toEqual([0, 1, 0, 1, 0])
  })

  it.each([
    { offset: 0, expected: [-2, -1, 0, 1, 2] },
    { offset: 0.5, expected: [-1.5, -0.5, 0.5, 1.5, 2.5] },
    { offset: -0.25, expected: [-2.25, -1.25, -0.25, 0.75, 1.75] }
  ])('shift +$offset', ({ offset, expected }) => {
    expect(Array.from(shiftIntensity(ramp(), offset).image)).toEqual(expected)
  })

  it('does not write into its input', () => {
    const sample = ramp()
    const before = sample.image.slice()
    scaleIntensity(sample, 3)
    shiftIntensity(sample, 3)
    gamma(sample, 2)
    addGaussianNoise(sample, { std: 1, seed: 1 })
    expect(sample.image).toEqual(before)
  })
})

describe('gamma', () => {
  it('γ = 1 is the identity', () => {
    const sample = indexedSample([2, 3, 4], 2)
    expect(gamma(sample, 1)).toBe(sample)
  })

  it.each([
    // range [-2, 2]: x → -2 + 4·((x + 2)/4)^γ
    { g: 2, expected: [-2, -1.75, -1, 0.25, 2] },
    { g: 0.5, expected: [-2, 0, -2 + 4 * Math.SQRT1_2, -2 + 4 * Math.sqrt(0.75), 2] }
  ])('γ = $g on the range-normalised intensities, range restored', ({ g, expected }) => {
    const out = gamma(ramp(), g)
    expected.forEach((value, i) => expect(out.image[i]).toBeCloseTo(value, 5))
  })

  it('works per channel and leaves a flat channel alone', () => {
    const sample = sampleFrom([1, 1, 3], 2, (_d, _h, w, c) => (c === 0 ? 10 * w : 7))
    const out = gamma(sample, 2)
    expect(Array.from(out.image)).toEqual([0, 7, 5, 7, 20, 7])
  })

  it('draws γ below and above 1 about equally often', () => {
    const random = createRandom(4)
    let below = 0
    for (let n = 0; n < 1000; n++) {
      const g = drawGamma({ probability: 1, range: [0.7, 1.5] }, random)!
      expect(g).toBeGreaterThanOrEqual(0.7)
      expect(g).toBeLessThanOrEqual(1.5)
      if (g < 1) below++
    }
    expect(below / 1000).toBeCloseTo(0.5, 1)
    expect(randomGamma(ramp(), { probability: 0, range: [0.7, 1.5] }, random).image).toEqual(ramp().image)
  })
})

describe('Gaussian noise', () => {
  it.each([0.01, 0.1, 1])('adds noise with standard deviation %f', (std) => {
    const sample = sampleFrom([20, 50, 100], 1, () => 3)
    const out = addGaussianNoise(sample, { std, seed: 9 })
    const noise = out.image.map((x) => x - 3)
    const stats = meanStd(noise)
    expect(Math.abs(stats.mean)).toBeLessThan(0.02 * std)
    expect(stats.std / std).toBeCloseTo(1, 1)
    expect(Math.abs(stats.std / std - 1)).toBeLessThan(0.01)
    expect(out.label).toBe(sample.label)
  })

  it('is the same for the same seed and differs for another', () => {
    const sample = sampleFrom([4, 4, 4], 2, () => 0)
    expect(addGaussianNoise(sample, { std: 1, seed: 1 }).image).toEqual(addGaussianNoise(sample, { std: 1, seed: 1 }).image)
    expect(addGaussianNoise(sample, { std: 1, seed: 1 }).image).not.toEqual(addGaussianNoise(sample, { std: 1, seed: 2 }).image)
  })
})
