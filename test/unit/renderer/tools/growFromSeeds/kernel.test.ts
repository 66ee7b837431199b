import { describe, expect, it } from 'vitest'
import {
  boxDims,
  buildGrowRequest,
  growFromSeeds,
  KEY_PER_QUANTUM,
  MAX_STEP_QUANTA,
  seedBox,
  type GrowOptions,
  type GrowRequest,
  type GrowResult
} from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import type { Vec3 } from '../../../../../src/shared/volume'
import { grid, imageWhere, seededRandom, seedsOf } from './helpers'

const TIGHT: GrowOptions = { marginMm: 100, locality: 0 }

/** The grown label of voxel (i, j, k) of the full grid, or null outside the result's box. */
function labelAt(result: GrowResult, i: number, j: number, k: number): number | null {
  const { minIjk, maxIjk } = result.box
  if (i < minIjk[0] || j < minIjk[1] || k < minIjk[2] || i > maxIjk[0] || j > maxIjk[1] || k > maxIjk[2]) return null
  const [bx, by] = result.dims
  return result.labels[i - minIjk[0] + bx * (j - minIjk[1] + by * (k - minIjk[2]))]
}

describe('grow from seeds: competition at image edges', () => {
  // A two-intensity image split by a plane normal to `axis` at `edge`; one seed on each side, placed
  // unevenly (one near the edge, one far from it) so that a purely geometric split would be wrong.
  it.each([
    { axis: 0, dims: [20, 6, 5] as Vec3, edge: 7, spacing: [1, 1, 1] as Vec3, low: 0, high: 100 },
    { axis: 1, dims: [6, 20, 5] as Vec3, edge: 12, spacing: [0.7, 0.7, 3] as Vec3, low: -1000, high: 40 },
    { axis: 2, dims: [6, 5, 20] as Vec3, edge: 4, spacing: [0.8, 0.8, 5] as Vec3, low: 2, high: 3 },
    { axis: 0, dims: [20, 6, 5] as Vec3, edge: 15, spacing: [2, 1, 1] as Vec3, low: 500, high: -500 }
  ])('splits exactly at the edge along axis $axis at $edge (spacing $spacing)', ({ axis, dims, edge, spacing, low, high }) => {
    const g = grid(dims, spacing)
    const image = imageWhere(g, (...ijk) => (ijk[axis] < edge ? low : high))
    const near: Vec3 = [2, 2, 2]
    near[axis] = edge - 1
    const far: Vec3 = [3, 3, 3]
    far[axis] = dims[axis] - 1
    const result = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, [[near, 1], [far, 2]]), TIGHT))
    for (let k = 0; k < dims[2]; k++) {
      for (let j = 0; j < dims[1]; j++) {
        for (let i = 0; i < dims[0]; i++) expect(labelAt(result, i, j, k)).toBe([i, j, k][axis] < edge ? 1 : 2)
      }
    }
  })

  it('a background seed stops a label at the edge: its side ends as 0, not as the label', () => {
    const g = grid([16, 8, 4])
    // A bright disc-like block (i < 6) in darker tissue; label 3 seeded inside, background outside.
    const image = imageWhere(g, (i) => (i < 6 ? 300 : 60))
    const seeds = seedsOf(g, [
      [[1, 4, 1], 3],
      [[12, 4, 2], 0]
    ])
    const result = growFromSeeds(buildGrowRequest(image, g, seeds, TIGHT))
    let labelled = 0
    for (let k = 0; k < 4; k++)
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 16; i++) {
          const value = labelAt(result, i, j, k)
          expect(value).toBe(i < 6 ? 3 : 0)
          if (value === 3) labelled++
        }
    expect(labelled).toBe(6 * 8 * 4)
  })

  it('a label seeded alone on a plateau fills it; a background seed beyond a weak edge still wins its side', () => {
    const g = grid([12, 3, 1])
    // Edge of only 5 units: still the cheapest border, so it holds.
    const image = imageWhere(g, (i) => (i < 4 ? 10 : 15))
    const result = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, [[[0, 1, 0], 2], [[11, 1, 0], 0]]), TIGHT))
    expect(Array.from({ length: 12 }, (_, i) => labelAt(result, i, 1, 0))).toEqual([2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('on a flat image the nearest seed wins (geodesic mm, anisotropic spacing respected)', () => {
    // 2 mm along i, 1 mm along j: voxel (1, 4) is 2 mm from seed A at (0, 4) and 2 + 4 = 6 mm from
    // seed B at (2, 0); (2, 1) is 4 + 3 = 7 mm from A and 1 mm from B.
    const g = grid([5, 5, 1], [2, 1, 1])
    const image = new Float32Array(25)
    const result = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, [[[0, 4, 0], 1], [[2, 0, 0], 2]]), TIGHT))
    expect(labelAt(result, 1, 4, 0)).toBe(1)
    expect(labelAt(result, 2, 1, 0)).toBe(2)
    expect(labelAt(result, 0, 2, 0)).toBe(1) // 2 mm from A, 4 + 2 = 6 mm from B
    expect(labelAt(result, 4, 0, 0)).toBe(2)
  })
})

