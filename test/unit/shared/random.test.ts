// Tests src/shared/random.ts, the seeded generator the data pipeline is built on.
import { describe, expect, it } from 'vitest'
import { createRandom, deriveSeed, restoreRandom } from '../../../src/shared/random'
import { meanStd } from '../engine/data/fixtures'

describe('seeded random', () => {
  it('repeats for a seed and differs between nearby seeds', () => {
    const take = (seed: number): number[] => {
      const random = createRandom(seed)
      return Array.from({ length: 5 }, () => random.next())
    }
    expect(take(1)).toEqual(take(1))
    expect(take(1)).not.toEqual(take(2))
  })

  it('continues identically from a JSON-saved state', () => {
    const random = createRandom(99)
    for (let n = 0; n < 17; n++) random.next()
    const saved = JSON.parse(JSON.stringify(random.getState()))
    const restored = restoreRandom(saved)
    expect(Array.from({ length: 10 }, () => restored.next())).toEqual(Array.from({ length: 10 }, () => random.next()))
    expect(() => restoreRandom({ algorithm: 'mulberry32', state: -1 })).toThrow(RangeError)
  })

  it.each([
    { name: 'int covers both ends', check: () => new Set(Array.from({ length: 200 }, (_, n) => createRandom(n).int(0, 2))) }
  ])('$name', ({ check }) => {
    expect(check()).toEqual(new Set([0, 1, 2]))
  })

  it('draws normals with the asked mean and std', () => {
    const random = createRandom(5)
    const stats = meanStd(Array.from({ length: 20_000 }, () => random.normal(3, 2)))
    expect(stats.mean).toBeCloseTo(3, 1)
    expect(stats.std).toBeCloseTo(2, 1)
  })

  it('derives distinct seeds per index path', () => {
    const seeds = new Set([deriveSeed(1, 0), deriveSeed(1, 1), deriveSeed(2, 0), deriveSeed(1, 0, 0), deriveSeed(1)])
    expect(seeds.size).toBe(5)
    expect(deriveSeed(1, 5)).toBe(deriveSeed(1, 5))
  })
})
