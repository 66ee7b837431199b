import { describe, expect, it } from 'vitest'
import { buildGrowRequest, growFromSeeds, type GrowRequest } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import {
  createGrowWorkerHandler,
  planSlabs,
  runGrowOnSlabs,
  runGrowOnWorkers,
  runGrowJob,
  type GrowMessage,
  type GrowPort
} from '../../../../../src/renderer/src/tools/growFromSeeds/protocol'
import type { Vec3 } from '../../../../../src/shared/volume'
import { grid, imageWhere, randomVolume, seededRandom, seedsOf, type Case } from './helpers'
import { referenceGrowFromSeeds } from './referenceKernel'

/**
 * Two in-process "workers": each runs the worker's own handler (what grow.worker.ts runs), and
 * messages and replies go through structuredClone with their transfer lists, as postMessage does,
 * so a buffer the page hands over is gone from the page and each side works on its own copy.
 */
function inProcessPorts(log: GrowMessage['kind'][] = []): [GrowPort, GrowPort] {
  const port = (): GrowPort => {
    const handle = createGrowWorkerHandler()
    return (message, transfer) => {
      log.push(message.kind)
      const received = structuredClone(message, { transfer })
      const { reply, transfer: back } = handle(received)
      return Promise.resolve(structuredClone(reply, { transfer: back }))
    }
  }
  return [port(), port()]
}

/** A copy of a request (its image is handed over to the workers, so each run needs its own). */
function copyOf(request: GrowRequest): GrowRequest {
  return { ...request, image: request.image.slice(), seedIndices: request.seedIndices.slice(), seedValues: request.seedValues.slice() }
}

/** Runs the request on two slabs cut at `planeK` and expects exactly the one-worker labels. */
async function expectSplitMatches(request: GrowRequest, planeK: number): Promise<{ labels: Uint16Array; rounds: number }> {
  const expected = growFromSeeds(copyOf(request)).labels
  const { result, split } = await runGrowOnSlabs(copyOf(request), planeK, inProcessPorts(), 1)
  const rounds = split.rounds
  expect(split.planeK).toBe(planeK)
  expect(result.dims).toEqual(request.dims)
  expect(result.box).toEqual(request.box)
  let differing = 0
  let first = -1
  for (let index = 0; index < expected.length; index++) {
    if (result.labels[index] !== expected[index]) {
      if (first < 0) first = index
      differing++
    }
  }
  expect(differing, `plane ${planeK}: first differing voxel ${first}: ${result.labels[first]} instead of ${expected[first]}`).toBe(0)
  expect(result.labels.length).toBe(expected.length)
  return { labels: result.labels, rounds }
}

/** A whole-volume request (margin over the volume's size) from a random case. */
function wholeRequest(c: Case, reseed?: (volume: ReturnType<typeof randomVolume>) => void): GrowRequest {
  const volume = randomVolume(c)
  reseed?.(volume)
  const request = buildGrowRequest(volume.image, grid(c.dims, c.spacing), { indices: volume.indices, values: volume.values }, { marginMm: 1000, locality: c.locality })
  expect(request.dims).toEqual(c.dims)
  return request
}

/** Moves every seed to slice k (same i, j). */
const onSlice = (c: Case, k: (n: number) => number) => (volume: ReturnType<typeof randomVolume>) => {
  const nxy = c.dims[0] * c.dims[1]
  volume.indices = Uint32Array.from(volume.indices, (index, n) => (index % nxy) + nxy * k(n))
}