describe('grow from seeds: the box', () => {
  it.each([
    { name: 'isotropic', spacing: [1, 1, 1] as Vec3, margin: 2, min: [3, 4, 1], max: [10, 8, 6] },
    { name: 'anisotropic: 2 mm = 4 in-plane voxels, 1 slice', spacing: [0.5, 0.5, 2] as Vec3, margin: 2, min: [1, 2, 2], max: [12, 10, 5] },
    { name: 'clipped at the grid', spacing: [1, 1, 1] as Vec3, margin: 50, min: [0, 0, 0], max: [15, 11, 7] },
    { name: 'no margin', spacing: [1, 1, 1] as Vec3, margin: 0, min: [5, 6, 3], max: [8, 6, 4] }
  ])('$name', ({ spacing, margin, min, max }) => {
    const g = grid([16, 12, 8], spacing)
    const seeds = seedsOf(g, [
      [[5, 6, 4], 1],
      [[8, 6, 3], 0]
    ])
    expect(seedBox(g, seeds.indices, margin)).toEqual({ minIjk: min, maxIjk: max })
  })

  it('only the box is in the result, and voxels outside it are not labelled', () => {
    const g = grid([30, 10, 10])
    const image = imageWhere(g, (i) => (i < 15 ? 0 : 100))
    const request = buildGrowRequest(image, g, seedsOf(g, [[[10, 5, 5], 1], [[20, 5, 5], 2]]), { marginMm: 3, locality: 0 })
    expect(request.box).toEqual({ minIjk: [7, 2, 2], maxIjk: [23, 8, 8] })
    const result = growFromSeeds(request)
    expect(result.labels.length).toBe(17 * 7 * 7)
    expect(labelAt(result, 6, 5, 5)).toBeNull()
    expect(labelAt(result, 7, 5, 5)).toBe(1)
    expect(labelAt(result, 23, 8, 8)).toBe(2)
  })

  it('refuses no seeds, seeds outside the grid, a bad margin and a box over the voxel cap', () => {
    const g = grid([4, 4, 4])
    const image = new Float32Array(64)
    expect(() => buildGrowRequest(image, g, { indices: new Uint32Array(0), values: new Uint16Array(0) })).toThrow(/at least one seed/)
    expect(() => buildGrowRequest(image, g, { indices: Uint32Array.of(64), values: Uint16Array.of(1) })).toThrow(/seed index 64 is outside/)
    expect(() => seedBox(g, [0], -1)).toThrow(/margin/)
    expect(() => buildGrowRequest(new Float32Array(10), g, seedsOf(g, [[[0, 0, 0], 1]]))).toThrow(/image channel has 10 voxels/)
    // Seeds in opposite corners of a 1024×1024×65 grid: a box over the 64 Mi voxel cap.
    const huge = grid([1024, 1024, 65])
    const corners = { indices: Uint32Array.of(0, 1024 * 1024 * 65 - 1), values: Uint16Array.of(1, 0) }
    expect(boxDims(seedBox(huge, corners.indices, 0))).toEqual([1024, 1024, 65])
    expect(() => buildGrowRequest(new Uint8Array(1024 * 1024 * 65), huge, corners)).toThrow(/more than grow from seeds handles/)
  })
})

