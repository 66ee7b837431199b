/**
 * Grow from seeds: seeded region competition on the image, as 3D Slicer's "Grow from seeds" effect
 * (its FastGrowCut, Zhu et al., MICCAI 2014) does it: a multi-source shortest-path (Dijkstra)
 * competition in which every seed claims the voxels it reaches most cheaply, and a path costs the sum
 * of the absolute intensity steps along it. Region borders therefore settle on image edges: a voxel
 * joins whichever seed it can reach without crossing a strong intensity change.
 *
 * Differences from Slicer, each for a reason:
 * - 6-connected steps (Slicer: 26): four times fewer relaxations; the borders still follow edges
 *   because the cost is the edge.
 * - Integer path keys and a bucket queue (Dial's algorithm) instead of a Fibonacci heap: every queue
 *   operation is O(1), which is what brings a 256×256×200 box to a few seconds in a browser worker
 *   (a binary heap on float keys took ~0.7 µs per voxel here, 9 s for that box). What is left is
 *   waiting on memory: one key's voxels lie all over the box, so the queue stores them in 64-byte
 *   chunks and each group of them has its lines read ahead before it is settled (see the loop). A step's key is
 *   `round(|Δintensity| / quantum) · 64 + length units`, the quantum being 1/1024 of the box's
 *   intensity spread (2nd–98th percentile), so the rounding is far below any edge worth following.
 * - The length units (4 per step of the smallest voxel size, more for longer steps) break ties: on a
 *   flat plateau (air, water) a pure intensity cost is zero for every seed and Slicer's heap order
 *   picks the winner; here the nearest seed in mm wins. They weigh 1/64 of a quantum each, so 16 voxel
 *   steps cost as much as 1/1024 of the spread: edges still decide. Exact ties go to the smaller
 *   label value (background 0 first): every voxel takes the lexicographic minimum of (path key, seed
 *   label) over all seeds. The answer is then unique, whatever the order voxels are queued or
 *   settled in or the seeds were painted in, so two workers computing it on two halves of the box
 *   (protocol.ts) give the very same labels as one.
 * - Optional seed locality: an extra cost per mm travelled (like Slicer's "seed locality"), as a
 *   fraction of the box's intensity spread, so that distant seeds leak less on weak edges.
 *
 * A seed value is a label value; 0 is a background seed (it claims voxels for "no label"). The kernel
 * works on a box of the volume (the seeds' bounding box plus a margin): the caller crops the image,
 * and a worker runs exactly `growFromSeeds(request)` on what it receives, or `startGrow` and
 * `repairGrow` on one slab of it (protocol.ts).
 */
import { VoxloopError } from '../../../../shared/errors'
import type { Vec3, VoxelArray } from '../../../../shared/volume'
import { assertArrayFitsGrid, type BoundsIjk, type VoxelGrid } from '../core/grid'

/** Seeds as parallel arrays: voxel indices of the full grid and their label values (0 = background). */
export interface Seeds {
  indices: Uint32Array
  values: Uint16Array
}

export interface GrowOptions {
  /**
   * Margin around the seeds' bounding box, in mm on each side (converted per axis with the spacing,
   * rounded up). Default 10; 0 keeps the box tight. Only voxels in the box can change.
   */
  marginMm: number
  /**
   * Extra cost per mm travelled, in percent of the box's intensity spread (2nd to 98th percentile).
   * 0 (default): edges alone decide; 1–10: seeds stay more local. Range 0..100.
   */
  locality: number
}

export const DEFAULT_GROW_OPTIONS: Readonly<GrowOptions> = Object.freeze({ marginMm: 10, locality: 0 })

/** Largest box the kernel accepts: 64 Mi voxels is ~1.4 GB of working arrays in the worker. */
export const MAX_GROW_BOX_VOXELS = 64 * 1024 * 1024

