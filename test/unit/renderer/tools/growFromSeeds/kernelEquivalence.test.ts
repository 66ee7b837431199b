import { describe, expect, it } from 'vitest'
import { buildGrowRequest, growFromSeeds, type GrowRequest } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import type { Vec3 } from '../../../../../src/shared/volume'
import { grid, randomVolume, seededRandom, seedsOf, type Case } from './helpers'
import { referenceGrowFromSeeds } from './referenceKernel'

/**
 * The fast kernel must give the same label to every voxel as the plain Dijkstra on (key, label)
 * pairs in referenceKernel.ts, exact ties included (the smaller label wins them, whatever the queue
 * order). Volumes are big enough that many keys hold many voxels (the fast kernel settles a key's
 * voxels in groups) and that a step crosses the ring of buckets.
 */
const CASES: Case[] = [
  { seed: 11, dims: [40, 36, 30], spacing: [1, 1, 1], levels: 4, noise: 0, perClass: 3, classes: 3, locality: 0 },
  { seed: 12, dims: [48, 40, 24], spacing: [0.7, 0.7, 2.5], levels: 6, noise: 3, perClass: 4, classes: 4, locality: 0 },
  { seed: 13, dims: [33, 47, 20], spacing: [0.5, 1.25, 3], levels: 3, noise: 0.2, perClass: 2, classes: 3, locality: 5 },
  { seed: 14, dims: [64, 64, 12], spacing: [0.8, 0.8, 1], levels: 1, noise: 0, perClass: 5, classes: 2, locality: 0 },
  { seed: 15, dims: [30, 30, 30], spacing: [2, 1, 0.5], levels: 50, noise: 10, perClass: 6, classes: 5, locality: 30 },
  { seed: 16, dims: [1, 50, 40], spacing: [1, 1, 1], levels: 5, noise: 1, perClass: 2, classes: 2, locality: 0 },
  { seed: 17, dims: [70, 1, 1], spacing: [1, 1, 1], levels: 8, noise: 0, perClass: 2, classes: 3, locality: 0 }
]

function expectSameLabels(request: GrowRequest): Uint16Array {
  const expected = referenceGrowFromSeeds(request).labels
  const actual = growFromSeeds(request).labels
  let differing = 0
  let first = -1
  for (let index = 0; index < expected.length; index++) {
    if (actual[index] !== expected[index]) {
      if (first < 0) first = index
      differing++
    }
  }
  expect(differing, `first differing voxel ${first}: ${actual[first]} instead of ${expected[first]}`).toBe(0)
  expect(actual.length).toBe(expected.length)
  return actual
}

describe('grow from seeds: the fast kernel matches the reference voxel for voxel', () => {
  it.each(CASES)('random $dims volume, spacing $spacing, locality $locality (case $seed)', (c) => {
    const volume = randomVolume(c)
    const g = grid(c.dims, c.spacing)
    // A margin over the volume's size: the box is the whole volume, so every voxel is compared.
    const request = buildGrowRequest(volume.image, g, { indices: volume.indices, values: volume.values }, { marginMm: 1000, locality: c.locality })
    expect(request.dims).toEqual(c.dims)
    const labels = expectSameLabels(request)
    // Every class, background included, wins voxels beyond its own seeds: otherwise matching would
    // prove little.
    for (let value = 0; value < c.classes; value++) {
      expect(labels.filter((label) => label === value).length, `class ${value}`).toBeGreaterThan(c.perClass)
    }
  })

  it('matches on a box around the seeds (a crop of the volume) with a seed listed twice', () => {
    const c: Case = { seed: 21, dims: [50, 44, 26], spacing: [0.6, 0.6, 1.5], levels: 5, noise: 2, perClass: 3, classes: 3, locality: 0 }
    const volume = randomVolume(c)
    const g = grid(c.dims, c.spacing)
    // Seeds in the middle of the volume, so that the box (seeds + 4 mm) is a crop of it; the first
    // seed again with another value, last: the later value wins in both kernels.
    const random = seededRandom(22)
    const inner = Array.from(volume.values, () => {
      const [i, j, k] = [10 + Math.floor(random() * 25), 10 + Math.floor(random() * 20), 8 + Math.floor(random() * 8)]
      return i + 50 * (j + 44 * k)
    })
    const indices = Uint32Array.from([...inner, inner[0]])
    const values = Uint16Array.from([...volume.values, 2])
    const request = buildGrowRequest(volume.image, g, { indices, values }, { marginMm: 4, locality: 0 })
    expect(request.dims[0] * request.dims[1] * request.dims[2]).toBeLessThan(volume.image.length)
    expectSameLabels(request)
  })

  it('matches when steps are long (a huge intensity range: keys wrap around the ring of buckets)', () => {
    const c: Case = { seed: 31, dims: [24, 24, 24], spacing: [1, 1, 1], levels: 2, noise: 0, perClass: 3, classes: 3, locality: 0 }
    const volume = randomVolume(c)
    // A tiny quantum: most steps are capped at the largest key step, so keys go around the ring.
    const seeds = new Map<number, number>()
    volume.indices.forEach((index, n) => seeds.set(index, volume.values[n]))
    const request: GrowRequest = {
      box: { minIjk: [0, 0, 0], maxIjk: [23, 23, 23] },
      dims: c.dims,
      spacing: c.spacing,
      image: volume.image.map((value, index) => value * (1 + (index % 7))),
      seedIndices: Uint32Array.from(seeds.keys()),
      seedValues: Uint16Array.from(seeds.values()),
      quantum: 0.01,
      costPerMm: 0
    }
    expectSameLabels(request)
  })

  // Exact ties by construction: the flat image makes every key a pure length, and seeds placed
  // symmetrically leave whole planes of voxels equally far from two labels. The old kernel gave those
  // to whichever seed's wave was queued first (seeds in index order); the rule is now the smaller label.
  it.each([
    { name: 'two labels equidistant along i (label 2 first in index order)', dims: [9, 5, 4] as Vec3, seeds: [[[0, 2, 1], 2], [[8, 2, 1], 1]] as Array<[Vec3, number]> },
    { name: 'two labels equidistant along i (label 1 first in index order)', dims: [9, 5, 4] as Vec3, seeds: [[[0, 2, 1], 1], [[8, 2, 1], 2]] as Array<[Vec3, number]> },
    { name: 'opposite corners: the anti-diagonal planes tie', dims: [7, 7, 7] as Vec3, seeds: [[[0, 0, 0], 5], [[6, 6, 6], 3]] as Array<[Vec3, number]> },
    { name: 'background against a label', dims: [11, 3, 3] as Vec3, seeds: [[[0, 1, 1], 4], [[10, 1, 1], 0]] as Array<[Vec3, number]> },
    { name: 'four labels on a flat slab', dims: [12, 12, 2] as Vec3, seeds: [[[0, 0, 0], 4], [[11, 0, 1], 3], [[0, 11, 1], 2], [[11, 11, 0], 1]] as Array<[Vec3, number]> }
  ])('exact ties: $name', ({ dims, seeds }) => {
    const g = grid(dims)
    const image = new Float32Array(dims[0] * dims[1] * dims[2])
    const painted = seedsOf(g, seeds)
    const request = buildGrowRequest(image, g, painted, { marginMm: 1000, locality: 0 })
    const labels = expectSameLabels(request)
    // The painting order does not matter either.
    const reversed = buildGrowRequest(image, g, { indices: painted.indices.slice().reverse(), values: painted.values.slice().reverse() }, { marginMm: 1000, locality: 0 })
    expect(growFromSeeds(reversed).labels).toEqual(labels)
  })
})