describe('grow from seeds: determinism', () => {
  it('gives the same labels for the same seeds in any order, run after run', () => {
    const g = grid([14, 12, 6], [0.8, 0.8, 2.5])
    const random = seededRandom(7)
    // Noisy image with repeated values: many exact ties in cost.
    const image = imageWhere(g, () => Math.floor(random() * 4) * 10)
    const list: Array<[Vec3, number]> = [
      [[1, 1, 1], 1],
      [[12, 10, 4], 2],
      [[6, 6, 3], 0],
      [[2, 10, 5], 1],
      [[11, 2, 0], 2]
    ]
    const first = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, list), TIGHT)).labels
    const again = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, list), TIGHT)).labels
    const reversed = growFromSeeds(buildGrowRequest(image, g, seedsOf(g, [...list].reverse()), TIGHT)).labels
    expect(again).toEqual(first)
    expect(reversed).toEqual(first)
    // Every class claimed something beyond its seeds: the test would not notice a no-op otherwise.
    for (const value of [0, 1, 2]) expect(first.filter((v) => v === value).length).toBeGreaterThan(5)
  })

  // The tie rule: among seeds equally cheap to reach, the smaller label value wins (background 0
  // first), whichever was painted first or lies first in index order. Before, the seed whose wave was
  // queued first (the one with the lower voxel index) took the tied voxels.
  it.each([
    { first: 2, second: 1, middle: 1 },
    { first: 1, second: 2, middle: 1 },
    { first: 3, second: 0, middle: 0 },
    { first: 0, second: 3, middle: 0 }
  ])('on a flat image a voxel equidistant from labels $first and $second gets $middle, in either painting order', ({ first, second, middle }) => {
    const g = grid([9, 1, 1])
    const list: Array<[Vec3, number]> = [
      [[0, 0, 0], first],
      [[8, 0, 0], second]
    ]
    const expected = [first, first, first, first, middle, second, second, second, second]
    for (const order of [list, [...list].reverse()]) {
      const result = growFromSeeds(buildGrowRequest(new Float32Array(9), g, seedsOf(g, order), TIGHT))
      expect(Array.from(result.labels)).toEqual(expected)
    }
  })

  it('on a flat 3D box the tied anti-diagonal plane between opposite corners goes to the smaller label', () => {
    const g = grid([5, 5, 5])
    const result = growFromSeeds(buildGrowRequest(new Float32Array(125), g, seedsOf(g, [[[0, 0, 0], 7], [[4, 4, 4], 6]]), TIGHT))
    for (let k = 0; k < 5; k++)
      for (let j = 0; j < 5; j++)
        for (let i = 0; i < 5; i++) expect(labelAt(result, i, j, k), `(${i}, ${j}, ${k})`).toBe(i + j + k < 6 ? 7 : 6)
  })

  it('a voxel seeded twice keeps the later value', () => {
    // Six voxels, so that none is equidistant from the two seeds (the tie rule stays out of it).
    const g = grid([6, 1, 1])
    const request = buildGrowRequest(new Float32Array(6), g, seedsOf(g, [[[0, 0, 0], 1], [[5, 0, 0], 2], [[0, 0, 0], 3]]), TIGHT)
    expect(Array.from(growFromSeeds(request).labels)).toEqual([3, 3, 3, 2, 2, 2])
  })
})

/**
 * Brute force: for each seed value separately, Bellman-Ford relaxation over all 6-neighbour steps
 * until nothing changes, with a step's key written out from the definition (intensity quanta × 64 +
 * length units + locality); a voxel's winners are the values with the smallest key, and the tie rule
 * gives it the smallest of them. A different algorithm from the kernel's bucket queue, same definition.
 */
function oracle(request: GrowRequest): Array<Set<number>> {
  const { image, dims, spacing, quantum, costPerMm } = request
  const seeds = Array.from(request.seedIndices, (index, n) => [index, request.seedValues[n]] as [number, number])
  const [nx, ny, nz] = dims
  const n = nx * ny * nz
  const smallest = Math.min(...spacing)
  const stepKey = (difference: number, mm: number): number =>
    Math.min(MAX_STEP_QUANTA, Math.round(Math.abs(difference) / quantum)) * KEY_PER_QUANTUM +
    Math.max(1, Math.round((4 * mm) / smallest)) +
    Math.round(((costPerMm * mm) / quantum) * KEY_PER_QUANTUM)
  const values = [...new Set(seeds.map(([, v]) => v))]
  const best: Array<{ key: number; winners: Set<number> }> = Array.from({ length: n }, () => ({ key: Infinity, winners: new Set() }))
  for (const value of values) {
    const key = new Float64Array(n).fill(Infinity)
    for (const [index, v] of seeds) if (v === value) key[index] = 0
    for (let changed = true; changed; ) {
      changed = false
      for (let index = 0; index < n; index++) {
        if (key[index] === Infinity) continue
        const i = index % nx
        const j = Math.floor(index / nx) % ny
        const k = Math.floor(index / (nx * ny))
        const steps: Array<[number, number]> = []
        if (i > 0) steps.push([index - 1, spacing[0]])
        if (i < nx - 1) steps.push([index + 1, spacing[0]])
        if (j > 0) steps.push([index - nx, spacing[1]])
        if (j < ny - 1) steps.push([index + nx, spacing[1]])
        if (k > 0) steps.push([index - nx * ny, spacing[2]])
        if (k < nz - 1) steps.push([index + nx * ny, spacing[2]])
        for (const [next, mm] of steps) {
          const candidate = key[index] + stepKey(image[next] - image[index], mm)
          if (candidate < key[next]) {
            key[next] = candidate
            changed = true
          }
        }
      }
    }
    for (let index = 0; index < n; index++) {
      const b = best[index]
      if (key[index] < b.key) {
        b.key = key[index]
        b.winners = new Set([value])
      } else if (key[index] === b.key) b.winners.add(value)
    }
  }
  // A seed voxel keeps its own value, whatever a path would say.
  const out = best.map((b) => b.winners)
  for (const [index, v] of seeds) out[index] = new Set([v])
  return out
}

