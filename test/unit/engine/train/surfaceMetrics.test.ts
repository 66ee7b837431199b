/**
 * HD95, normalised surface Dice and the volume ratio against a brute-force oracle (every pair of
 * surface voxels) on small random shapes, and against cases whose answer is known exactly:
 * a ball and its copy shifted by k voxels (every surface voxel moves by exactly k·spacing, so no
 * distance exceeds it and the poles reach it), on anisotropic grids.
 */
import { describe, expect, it } from 'vitest'
import { percentileOf, squaredDistanceTransform3d, surfaceMetrics, surfaceOf } from '../../../../src/engine/train/surfaceMetrics'
import { createRandom, type Random } from '../../../../src/shared/random'
import type { Vec3 } from '../../../../src/shared/volume'

type Point = [number, number, number]

/** Voxel coordinates of the surface of `label`: in the label, with a face neighbour that is not (or off the grid). */
function oracleSurface(labels: Uint8Array, dims: Vec3, label: number): Point[] {
  const [nx, ny, nz] = dims
  const at = (i: number, j: number, k: number): boolean => i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && labels[i + nx * (j + ny * k)] === label
  const points: Point[] = []
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (!at(i, j, k)) continue
        const neighbours: Point[] = [[i - 1, j, k], [i + 1, j, k], [i, j - 1, k], [i, j + 1, k], [i, j, k - 1], [i, j, k + 1]]
        if (neighbours.some(([a, b, c]) => !at(a, b, c))) points.push([i, j, k])
      }
    }
  }
  return points
}

/** Distance in mm from each point of `from` to the nearest of `to`, by trying them all. */
function oracleDistances(from: Point[], to: Point[], spacing: Vec3): number[] {
  return from.map((p) => Math.min(...to.map((q) => Math.hypot((p[0] - q[0]) * spacing[0], (p[1] - q[1]) * spacing[1], (p[2] - q[2]) * spacing[2]))))
}

/** numpy.percentile(values, p) with its default linear interpolation, written out. */
function oraclePercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const below = Math.floor(rank)
  const above = Math.ceil(rank)
  return (sorted[below] as number) * (1 - (rank - below)) + (sorted[above] as number) * (rank - below)
}

function oracle(predicted: Uint8Array, reference: Uint8Array, dims: Vec3, spacing: Vec3, label: number, tolerance: number): { hd95: number; nsd: number; ratio: number | null } {
  const nPredicted = predicted.filter((v) => v === label).length
  const nReference = reference.filter((v) => v === label).length
  const ratio = nReference === 0 ? null : nPredicted / nReference
  const diagonal = Math.sqrt((dims[0] * spacing[0]) ** 2 + (dims[1] * spacing[1]) ** 2 + (dims[2] * spacing[2]) ** 2)
  if (nPredicted === 0 && nReference === 0) return { hd95: 0, nsd: 1, ratio }
  if (nPredicted === 0 || nReference === 0) return { hd95: diagonal, nsd: 0, ratio }
  const sp = oracleSurface(predicted, dims, label)
  const sr = oracleSurface(reference, dims, label)
  const forward = oracleDistances(sp, sr, spacing)
  const backward = oracleDistances(sr, sp, spacing)
  const within = [...forward, ...backward].filter((d) => d <= tolerance + 1e-9).length
  return { hd95: Math.max(oraclePercentile(forward, 95), oraclePercentile(backward, 95)), nsd: within / (forward.length + backward.length), ratio }
}