/** What the worker receives: everything in box-local coordinates, plain typed arrays (transferable). */
export interface GrowRequest {
  /** The box in the full grid (inclusive), to place the result. */
  box: BoundsIjk
  /** Voxels along i, j, k of the box. */
  dims: Vec3
  /** Voxel size in mm along i, j, k. */
  spacing: Vec3
  /** The image channel cropped to the box, i fastest; non-finite values read as 0. */
  image: Float32Array
  /** Box-local seed indices (unique) and their label values. */
  seedIndices: Uint32Array
  seedValues: Uint16Array
  /** Intensity units per cost quantum (1/1024 of the box's intensity spread; 1 for a flat box). */
  quantum: number
  /** Extra cost per mm, in intensity units (already scaled; see `GrowOptions.locality`). */
  costPerMm: number
}

/** The key of a voxel no seed has reached yet. */
export const UNREACHED_KEY = 0xffffffff
const UNREACHED = UNREACHED_KEY

/** Key units per intensity quantum: one quantum outweighs 16 steps of the smallest voxel size. */
export const KEY_PER_QUANTUM = 64
/** Key units per step of the smallest voxel size (longer steps in proportion, rounded). */
export const LENGTH_UNITS_PER_STEP = 4
/** Quanta per box intensity spread. */
export const QUANTA_PER_SPREAD = 1024
/** A step costs at most this many quanta (8 spreads: a wall whatever its height), bounding the queue. */
export const MAX_STEP_QUANTA = 8 * QUANTA_PER_SPREAD

/** The integer key of one step along each axis, before its intensity part (length and locality). */
export function stepBaseKeys(spacing: Readonly<Vec3>, quantum: number, costPerMm: number): Vec3 {
  const smallest = Math.min(spacing[0], spacing[1], spacing[2])
  return [0, 1, 2].map((axis) => {
    const mm = spacing[axis]
    return Math.max(1, Math.round((LENGTH_UNITS_PER_STEP * mm) / smallest)) + Math.round(((costPerMm * mm) / quantum) * KEY_PER_QUANTUM)
  }) as Vec3
}

/** The intensity part of a step's key. */
export function intensityKey(difference: number, quantum: number): number {
  return Math.min(MAX_STEP_QUANTA, Math.round(Math.abs(difference) / quantum)) * KEY_PER_QUANTUM
}

export interface GrowResult {
  box: BoundsIjk
  dims: Vec3
  /** The winning label value of every box voxel, box-local layout (seeds keep their own value). */
  labels: Uint16Array
}

/** The seeds' bounding box grown by `marginMm` on each side, clipped to the grid. */
export function seedBox(grid: VoxelGrid, seedIndices: ArrayLike<number>, marginMm: number): BoundsIjk {
  if (seedIndices.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'grow from seeds needs at least one seed')
  if (!(marginMm >= 0) || !Number.isFinite(marginMm)) throw new VoxloopError('INVALID_ARGUMENT', `margin must be ≥ 0 mm, got ${marginMm}`)
  const [nx, ny, nz] = grid.dims
  const nxy = nx * ny
  const total = nxy * nz
  const min: Vec3 = [nx, ny, nz]
  const max: Vec3 = [-1, -1, -1]
  for (let n = 0; n < seedIndices.length; n++) {
    const index = seedIndices[n]
    if (index >>> 0 !== index || index >= total) {
      throw new VoxloopError('INVALID_ARGUMENT', `seed index ${index} is outside the ${grid.dims.join('×')} grid`)
    }
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    if (i < min[0]) min[0] = i
    if (i > max[0]) max[0] = i
    if (j < min[1]) min[1] = j
    if (j > max[1]) max[1] = j
    if (k < min[2]) min[2] = k
    if (k > max[2]) max[2] = k
  }
  const minIjk: Vec3 = [0, 0, 0]
  const maxIjk: Vec3 = [0, 0, 0]
  for (let axis = 0; axis < 3; axis++) {
    // A small epsilon keeps 10 mm / 0.5 mm from rounding up to 21 voxels.
    const margin = Math.ceil(marginMm / grid.spacing[axis] - 1e-9)
    minIjk[axis] = Math.max(0, min[axis] - margin)
    maxIjk[axis] = Math.min(grid.dims[axis] - 1, max[axis] + margin)
  }
  return { minIjk, maxIjk }
}