describe('grow from seeds on two slabs: the same labels as one worker', () => {
  const cases: Array<Case & { planes: number[]; name: string; reseed?: (c: Case) => (volume: ReturnType<typeof randomVolume>) => void }> = [
    { name: 'seeds in both slabs', seed: 41, dims: [30, 26, 24], spacing: [1, 1, 1], levels: 4, noise: 0, perClass: 4, classes: 3, locality: 0, planes: [12, 5, 19] },
    { name: 'anisotropic spacing, noise', seed: 42, dims: [28, 30, 20], spacing: [0.7, 0.7, 2.5], levels: 6, noise: 3, perClass: 3, classes: 4, locality: 0, planes: [10, 3] },
    { name: 'locality 5 %', seed: 43, dims: [25, 33, 18], spacing: [0.5, 1.25, 3], levels: 3, noise: 0.2, perClass: 2, classes: 3, locality: 5, planes: [9, 14] },
    { name: 'locality 30 %, many levels', seed: 44, dims: [20, 20, 20], spacing: [2, 1, 0.5], levels: 50, noise: 10, perClass: 5, classes: 5, locality: 30, planes: [10, 1] },
    { name: 'flat image: ties everywhere', seed: 45, dims: [24, 24, 16], spacing: [0.8, 0.8, 1], levels: 1, noise: 0, perClass: 3, classes: 3, locality: 0, planes: [8, 4] },
    {
      name: 'all seeds in the low slab (the high one starts with none)',
      seed: 46,
      dims: [22, 20, 20],
      spacing: [1, 1, 1.5],
      levels: 4,
      noise: 1,
      perClass: 3,
      classes: 3,
      locality: 0,
      planes: [10, 15],
      reseed: (c) => onSlice(c, (n) => n % 6)
    },
    {
      name: 'all seeds in the high slab (the low one starts with none)',
      seed: 47,
      dims: [22, 20, 20],
      spacing: [1, 1, 1],
      levels: 4,
      noise: 0,
      perClass: 3,
      classes: 3,
      locality: 2,
      planes: [10, 4],
      reseed: (c) => onSlice(c, (n) => 14 + (n % 6))
    },
    {
      name: 'all seeds on the shared plane',
      seed: 48,
      dims: [26, 22, 18],
      spacing: [0.9, 0.9, 2],
      levels: 5,
      noise: 0.5,
      perClass: 3,
      classes: 4,
      locality: 0,
      planes: [9],
      reseed: (c) => onSlice(c, () => 9)
    }
  ]
  it.each(cases)('$name: $dims, planes $planes', async (c) => {
    const request = wholeRequest(c, c.reseed?.(c))
    for (const planeK of c.planes) {
      const { labels } = await expectSplitMatches(request, planeK)
      // Every class claims voxels beyond its seeds, or matching would prove little.
      for (let value = 0; value < c.classes; value++) expect(labels.filter((label) => label === value).length, `class ${value}`).toBeGreaterThan(c.perClass)
    }
  })

  // Seeds mirrored about the plane on a flat image: every plane voxel is equally cheap from both,
  // so each slab first gives the whole plane its own label, and the one holding the larger label must
  // take the other's smaller one at an equal key (a label-only improvement), on either side.
  it.each([
    { below: 2, above: 1 },
    { below: 1, above: 2 },
    { below: 3, above: 0 }
  ])('exact ties across the plane: label $below below it, $above above it, the smaller wins the plane', async ({ below, above }) => {
    const dims: Vec3 = [12, 10, 14]
    const g = grid(dims, [1, 1, 1.5])
    const seeds = seedsOf(g, [
      [[5, 4, 4], below],
      [[5, 4, 10], above]
    ])
    const request = buildGrowRequest(new Float32Array(12 * 10 * 14), g, seeds, { marginMm: 1000, locality: 0 })
    const { labels } = await expectSplitMatches(request, 7)
    const plane = labels.subarray(7 * 120, 8 * 120)
    expect(plane.every((label) => label === Math.min(below, above))).toBe(true)
  })

  it('tiny boxes: nz = 1, 2, 3, every plane', async () => {
    for (const nz of [1, 2, 3]) {
      const c: Case = { seed: 50 + nz, dims: [9, 7, nz], spacing: [1, 1.5, 2], levels: 3, noise: 0, perClass: 2, classes: 3, locality: 0 }
      const request = wholeRequest(c)
      for (let planeK = 0; planeK < nz; planeK++) await expectSplitMatches(request, planeK)
    }
  })

  it('many random shapes, seeds and planes', async () => {
    const random = seededRandom(61)
    for (let trial = 0; trial < 25; trial++) {
      const dims: Vec3 = [2 + Math.floor(random() * 12), 2 + Math.floor(random() * 12), 2 + Math.floor(random() * 14)]
      const c: Case = {
        seed: 100 + trial,
        dims,
        spacing: [0.5 + random(), 0.5 + random(), 0.5 + 2 * random()],
        levels: 1 + Math.floor(random() * 6),
        noise: random() < 0.5 ? 0 : 2,
        perClass: 1 + Math.floor(random() * 3),
        classes: 2 + Math.floor(random() * 3),
        locality: random() < 0.3 ? 10 : 0
      }
      const request = wholeRequest(c)
      await expectSplitMatches(request, Math.floor(random() * dims[2]))
    }
  })

  it('a winding low-cost channel that crosses the plane again and again: the exchange repeats, and the labels still match', async () => {
    // Bright walls everywhere; a dark channel at i = 2 snakes through (j, k): columns at j = 0, 6,
    // …, 42 run from k = 2 to k = 18, joined alternately at the top (k = 18) and at the bottom
    // (k = 2). Cut at k = 10, every column crosses the plane. Labels 1 and 2 are seeded at the
    // channel's two ends, both in the low slab: each climb into the high slab can only be found from
    // the previous descent's keys, so the planes go back and forth several times.
    const dims: Vec3 = [5, 44, 21]
    const g = grid(dims)
    const channel = (i: number, j: number, k: number): boolean => {
      if (i !== 2) return false
      const column = j / 6
      if (Number.isInteger(column)) return k >= 2 && k <= 18
      const rung = Math.floor(column)
      return k === (rung % 2 === 0 ? 18 : 2)
    }
    const image = imageWhere(g, (i, j, k) => (channel(i, j, k) ? 0 : 1000))
    const request = buildGrowRequest(image, g, seedsOf(g, [[[2, 0, 2], 1], [[2, 42, 2], 2], [[0, 20, 10], 0]]), { marginMm: 1000, locality: 0 })
    const { labels, rounds } = await expectSplitMatches(request, 10)
    expect(rounds).toBeGreaterThan(2)
    // The channel is shared between the two labels, in both slabs; the walls are background.
    const at = (i: number, j: number, k: number): number => labels[i + dims[0] * (j + dims[1] * k)]
    expect([at(2, 0, 18), at(2, 6, 15), at(2, 36, 18), at(2, 42, 15)]).toEqual([1, 1, 2, 2])
    expect(at(4, 20, 10)).toBe(0)
    expect(labels).toEqual(referenceGrowFromSeeds(request).labels)
  })

  it('refuses a plane outside the box and a request without seeds, as the kernel does', async () => {
    const c: Case = { seed: 70, dims: [6, 6, 6], spacing: [1, 1, 1], levels: 2, noise: 0, perClass: 1, classes: 2, locality: 0 }
    const request = wholeRequest(c)
    await expect(runGrowOnSlabs(copyOf(request), 6, inProcessPorts(), 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('plane k = 6') })
    const none = { ...copyOf(request), seedIndices: new Uint32Array(0), seedValues: new Uint16Array(0) }
    await expect(runGrowOnSlabs(none, 3, inProcessPorts(), 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at least one seed') })
  })
})

describe('grow from seeds: where the box is cut', () => {
  const request = (dims: Vec3, seedKs: number[]): GrowRequest => {
    const nxy = dims[0] * dims[1]
    return {
      box: { minIjk: [0, 0, 0], maxIjk: [dims[0] - 1, dims[1] - 1, dims[2] - 1] },
      dims,
      spacing: [1, 1, 1],
      image: new Float32Array(0),
      seedIndices: Uint32Array.from(seedKs, (k, n) => k * nxy + n),
      seedValues: Uint16Array.from(seedKs, () => 1),
      quantum: 1,
      costPerMm: 0
    }
  }
  const two = { cores: 2, minParallelVoxels: 1000 }

  it.each([
    { name: 'seeds on both sides: the middle', nz: 40, ks: [3, 30], plane: 20 },
    { name: 'seeds on the middle slice: the middle', nz: 40, ks: [20], plane: 20 },
    { name: 'all seeds below the middle: the highest seed slice', nz: 40, ks: [6, 14, 11], plane: 14 },
    { name: 'all seeds above the middle: the lowest seed slice', nz: 40, ks: [33, 25, 38], plane: 25 },
    { name: 'the nearest seed slice leaves a slab under 1/8 of the slices: one worker', nz: 40, ks: [1, 3], plane: null },
    { name: 'fewer than 8 slices: one worker', nz: 7, ks: [1, 5], plane: null }
  ])('$name', ({ nz, ks, plane }) => {
    expect(planSlabs(request([20, 20, nz], ks), two)).toBe(plane)
  })

  it('one core, or a box under the voxel threshold, stays on one worker', () => {
    expect(planSlabs(request([20, 20, 40], [3, 30]), { cores: 1, minParallelVoxels: 1000 })).toBeNull()
    expect(planSlabs(request([20, 20, 40], [3, 30]), { cores: 2, minParallelVoxels: 16_001 })).toBeNull()
    expect(planSlabs(request([20, 20, 40], [3, 30]), { cores: 2, minParallelVoxels: 16_000 })).toBe(20)
    // The default threshold: about 2 M voxels.
    expect(planSlabs(request([128, 128, 120], [3, 100]), { cores: 8 })).toBeNull()
    expect(planSlabs(request([128, 128, 128], [3, 100]), { cores: 8 })).toBe(64)
  })

  it('runs the plan: the whole job on one worker, or slabs on both, the same labels either way', async () => {
    const c: Case = { seed: 80, dims: [20, 18, 16], spacing: [1, 1, 1], levels: 4, noise: 1, perClass: 3, classes: 3, locality: 0 }
    const request = wholeRequest(c)
    const oneLog: GrowMessage['kind'][] = []
    const one = await runGrowOnWorkers(copyOf(request), inProcessPorts(oneLog), 1, { cores: 1 })
    expect(oneLog).toEqual(['grow'])
    const twoLog: GrowMessage['kind'][] = []
    const split = await runGrowOnWorkers(copyOf(request), inProcessPorts(twoLog), 2, { cores: 2, minParallelVoxels: 1000 })
    expect(twoLog.slice(0, 2)).toEqual(['slab', 'slab'])
    expect(twoLog.slice(-2)).toEqual(['finish', 'finish'])
    expect(split.result.labels).toEqual(one.result.labels)
  })
})

describe('grow from seeds: the worker handler', () => {
  it('runs a whole job as runGrowJob does', () => {
    const g = grid([10, 4, 1])
    const image = imageWhere(g, (i) => (i < 4 ? 0 : 100))
    const request = buildGrowRequest(image, g, seedsOf(g, [[[0, 0, 0], 1], [[9, 3, 0], 2]]), { marginMm: 50, locality: 0 })
    const { reply, transfer } = createGrowWorkerHandler()({ id: 7, kind: 'grow', request })
    expect(reply).toMatchObject({ id: 7, ok: true, kind: 'result' })
    expect(reply.ok && reply.kind === 'result' && Array.from(reply.result.labels.slice(0, 10))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    expect(transfer).toHaveLength(1)
    expect(runGrowJob({ id: 7, request }).reply).toMatchObject({ ok: true, kind: 'result' })
  })

  it('refuses a repair or finish for a job whose slab it does not hold, naming the job', () => {
    const handle = createGrowWorkerHandler()
    expect(handle({ id: 3, kind: 'repair', keys: new Uint32Array(4), labels: new Uint16Array(4) }).reply).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringContaining('job 3 has no slab') }
    })
    expect(handle({ id: 3, kind: 'finish' }).reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })
})