/** Labels 0–2 in blobs: a few random boxes and balls painted over each other, some touching the edge. */
function randomShapes(random: Random, dims: Vec3): Uint8Array {
  const [nx, ny, nz] = dims
  const labels = new Uint8Array(nx * ny * nz)
  const shapes = random.int(0, 4)
  for (let s = 0; s < shapes; s++) {
    const label = random.int(1, 2)
    const centre = [random.uniform(-1, nx), random.uniform(-1, ny), random.uniform(-1, nz)]
    const radius = [random.uniform(0.5, nx / 2 + 1), random.uniform(0.5, ny / 2 + 1), random.uniform(0.5, nz / 2 + 1)]
    const ball = random.chance(0.5)
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const d = [(i - (centre[0] as number)) / (radius[0] as number), (j - (centre[1] as number)) / (radius[1] as number), (k - (centre[2] as number)) / (radius[2] as number)]
          const inside = ball ? d[0] ** 2 + d[1] ** 2 + d[2] ** 2 <= 1 : d.every((x) => Math.abs(x) <= 1)
          if (inside) labels[i + nx * (j + ny * k)] = label
        }
      }
    }
  }
  // Speckle: isolated voxels are surfaces of their own.
  for (let n = random.int(0, 3); n > 0; n--) labels[random.int(0, labels.length - 1)] = random.int(0, 2)
  return labels
}

/** A ball of radius `radiusMm` (in mm, on an anisotropic grid) centred at `centre` (voxels). */
function ball(dims: Vec3, spacing: Vec3, centre: Vec3, radiusMm: number, label = 1): Uint8Array {
  const [nx, ny, nz] = dims
  const labels = new Uint8Array(nx * ny * nz)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const r = Math.hypot((i - centre[0]) * spacing[0], (j - centre[1]) * spacing[1], (k - centre[2]) * spacing[2])
        if (r <= radiusMm) labels[i + nx * (j + ny * k)] = label
      }
    }
  }
  return labels
}

describe('squaredDistanceTransform3d', () => {
  it('equals the brute-force squared distance to the nearest feature on random anisotropic grids', () => {
    const random = createRandom(41)
    for (let trial = 0; trial < 25; trial++) {
      const dims: Vec3 = [random.int(1, 7), random.int(1, 7), random.int(1, 7)]
      const spacing: Vec3 = [random.uniform(0.3, 3), random.uniform(0.3, 3), random.uniform(0.3, 3)]
      const features = new Uint8Array(dims[0] * dims[1] * dims[2]).map(() => (random.chance(0.08) ? 1 : 0))
      const points: Point[] = []
      features.forEach((f, v) => {
        if (f) points.push([v % dims[0], Math.floor(v / dims[0]) % dims[1], Math.floor(v / (dims[0] * dims[1]))])
      })
      const squared = squaredDistanceTransform3d(features, dims, spacing)
      squared.forEach((value, v) => {
        const here: Point = [v % dims[0], Math.floor(v / dims[0]) % dims[1], Math.floor(v / (dims[0] * dims[1]))]
        const expected = points.length === 0 ? Infinity : (oracleDistances([here], points, spacing)[0] as number) ** 2
        if (expected === Infinity) expect(value).toBe(Infinity)
        else expect(value).toBeCloseTo(expected, 9)
      })
    }
  })

  it('refuses a buffer that does not fill the grid, and non-positive spacing', () => {
    expect(() => squaredDistanceTransform3d(new Uint8Array(7), [2, 2, 2], [1, 1, 1])).toThrow(/7 voxels do not fill a 2×2×2 grid/)
    expect(() => squaredDistanceTransform3d(new Uint8Array(8), [2, 2, 2], [1, 0, 1])).toThrow(/spacing must be positive/)
  })
})

describe('surfaceOf', () => {
  it('keeps the voxels with a face neighbour outside the mask or outside the grid', () => {
    // A 3×3×3 cube in a 5×5×5 grid has 26 surface voxels (all but its centre); filling the whole grid, 98.
    const cube = ball([5, 5, 5], [1, 1, 1], [2, 2, 2], Math.sqrt(3))
    expect(surfaceOf(cube, [5, 5, 5]).reduce((a, b) => a + b, 0)).toBe(26)
    expect(surfaceOf(new Uint8Array(125).fill(1), [5, 5, 5]).reduce((a, b) => a + b, 0)).toBe(125 - 27)
  })
})