export function boxDims(box: BoundsIjk): Vec3 {
  return [box.maxIjk[0] - box.minIjk[0] + 1, box.maxIjk[1] - box.minIjk[1] + 1, box.maxIjk[2] - box.minIjk[2] + 1]
}

/**
 * Builds the worker's request: the box around the seeds, the image cropped to it, the seeds in box
 * coordinates (a voxel listed twice keeps its last value, as the later stroke painted over it).
 */
export function buildGrowRequest(image: VoxelArray, grid: VoxelGrid, seeds: Seeds, options: Readonly<GrowOptions> = DEFAULT_GROW_OPTIONS): GrowRequest {
  assertArrayFitsGrid(grid, image, 'image channel')
  if (seeds.indices.length !== seeds.values.length) {
    throw new VoxloopError('INVALID_ARGUMENT', `seeds have ${seeds.indices.length} indices but ${seeds.values.length} values`)
  }
  if (!(options.locality >= 0 && options.locality <= 100)) {
    throw new VoxloopError('INVALID_ARGUMENT', `seed locality must be 0..100, got ${options.locality}`)
  }
  const box = seedBox(grid, seeds.indices, options.marginMm)
  const dims = boxDims(box)
  const count = dims[0] * dims[1] * dims[2]
  if (count > MAX_GROW_BOX_VOXELS) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `the seeds span ${dims.join('×')} voxels (${count.toLocaleString('en-US')}), more than grow from seeds handles at once (${MAX_GROW_BOX_VOXELS.toLocaleString('en-US')}): seed a smaller region or lower the margin`
    )
  }
  const [nx, ny] = grid.dims
  const [bx, by, bz] = dims
  const [i0, j0, k0] = box.minIjk
  const crop = new Float32Array(count)
  let p = 0
  for (let k = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let index = i0 + nx * (j0 + j + ny * (k0 + k))
      for (let i = 0; i < bx; i++, index++) {
        const value = image[index]
        crop[p++] = Number.isFinite(value) ? value : 0
      }
    }
  }
  // Later seeds win: keep the last occurrence of each voxel.
  const last = new Map<number, number>()
  for (let n = 0; n < seeds.indices.length; n++) last.set(seeds.indices[n], seeds.values[n])
  const seedIndices = new Uint32Array(last.size)
  const seedValues = new Uint16Array(last.size)
  const nxy = nx * ny
  let s = 0
  for (const [index, value] of last) {
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    seedIndices[s] = i - i0 + bx * (j - j0 + by * (k - k0))
    seedValues[s] = value
    s++
  }
  const spread = intensitySpread(crop)
  const quantum = spread > 0 ? spread / QUANTA_PER_SPREAD : 1
  const costPerMm = options.locality > 0 ? (options.locality / 100) * spread : 0
  return { box, dims, spacing: [grid.spacing[0], grid.spacing[1], grid.spacing[2]], image: crop, seedIndices, seedValues, quantum, costPerMm }
}

/** 2nd to 98th percentile of up to 100,000 evenly strided samples (deterministic). */
export function intensitySpread(values: Float32Array): number {
  const step = Math.max(1, Math.floor(values.length / 100_000))
  const sample = new Float32Array(Math.ceil(values.length / step))
  for (let n = 0, p = 0; n < values.length; n += step) sample[p++] = values[n]
  sample.sort()
  const at = (q: number): number => sample[Math.min(sample.length - 1, Math.round(q * (sample.length - 1)))]
  return Math.max(0, at(0.98) - at(0.02))
}

/**
 * The competition itself (one worker's whole job). Every box voxel ends with the smallest label value
 * among the seeds that reach it with the lowest (cost, geodesic mm) path key; seeds keep their own value.
 */
export function growFromSeeds(request: GrowRequest): GrowResult {
  const state = startGrow(request)
  return { box: request.box, dims: [state.dims[0], state.dims[1], state.dims[2]], labels: state.labels }
}