describe('grow from seeds: brute-force oracle', () => {
  it.each([
    { seed: 1, dims: [5, 4, 3] as Vec3, spacing: [1, 1, 1] as Vec3, levels: 5, classes: 2, quantum: 1, costPerMm: 0 },
    { seed: 2, dims: [6, 5, 2] as Vec3, spacing: [1, 1.25, 1.5] as Vec3, levels: 8, classes: 3, quantum: 0.5, costPerMm: 0 },
    { seed: 3, dims: [4, 4, 4] as Vec3, spacing: [0.5, 0.5, 2] as Vec3, levels: 3, classes: 3, quantum: 2, costPerMm: 2 },
    { seed: 4, dims: [7, 3, 3] as Vec3, spacing: [1, 1, 1] as Vec3, levels: 30, classes: 4, quantum: 3, costPerMm: 0.5 },
    { seed: 5, dims: [5, 5, 3] as Vec3, spacing: [1, 2, 0.5] as Vec3, levels: 2, classes: 2, quantum: 7 / 1024, costPerMm: 0 },
    { seed: 6, dims: [9, 8, 1] as Vec3, spacing: [0.7, 0.7, 3] as Vec3, levels: 1, classes: 3, quantum: 1, costPerMm: 0 }
  ])('matches Bellman-Ford on a random $dims volume (case $seed)', ({ seed, dims, spacing, levels, classes, quantum, costPerMm }) => {
    const random = seededRandom(seed)
    const n = dims[0] * dims[1] * dims[2]
    const image = Float32Array.from({ length: n }, () => Math.floor(random() * levels) * 7 + random() * 2)
    const seeds: Array<[number, number]> = []
    const used = new Set<number>()
    for (let c = 0; c < classes; c++) {
      for (let s = 0; s < 2; s++) {
        let index = Math.floor(random() * n)
        while (used.has(index)) index = (index + 1) % n
        used.add(index)
        seeds.push([index, c === 0 ? 0 : c])
      }
    }
    const request: GrowRequest = {
      box: { minIjk: [0, 0, 0], maxIjk: [dims[0] - 1, dims[1] - 1, dims[2] - 1] },
      dims,
      spacing,
      image,
      seedIndices: Uint32Array.from(seeds.map(([i]) => i)),
      seedValues: Uint16Array.from(seeds.map(([, v]) => v)),
      quantum,
      costPerMm
    }
    const result = growFromSeeds(request)
    const expected = oracle(request)
    let unique = 0
    for (let index = 0; index < n; index++) {
      expect(result.labels[index], `voxel ${index}: the cheapest values are ${[...expected[index]]}`).toBe(Math.min(...expected[index]))
      if (expected[index].size === 1) unique++
    }
    // Most voxels have a single cheapest value, so the comparison has teeth beyond the tie rule.
    expect(unique).toBeGreaterThan(n * 0.7)
  })
})

describe('grow from seeds: locality', () => {
  // Flat 0 for i ≤ 2, a jump to 50, flat 50 beyond: without locality the far seed takes the whole
  // bright side; a cost per mm (locality % of the spread, 50) lets the near seed cross the edge.
  it.each([
    { locality: 0, nearCount: 3 },
    { locality: 10, nearCount: 6 }, // 50 + 5x < 5(20 − x) for x < 5; at x = 5 a tie, the nearer seed (5 mm vs 15 mm) wins
    { locality: 100, nearCount: 10 } // 50 + 50x < 50(20 − x) for x < 9.5
  ])('locality $locality: the near seed wins $nearCount voxels', ({ locality, nearCount }) => {
    const g = grid([21, 1, 1])
    const image = imageWhere(g, (i) => (i <= 2 ? 0 : 50))
    const seeds = seedsOf(g, [[[0, 0, 0], 1], [[20, 0, 0], 2]])
    const result = growFromSeeds(buildGrowRequest(image, g, seeds, { marginMm: 0, locality }))
    expect(Array.from(result.labels)).toEqual(Array.from({ length: 21 }, (_, i) => (i < nearCount ? 1 : 2)))
  })

  it('refuses a locality outside 0..100', () => {
    const g = grid([3, 1, 1])
    expect(() => buildGrowRequest(new Float32Array(3), g, seedsOf(g, [[[0, 0, 0], 1]]), { marginMm: 0, locality: 101 })).toThrow(/locality/)
  })
})