describe('percentileOf', () => {
  it('interpolates linearly between ranks, as numpy.percentile does by default', () => {
    const sorted = Float64Array.from([0, 1, 2, 10])
    expect(percentileOf(sorted, 95)).toBeCloseTo(2 + 0.85 * 8, 12)
    expect(percentileOf(sorted, 100)).toBe(10)
    expect(percentileOf(sorted, 0)).toBe(0)
    expect(percentileOf(Float64Array.from([4]), 95)).toBe(4)
  })
})

describe('surfaceMetrics', () => {
  it('agrees with the brute-force oracle on random shapes, spacings and tolerances', () => {
    const random = createRandom(2024)
    let compared = 0
    for (let trial = 0; trial < 120; trial++) {
      const dims: Vec3 = [random.int(1, 8), random.int(1, 8), random.int(1, 8)]
      const spacing: Vec3 = [random.uniform(0.4, 3), random.uniform(0.4, 3), random.uniform(0.4, 3)]
      const tolerance = random.pick([0, 0.5, 1, 2, 3.5])
      const predicted = randomShapes(random, dims)
      const reference = randomShapes(random, dims)
      const scores = surfaceMetrics(predicted, reference, { dims, spacingMm: spacing, labels: [1, 2], toleranceMm: tolerance })
      for (const [slot, label] of [1, 2].entries()) {
        const expected = oracle(predicted, reference, dims, spacing, label, tolerance)
        const got = scores[slot]
        expect(got?.label).toBe(label)
        expect(got?.hd95Mm).toBeCloseTo(expected.hd95, 9)
        expect(got?.surfaceDice).toBeCloseTo(expected.nsd, 12)
        expect(got?.volumeRatio).toBe(expected.ratio)
        compared++
      }
    }
    expect(compared).toBe(240)
  })

  it('a ball shifted by k voxels: the Hausdorff distance is k·spacing of that axis exactly, HD95 at most that, NSD 1 at that tolerance', () => {
    const dims: Vec3 = [24, 22, 14]
    const spacing: Vec3 = [0.5, 1, 3]
    const reference = ball(dims, spacing, [11, 10, 6], 5)
    for (const [axis, k] of [[0, 2], [1, 3], [2, 1]] as const) {
      const centre: Vec3 = [11, 10, 6]
      centre[axis] += k
      const predicted = ball(dims, spacing, centre, 5)
      const shiftMm = k * spacing[axis]
      const [hausdorff] = surfaceMetrics(predicted, reference, { dims, spacingMm: spacing, labels: [1], percentile: 100 })
      expect(hausdorff?.hd95Mm).toBeCloseTo(shiftMm, 12)
      const [at] = surfaceMetrics(predicted, reference, { dims, spacingMm: spacing, labels: [1], toleranceMm: shiftMm })
      expect(at?.hd95Mm).toBeGreaterThan(0)
      expect(at?.hd95Mm).toBeLessThanOrEqual(shiftMm + 1e-12)
      expect(at?.surfaceDice).toBe(1)
      expect(at?.volumeRatio).toBe(1)
      const [short] = surfaceMetrics(predicted, reference, { dims, spacingMm: spacing, labels: [1], toleranceMm: shiftMm * 0.99 })
      expect(short?.surfaceDice).toBeLessThan(1)
    }
  })

  it('concentric balls 2 mm apart in radius: HD95 is 2 mm to within a voxel, and the volume ratio is the voxel count ratio', () => {
    const dims: Vec3 = [40, 40, 20]
    const spacing: Vec3 = [0.7, 0.7, 1.5]
    const centre: Vec3 = [20, 20, 10]
    const reference = ball(dims, spacing, centre, 8)
    const predicted = ball(dims, spacing, centre, 10)
    const [score] = surfaceMetrics(predicted, reference, { dims, spacingMm: spacing, labels: [1] })
    expect(Math.abs((score?.hd95Mm as number) - 2)).toBeLessThanOrEqual(1.5)
    const counts = { p: predicted.filter((v) => v === 1).length, r: reference.filter((v) => v === 1).length }
    expect(score?.volumeRatio).toBe(counts.p / counts.r)
    // ≈ (10 / 8)³ for well-sampled balls.
    expect(score?.volumeRatio).toBeCloseTo((10 / 8) ** 3, 1)
    expect(score).toMatchObject({ predictedVoxels: counts.p, referenceVoxels: counts.r })
  })

  it('measures in mm: the same voxels on a coarser grid give proportionally larger distances', () => {
    const dims: Vec3 = [20, 20, 20]
    const reference = ball(dims, [1, 1, 1], [10, 10, 10], 5)
    const predicted = ball(dims, [1, 1, 1], [12, 9, 10], 6)
    const [fine] = surfaceMetrics(predicted, reference, { dims, spacingMm: [1, 1, 1], labels: [1] })
    const [coarse] = surfaceMetrics(predicted, reference, { dims, spacingMm: [2.5, 2.5, 2.5], labels: [1] })
    expect(coarse?.hd95Mm).toBeCloseTo((fine?.hd95Mm as number) * 2.5, 9)
  })

  it('identical maps: HD95 0, NSD 1, volume ratio 1', () => {
    const dims: Vec3 = [10, 9, 8]
    const labels = ball(dims, [1, 1, 1], [4, 4, 4], 3)
    expect(surfaceMetrics(labels, labels, { dims, spacingMm: [1, 2, 3], labels: [1] })[0]).toMatchObject({ hd95Mm: 0, surfaceDice: 1, volumeRatio: 1 })
  })

  it('empty labels: absent from both scores HD95 0 / NSD 1; present in one scores the field-of-view diagonal and NSD 0', () => {
    const dims: Vec3 = [4, 3, 2]
    const spacing: Vec3 = [1, 2, 3]
    const diagonal = Math.sqrt(4 ** 2 + 6 ** 2 + 6 ** 2)
    const empty = new Uint8Array(24)
    const some = new Uint8Array(24)
    some[5] = 1
    some[6] = 1
    const options = { dims, spacingMm: spacing, labels: [1] }
    expect(surfaceMetrics(empty, empty, options)[0]).toMatchObject({ hd95Mm: 0, surfaceDice: 1, volumeRatio: null })
    // Predicted but not in the reference: a spurious structure; no ratio to a zero volume.
    expect(surfaceMetrics(some, empty, options)[0]).toMatchObject({ hd95Mm: diagonal, surfaceDice: 0, volumeRatio: null })
    // In the reference but not predicted: a missed structure.
    expect(surfaceMetrics(empty, some, options)[0]).toMatchObject({ hd95Mm: diagonal, surfaceDice: 0, volumeRatio: 0 })
  })

  it('scores label ids above 255 in 16-bit maps, and only the labels asked for', () => {
    const dims: Vec3 = [6, 6, 6]
    const reference = Uint16Array.from(ball(dims, [1, 1, 1], [3, 3, 3], 2), (v) => v * 300)
    const predicted = Uint16Array.from(ball(dims, [1, 1, 1], [3, 3, 2], 2), (v) => v * 300)
    const [score] = surfaceMetrics(predicted, reference, { dims, spacingMm: [1, 1, 1], labels: [300], percentile: 100 })
    expect(score).toMatchObject({ label: 300, hd95Mm: 1, volumeRatio: 1 })
  })

  it('refuses mismatched maps, grids and tolerances with a message that says which', () => {
    const a = new Uint8Array(8)
    expect(() => surfaceMetrics(a, new Uint8Array(9), { dims: [2, 2, 2], spacingMm: [1, 1, 1], labels: [1] })).toThrow(/differ in size/)
    expect(() => surfaceMetrics(a, a, { dims: [2, 2, 3], spacingMm: [1, 1, 1], labels: [1] })).toThrow(/do not fill a 2×2×3 grid/)
    expect(() => surfaceMetrics(a, a, { dims: [2, 2, 2], spacingMm: [1, 1, 1], labels: [1], toleranceMm: -1 })).toThrow(/tolerance must be ≥ 0 mm/)
    expect(() => surfaceMetrics(a, a, { dims: [2, 2, 2], spacingMm: [1, 1, 1], labels: [1.5] })).toThrow(/label must be an integer/)
  })
})