/**
 * A competition's working state, kept by a slab worker between repair passes (`repairGrow`): the
 * path key and label of every voxel, and what is needed to relax steps.
 */
export interface GrowState {
  dims: Vec3
  image: Float32Array
  /** Path key of every voxel; `UNREACHED_KEY` where no path has arrived yet. */
  cost: Uint32Array
  labels: Uint16Array
  /** Key of one step along i, j, k before its intensity part (see `stepBaseKeys`). */
  baseKeys: Vec3
  /** 1 / the request's quantum. */
  inverseQuantum: number
}

/**
 * Checks a request and returns its step keys. The staircase bound is checked on the dims given, so a
 * caller that splits a box checks the whole box first (a slab's keys come from paths in the box).
 */
export function checkGrowRequest(request: GrowRequest, options: Readonly<StartOptions> = {}): { baseKeys: Vec3; maxStep: number } {
  const { dims, spacing, image, seedIndices, seedValues, quantum, costPerMm } = request
  const [nx, ny, nz] = dims
  const n = nx * ny * nz
  if (!(nx >= 1 && ny >= 1 && nz >= 1) || image.length !== n) {
    throw new VoxloopError('INVALID_ARGUMENT', `grow request image has ${image.length} values for a ${dims.join('×')} box`)
  }
  if (seedIndices.length !== seedValues.length || (seedIndices.length === 0 && options.allowNoSeeds !== true)) {
    throw new VoxloopError('INVALID_ARGUMENT', 'grow request needs at least one seed, with one value per seed index')
  }
  if (!(costPerMm >= 0) || !Number.isFinite(costPerMm)) throw new VoxloopError('INVALID_ARGUMENT', `costPerMm must be ≥ 0, got ${costPerMm}`)
  if (!(quantum > 0) || !Number.isFinite(quantum)) throw new VoxloopError('INVALID_ARGUMENT', `quantum must be > 0, got ${quantum}`)
  const baseKeys = stepBaseKeys(spacing, quantum, costPerMm)
  const maxStep = MAX_STEP_QUANTA * KEY_PER_QUANTUM + Math.max(...baseKeys)
  // Uint32 keys: half the memory traffic of doubles, and a shortest path is never longer than the
  // straight staircase of nx + ny + nz steps, so no key can pass this bound.
  if ((nx + ny + nz) * maxStep >= UNREACHED) {
    throw new VoxloopError('INVALID_ARGUMENT', `a ${dims.join('×')} box is too long for grow from seeds' path keys: seed a shorter region`)
  }
  for (let s = 0; s < seedIndices.length; s++) {
    const index = seedIndices[s]
    if (index >>> 0 !== index || index >= n) throw new VoxloopError('INVALID_ARGUMENT', `seed index ${index} is outside the ${dims.join('×')} box`)
  }
  return { baseKeys, maxStep }
}

export interface StartOptions {
  /**
   * Accept a request without seeds (a slab whose seeds all lie in the other one): every voxel stays
   * unreached until `repairGrow` offers it paths.
   */
  allowNoSeeds?: boolean
}

/** Runs the competition from the request's seeds and returns its state (for `repairGrow`). */
export function startGrow(request: GrowRequest, options: Readonly<StartOptions> = {}): GrowState {
  const { baseKeys } = checkGrowRequest(request, options)
  const { dims, image, seedIndices, seedValues, quantum } = request
  const n = dims[0] * dims[1] * dims[2]
  // Separate arrays, not one interleaved record per voxel: memory touched for the first time costs
  // ~3 ms per MB here (page faults in a VM), more than the cache misses interleaving would save.
  const state: GrowState = {
    dims: [dims[0], dims[1], dims[2]],
    image,
    cost: new Uint32Array(n).fill(UNREACHED),
    labels: new Uint16Array(n),
    baseKeys,
    inverseQuantum: 1 / quantum
  }
  // Each seeded voxel once, the later value given for it winning (as the later stroke painted over it).
  const order = Array.from(seedIndices.keys()).sort((a, b) => seedIndices[a] - seedIndices[b] || b - a)
  const sources = new Int32Array(order.length)
  let count = 0
  let previous = -1
  for (const s of order) {
    const index = seedIndices[s]
    if (index === previous) continue
    previous = index
    state.cost[index] = 0
    state.labels[index] = seedValues[s]
    sources[count++] = index
  }
  propagate(state, sources.subarray(0, count), new Uint32Array(count), false)
  return state
}

