/**
 * The grow-from-seeds competition exactly as kernel.ts ran it before its hot loop was rewritten for
 * speed (a closure per relaxation and a bucket-queue class): kept as the reference the fast kernel
 * must match label for label, because the fast one's queue order is the only thing that decides exact
 * ties and a brute-force oracle cannot pin those down.
 */
import { VoxloopError } from '../../../../../src/shared/errors'
import {
  KEY_PER_QUANTUM,
  MAX_STEP_QUANTA,
  stepBaseKeys,
  type GrowRequest,
  type GrowResult
} from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'

/** The key of a voxel no seed has reached yet. */
const UNREACHED = 0xffffffff

/**
 * The competition itself (the worker's whole job). Every box voxel ends with the label value of the
 * seed that reaches it with the lowest (cost, geodesic mm) path; seeds keep their own value.
 */
export function referenceGrowFromSeeds(request: GrowRequest): GrowResult {
  const { dims, spacing, image, seedIndices, seedValues, quantum, costPerMm } = request
  const [nx, ny, nz] = dims
  const nxy = nx * ny
  const n = nxy * nz
  if (!(nx >= 1 && ny >= 1 && nz >= 1) || image.length !== n) {
    throw new VoxloopError('INVALID_ARGUMENT', `grow request image has ${image.length} values for a ${dims.join('×')} box`)
  }
  if (seedIndices.length !== seedValues.length || seedIndices.length === 0) {
    throw new VoxloopError('INVALID_ARGUMENT', 'grow request needs at least one seed, with one value per seed index')
  }
  if (!(costPerMm >= 0) || !Number.isFinite(costPerMm)) throw new VoxloopError('INVALID_ARGUMENT', `costPerMm must be ≥ 0, got ${costPerMm}`)
  if (!(quantum > 0) || !Number.isFinite(quantum)) throw new VoxloopError('INVALID_ARGUMENT', `quantum must be > 0, got ${quantum}`)

  const [baseI, baseJ, baseK] = stepBaseKeys(spacing, quantum, costPerMm)
  const maxStep = MAX_STEP_QUANTA * KEY_PER_QUANTUM + Math.max(baseI, baseJ, baseK)
  // Uint32 keys: half the memory traffic of doubles, and a shortest path is never longer than the
  // straight staircase of nx + ny + nz steps, so no key can pass this bound.
  if ((nx + ny + nz) * maxStep >= UNREACHED) {
    throw new VoxloopError('INVALID_ARGUMENT', `a ${dims.join('×')} box is too long for grow from seeds' path keys: seed a shorter region`)
  }
  const cost = new Uint32Array(n).fill(UNREACHED)
  const labels = new Uint16Array(n)
  const queue = new BucketQueue(maxStep + 1)

  // Seeds in index order, each once (the later value given for a voxel wins).
  const order = Array.from(seedIndices.keys()).sort((a, b) => seedIndices[a] - seedIndices[b] || b - a)
  let previous = -1
  for (const s of order) {
    const index = seedIndices[s]
    if (index >>> 0 !== index || index >= n) throw new VoxloopError('INVALID_ARGUMENT', `seed index ${index} is outside the ${dims.join('×')} box`)
    if (index === previous) continue
    previous = index
    labels[index] = seedValues[s]
    cost[index] = 0
    queue.push(0, index)
  }

  const inv = 1 / quantum
  const cap = MAX_STEP_QUANTA
  let current = 0
  let here = 0
  let label = 0
  /** Offers `next` the path through the voxel being settled (key `current`, intensity `here`). */
  const relax = (next: number, base: number): void => {
    const difference = image[next] - here
    let quanta = Math.round((difference < 0 ? -difference : difference) * inv)
    if (quanta > cap) quanta = cap
    const key = current + quanta * KEY_PER_QUANTUM + base
    if (key >= cost[next]) return
    cost[next] = key
    labels[next] = label
    queue.push(key - current, next)
  }
  for (;;) {
    const index = queue.popAt(current)
    if (index < 0) {
      if (queue.size === 0) break
      current++
      continue
    }
    // Entries are pushed on every improvement (no decrease-key): one whose key is no longer the
    // voxel's is stale. A voxel's keys are distinct (only strict improvements are pushed).
    if (cost[index] !== current) continue
    here = image[index]
    label = labels[index]
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    // The six neighbours written out (a loop with a switch ran ~25 % slower on a 13 M voxel box).
    if (i > 0) relax(index - 1, baseI)
    if (i < nx - 1) relax(index + 1, baseI)
    if (j > 0) relax(index - nx, baseJ)
    if (j < ny - 1) relax(index + nx, baseJ)
    if (k > 0) relax(index - nxy, baseK)
    if (k < nz - 1) relax(index + nxy, baseK)
  }
  return { box: request.box, dims: [nx, ny, nz], labels }
}

/**
 * Dial's bucket queue for monotone integer keys: a ring of FIFO lists, one per key modulo the ring
 * size (larger than any step, so the keys waiting are always within one turn of the ring). Entries
 * come from a pool with a free list, so the pool grows to the frontier's size, not the box's.
 */
class BucketQueue {
  private readonly heads: Int32Array
  private readonly tails: Int32Array
  private next: Int32Array
  private voxel: Int32Array
  private free = -1
  private used = 0
  /** The ring slot of the key being popped. */
  private slot = 0
  private slotKey = 0
  size = 0

  constructor(private readonly ring: number) {
    this.heads = new Int32Array(ring).fill(-1)
    this.tails = new Int32Array(ring).fill(-1)
    this.next = new Int32Array(4096)
    this.voxel = new Int32Array(4096)
  }

  /** Queues `index` at `offset` key units after the key being popped (the seeds: 0). */
  push(offset: number, index: number): void {
    let entry = this.free
    if (entry >= 0) this.free = this.next[entry]
    else {
      if (this.used === this.voxel.length) this.grow()
      entry = this.used++
    }
    this.voxel[entry] = index
    this.next[entry] = -1
    let slot = this.slot + offset
    if (slot >= this.ring) slot -= this.ring
    const tail = this.tails[slot]
    if (tail < 0) this.heads[slot] = entry
    else this.next[tail] = entry
    this.tails[slot] = entry
    this.size++
  }

  /** The next voxel queued at `key` (keys are asked for in increasing order), or -1 when none is left. */
  popAt(key: number): number {
    if (key !== this.slotKey) {
      this.slot += key - this.slotKey
      while (this.slot >= this.ring) this.slot -= this.ring
      this.slotKey = key
    }
    const entry = this.heads[this.slot]
    if (entry < 0) return -1
    const after = this.next[entry]
    this.heads[this.slot] = after
    if (after < 0) this.tails[this.slot] = -1
    this.next[entry] = this.free
    this.free = entry
    this.size--
    return this.voxel[entry]
  }

  private grow(): void {
    const next = new Int32Array(this.voxel.length * 2)
    const voxel = new Int32Array(this.voxel.length * 2)
    next.set(this.next)
    voxel.set(this.voxel)
    this.next = next
    this.voxel = voxel
  }
}
