/**
 * Grow from seeds written the plain way, as the oracle the fast kernel (and the two-worker split)
 * must match label for label: Dijkstra on (path key, label value) pairs compared lexicographically,
 * with a binary heap and no speed tricks. The pairs form a totally ordered set and every step adds at
 * least one key unit, so each voxel's pair when it is first popped is the smallest over all seeds:
 * the cheapest path, and among equally cheap ones the smallest label. That answer is unique, so any
 * correct implementation gives exactly these labels.
 *
 * A step's key is written out from its definition: intensity quanta (|Δ| / quantum rounded, at most
 * MAX_STEP_QUANTA) × KEY_PER_QUANTUM, plus the axis's length-and-locality units (`stepBaseKeys`).
 */
import {
  KEY_PER_QUANTUM,
  MAX_STEP_QUANTA,
  stepBaseKeys,
  type GrowRequest,
  type GrowResult
} from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'

/** A heap entry: the pair offered to a voxel. */
interface Entry {
  key: number
  label: number
  index: number
}

const before = (a: Entry, b: Entry): boolean => a.key < b.key || (a.key === b.key && a.label < b.label)

export function referenceGrowFromSeeds(request: GrowRequest): GrowResult {
  const { dims, spacing, image, seedIndices, seedValues, quantum, costPerMm } = request
  const [nx, ny, nz] = dims
  const n = nx * ny * nz
  const base = stepBaseKeys(spacing, quantum, costPerMm)
  // The kernel multiplies by 1 / quantum; the same expression here, so that a half-way rounding
  // cannot go one way in one and the other way in the other.
  const inverse = 1 / quantum
  const stepKey = (from: number, to: number, axis: number): number =>
    Math.min(MAX_STEP_QUANTA, Math.round(Math.abs(image[to] - image[from]) * inverse)) * KEY_PER_QUANTUM + base[axis]

  const key = new Float64Array(n).fill(Infinity)
  const labels = new Uint16Array(n)
  const done = new Uint8Array(n)
  const heap = new MinHeap()
  // A voxel listed twice keeps the later value (the later stroke painted over it).
  const seeds = new Map<number, number>()
  seedIndices.forEach((index, s) => seeds.set(index, seedValues[s]))
  for (const [index, value] of seeds) {
    key[index] = 0
    labels[index] = value
    heap.push({ key: 0, label: value, index })
  }
  for (let entry = heap.pop(); entry; entry = heap.pop()) {
    const { index } = entry
    if (done[index] || entry.key !== key[index] || entry.label !== labels[index]) continue
    done[index] = 1
    const i = index % nx
    const j = Math.floor(index / nx) % ny
    const k = Math.floor(index / (nx * ny))
    const steps: Array<[number, number]> = []
    if (i > 0) steps.push([index - 1, 0])
    if (i < nx - 1) steps.push([index + 1, 0])
    if (j > 0) steps.push([index - nx, 1])
    if (j < ny - 1) steps.push([index + nx, 1])
    if (k > 0) steps.push([index - nx * ny, 2])
    if (k < nz - 1) steps.push([index + nx * ny, 2])
    for (const [next, axis] of steps) {
      if (done[next]) continue
      const offer: Entry = { key: entry.key + stepKey(index, next, axis), label: entry.label, index: next }
      if (before(offer, { key: key[next], label: labels[next], index: next })) {
        key[next] = offer.key
        labels[next] = offer.label
        heap.push(offer)
      }
    }
  }
  return { box: request.box, dims: [nx, ny, nz], labels }
}

/** A binary min-heap of entries ordered by (key, label). */
class MinHeap {
  private readonly items: Entry[] = []

  push(entry: Entry): void {
    const items = this.items
    items.push(entry)
    let at = items.length - 1
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (!before(items[at], items[parent])) break
      ;[items[at], items[parent]] = [items[parent], items[at]]
      at = parent
    }
  }

  pop(): Entry | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last) {
      items[0] = last
      let at = 0
      for (;;) {
        const left = 2 * at + 1
        const right = left + 1
        let smallest = at
        if (left < items.length && before(items[left], items[smallest])) smallest = left
        if (right < items.length && before(items[right], items[smallest])) smallest = right
        if (smallest === at) break
        ;[items[at], items[smallest]] = [items[smallest], items[at]]
        at = smallest
      }
    }
    return top
  }
}