/**
 * Offers voxels of a kept state better (key, label) pairs, as paths found elsewhere (the other slab's
 * side of the shared plane), and re-runs the competition from the voxels that took them, so that the
 * state is again the competition's answer given every path known. A pair is better when its key is
 * lower, or equal with a smaller label. Returns how many voxels took the pair offered.
 */
export function repairGrow(state: GrowState, indices: Uint32Array, keys: Uint32Array, labels: Uint16Array): number {
  const { cost } = state
  const n = cost.length
  if (indices.length !== keys.length || indices.length !== labels.length) {
    throw new VoxloopError('INVALID_ARGUMENT', `a repair offers ${indices.length} voxels with ${keys.length} keys and ${labels.length} labels`)
  }
  const taken: number[] = []
  for (let s = 0; s < indices.length; s++) {
    const index = indices[s]
    if (index >>> 0 !== index || index >= n) throw new VoxloopError('INVALID_ARGUMENT', `repair voxel ${index} is outside the ${state.dims.join('×')} box`)
    const key = keys[s]
    const label = labels[s]
    if (key === UNREACHED) continue
    const known = cost[index]
    if (key < known || (key === known && label < state.labels[index])) {
      cost[index] = key
      state.labels[index] = label
      taken.push(index)
    }
  }
  if (taken.length === 0) return 0
  // In key order: the queue takes each at its key, as `current` reaches it.
  taken.sort((a, b) => cost[a] - cost[b])
  const sources = Int32Array.from(taken)
  propagate(state, sources, Uint32Array.from(taken, (index) => cost[index]), true)
  return taken.length
}

/**
 * Dial's shortest-path loop over a state, from sources whose key and label are already in it
 * (`keys`: their keys, ascending). From the seeds every voxel is reached for the first time; in
 * repair mode (`repair`) the other voxels already hold a settled answer, which the sources' paths may
 * still lower.
 *
 * The tie rule: a voxel takes the lexicographic minimum of (path key, label value) over all seeds.
 * When a step reaches a voxel at exactly its key with a smaller label, the label is lowered. From the
 * seeds that needs no new queue entry: every step costs at least one key unit, so all the voxel's
 * predecessors are settled before it is, and its label is final when it is settled. In repair mode
 * the voxel may have been settled in an earlier pass, its neighbours taking the old label, so it is
 * queued again. Either way the answer does not depend on the order voxels are queued or settled,
 * which is what lets two workers compute it on two slabs (protocol.ts).
 */
function propagate(state: GrowState, sources: Int32Array, keys: Uint32Array, repair: boolean): void {
  const { image, cost, labels, inverseQuantum: inv } = state
  const [nx, ny, nz] = state.dims
  const [baseI, baseJ, baseK] = state.baseKeys
  const nxy = nx * ny
  const n = nxy * nz
  const maxStep = MAX_STEP_QUANTA * KEY_PER_QUANTUM + Math.max(baseI, baseJ, baseK)

  // Dial's bucket queue, inlined: a ring of FIFO lists, one per key modulo the ring size (larger than
  // any step, so the keys waiting are always within one turn of the ring). A list is a chain of
  // chunks of CHUNK ints (the next chunk, the count, then up to CHUNK - 2 voxels), so that reading a
  // key's voxels is one cache miss per chunk, not one per voxel as a linked list of entries was.
  // Chunks are recycled through a free list, so the pool grows to the frontier's size, not the
  // box's. A list's tail is only read while its head is set, so emptying a list only clears its head.
  // Chunk ids are their offsets in `chunks`.
  const ring = maxStep + 1
  // List of slot s: its head chunk at 2s, its tail chunk at 2s + 1 (one cache line for both).
  const ends = new Int32Array(2 * ring)
  for (let at = 0; at < ends.length; at += 2) ends[at] = -1
  let chunks = new Int32Array(CHUNK * INITIAL_CHUNKS)
  let freeChunk = -1
  let usedInts = 0
  let size = 0

  const cap = MAX_STEP_QUANTA
  const lastI = nx - 1
  const lastJ = ny - 1
  const lastK = nz - 1
  // The neighbours of the voxel being settled, in the order they are offered (−i, +i, −j, +j, −k, +k).
  const neighbour = new Int32Array(6)
  const neighbourBase = new Int32Array(6)
  // The voxels of the key being settled, in FIFO order (see below).
  let batch = new Int32Array(INITIAL_BATCH)
  // Sum of the values read ahead (see below); kept so that the reads are not optimised away.
  let touched = 0
  let nextSource = 0
  const sourceCount = sources.length
  let current = sourceCount > 0 ? keys[0] : 0
  let slot = current % ring
  for (;;) {
    if (size === 0) {
      // Nothing queued: on to the next source's key, or done.
      if (nextSource === sourceCount) break
      if (keys[nextSource] > current) {
        current = keys[nextSource]
        slot = current % ring
      }
    }
    // Sources join the queue when `current` reaches their key (a later one may be beyond the ring).
    // The push below is the hot loop's, written out again: a shared function would have to hand back
    // `chunks` (it may be reallocated) and costs a call per relaxation in the loop that is the job.
    while (nextSource < sourceCount && keys[nextSource] === current) {
      const index = sources[nextSource++]
      let chunk = ends[2 * slot] < 0 ? -1 : ends[2 * slot + 1]
      if (chunk < 0 || chunks[chunk + 1] === CHUNK - 2) {
        let fresh = freeChunk
        if (fresh >= 0) freeChunk = chunks[fresh]
        else {
          if (usedInts === chunks.length) chunks = grownCopy(chunks)
          fresh = usedInts
          usedInts += CHUNK
        }
        chunks[fresh] = -1
        chunks[fresh + 1] = 0
        if (chunk < 0) ends[2 * slot] = fresh
        else chunks[chunk] = fresh
        ends[2 * slot + 1] = fresh
        chunk = fresh
      }
      chunks[chunk + 2 + chunks[chunk + 1]++] = index
      size++
    }
    const first = ends[2 * slot]
    if (first >= 0) {
      // Every step costs at least one key unit, so nothing is pushed to the key being settled: its
      // whole list is copied out in FIFO order and its entries go back to the pool at once.
      ends[2 * slot] = -1
      let count = 0
      let chunk = first
      let last = first
      while (chunk >= 0) {
        const fill = chunks[chunk + 1]
        if (count + fill > batch.length) batch = grownCopy(batch)
        for (let at = chunk + 2, end = chunk + 2 + fill; at < end; at++) batch[count++] = chunks[at]
        last = chunk
        chunk = chunks[chunk]
      }
      chunks[last] = freeChunk
      freeChunk = first
      size -= count
      // The voxels of one key lie all over the box, so almost every read of their state and of
      // their neighbours' misses the cache; the time goes into waiting for memory, one miss after
      // another. Taken in groups, the misses are first issued together by tight loops with no
      // dependencies between iterations (the CPU overlaps them), then the group is settled from
      // the cache.
      for (let from = 0; from < count; from += GROUP) {
        const to = Math.min(count, from + GROUP)
        // Entries are pushed on every improvement (no decrease-key): one whose key is no longer
        // the voxel's is stale and is dropped here. Settling this key cannot change that (it only
        // pushes larger keys). A voxel may be listed twice at one key (a source that also took a
        // smaller label, in repair mode): settling it twice changes nothing the second time.
        let valid = from
        for (let p = from; p < to; p++) {
          const index = batch[p]
          if (cost[index] === current) batch[valid++] = index
        }
        for (let p = from; p < valid; p++) {
          const index = batch[p]
          touched += labels[index] + image[index]
          if (index >= nx) touched += cost[index - nx] + image[index - nx]
          if (index + nx < n) touched += cost[index + nx] + image[index + nx]
          if (index >= nxy) touched += cost[index - nxy] + image[index - nxy]
          if (index + nxy < n) touched += cost[index + nxy] + image[index + nxy]
        }
        for (let p = from; p < valid; p++) {
          const index = batch[p]
          const here = image[index]
          const label = labels[index]
          const k = (index / nxy) | 0
          const rest = index - k * nxy
          const j = (rest / nx) | 0
          const i = rest - j * nx
          let neighbours = 0
          if (i > 0) {
            neighbour[neighbours] = index - 1
            neighbourBase[neighbours++] = baseI
          }
          if (i < lastI) {
            neighbour[neighbours] = index + 1
            neighbourBase[neighbours++] = baseI
          }
          if (j > 0) {
            neighbour[neighbours] = index - nx
            neighbourBase[neighbours++] = baseJ
          }
          if (j < lastJ) {
            neighbour[neighbours] = index + nx
            neighbourBase[neighbours++] = baseJ
          }
          if (k > 0) {
            neighbour[neighbours] = index - nxy
            neighbourBase[neighbours++] = baseK
          }
          if (k < lastK) {
            neighbour[neighbours] = index + nxy
            neighbourBase[neighbours++] = baseK
          }
          for (let m = 0; m < neighbours; m++) {
            const next = neighbour[m]
            const base = neighbourBase[m]
            const known = cost[next]
            // A step adds at least `base`: a voxel already cheaper (settled ones included) cannot
            // improve, so its intensity is never read. One exactly that cheap may still take a
            // smaller label (the tie rule), so it goes on.
            if (known < current + base) continue
            const difference = image[next] - here
            let quanta = Math.round((difference < 0 ? -difference : difference) * inv)
            if (quanta > cap) quanta = cap
            const offset = quanta * KEY_PER_QUANTUM + base
            const key = current + offset
            if (key > known) continue
            if (key === known) {
              if (label >= labels[next]) continue
              labels[next] = label
              // From the seeds, the voxel is still queued at this key and not yet settled.
              if (!repair) continue
            } else {
              cost[next] = key
              labels[next] = label
            }
            let target = slot + offset
            if (target >= ring) target -= ring
            let chunk = ends[2 * target] < 0 ? -1 : ends[2 * target + 1]
            if (chunk < 0 || chunks[chunk + 1] === CHUNK - 2) {
              let fresh = freeChunk
              if (fresh >= 0) freeChunk = chunks[fresh]
              else {
                if (usedInts === chunks.length) chunks = grownCopy(chunks)
                fresh = usedInts
                usedInts += CHUNK
              }
              chunks[fresh] = -1
              chunks[fresh + 1] = 0
              if (chunk < 0) ends[2 * target] = fresh
              else chunks[chunk] = fresh
              ends[2 * target + 1] = fresh
              chunk = fresh
            }
            chunks[chunk + 2 + chunks[chunk + 1]++] = next
            size++
          }
        }
      }
    }
    current++
    slot++
    if (slot === ring) slot = 0
  }
  readAhead = touched
}

/** The first size of the copy of a key's voxels (it doubles as needed). */
const INITIAL_BATCH = 4096
/** Ints per queue chunk (64 bytes): the next chunk's id, the count, 14 voxels. */
const CHUNK = 16
/** The queue's first pool of chunks (it doubles as the frontier grows). */
const INITIAL_CHUNKS = 1024
/**
 * Voxels settled per group: the lines read ahead for them (up to 11 each: own label and intensity,
 * four neighbours' keys and intensities) stay in the L1/L2 cache until the group is settled.
 */
const GROUP = 64
/** The last run's read-ahead sum: stored so that the engine cannot drop the reads as unused. */
export let readAhead = 0

function grownCopy(array: Int32Array): Int32Array<ArrayBuffer> {
  const copy = new Int32Array(array.length * 2)
  copy.set(array)
  return copy
}
