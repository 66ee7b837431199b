/**
 * The keep-largest-component kernel against a brute-force flood fill (recursion-free DFS over
 * explicit coordinates) on random label maps, for both connectivities and every kind of target,
 * plus the cases that decide its semantics: diagonal contact, ties, untouched labels, no mutation.
 */
import { describe, expect, it } from 'vitest'
import { keepLargestComponent, type Connectivity } from '../../../../src/engine/infer/largestComponent'
import { createRandom } from '../../../../src/shared/random'
import type { Vec3 } from '../../../../src/shared/volume'

/** Reference: flood fill each component of the mask, keep those of maximal size. */
function bruteForce(labels: Uint8Array | Uint16Array, dims: Vec3, target: readonly number[] | 'foreground', connectivity: Connectivity): Uint8Array | Uint16Array {
  const [nx, ny, nz] = dims
  const inMask = (v: number): boolean => (target === 'foreground' ? v !== 0 : target.includes(v))
  const component = new Int32Array(labels.length).fill(-1)
  const sizes: number[] = []
  for (let start = 0; start < labels.length; start++) {
    if (component[start] !== -1 || !inMask(labels[start] as number)) continue
    const id = sizes.length
    let size = 0
    const stack = [start]
    component[start] = id
    while (stack.length) {
      const v = stack.pop() as number
      size++
      const [i, j, k] = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))]
      for (let dk = -1; dk <= 1; dk++) {
        for (let dj = -1; dj <= 1; dj++) {
          for (let di = -1; di <= 1; di++) {
            const hops = Math.abs(di) + Math.abs(dj) + Math.abs(dk)
            if (hops === 0 || (connectivity === 6 && hops !== 1)) continue
            const [a, b, c] = [i + di, j + dj, k + dk]
            if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue
            const w = a + nx * (b + ny * c)
            if (component[w] === -1 && inMask(labels[w] as number)) {
              component[w] = id
              stack.push(w)
            }
          }
        }
      }
    }
    sizes.push(size)
  }
  const largest = Math.max(0, ...sizes)
  const out = labels.slice()
  for (let v = 0; v < out.length; v++) {
    const id = component[v] as number
    if (id !== -1 && sizes[id] !== largest) out[v] = 0
  }
  return out
}

function randomMap(dims: Vec3, density: number, maxLabel: number, seed: number, wide = false): Uint8Array | Uint16Array {
  const random = createRandom(seed)
  const n = dims[0] * dims[1] * dims[2]
  const out = wide ? new Uint16Array(n) : new Uint8Array(n)
  for (let v = 0; v < n; v++) if (random.next() < density) out[v] = wide ? 300 + random.int(0, maxLabel - 1) : random.int(1, maxLabel)
  return out
}

describe('keepLargestComponent', () => {
  it('matches a brute-force flood fill on random maps (6 and 26 connectivity, foreground and label sets, odd grids)', () => {
    let trials = 0
    let removedSomewhere = 0
    for (let seed = 1; seed <= 40; seed++) {
      const random = createRandom(seed * 7919)
      const dims: Vec3 = [random.int(1, 10), random.int(2, 10), random.int(2, 10)]
      // Densities around the percolation thresholds give many components of similar sizes (ties too).
      const density = [0.1, 0.25, 0.35, 0.5][seed % 4] as number
      const labels = randomMap(dims, density, 3, seed)
      for (const connectivity of [6, 26] as const) {
        for (const target of ['foreground', [1], [2, 3]] as const) {
          const expected = bruteForce(labels, dims, target, connectivity)
          const got = keepLargestComponent(labels, dims, target, connectivity)
          expect(Array.from(got.labels)).toEqual(Array.from(expected))
          let removed = 0
          for (let v = 0; v < labels.length; v++) if (labels[v] !== expected[v]) removed++
          expect(got.removedVoxels).toBe(removed)
          trials++
          if (removed > 0) removedSomewhere++
        }
      }
    }
    expect(trials).toBe(240)
    // The comparison means something only if most trials removed voxels.
    expect(removedSomewhere).toBeGreaterThan(trials / 2)
  })

  it('works on 16-bit label maps with ids above 255 and returns the same array type', () => {
    const dims: Vec3 = [7, 6, 5]
    const labels = randomMap(dims, 0.3, 2, 5, true)
    const got = keepLargestComponent(labels, dims, [300])
    expect(got.labels).toBeInstanceOf(Uint16Array)
    expect(Array.from(got.labels)).toEqual(Array.from(bruteForce(labels, dims, [300], 26)))
    expect(got.removedVoxels).toBeGreaterThan(0)
  })

  it('26-connectivity (nnU-Net v2, the default) joins voxels touching at a corner; 6-connectivity does not', () => {
    const dims: Vec3 = [4, 4, 4]
    const labels = new Uint8Array(64)
    const at = (i: number, j: number, k: number): number => i + 4 * (j + 4 * k)
    labels[at(0, 0, 0)] = 1
    labels[at(1, 0, 0)] = 1 // a 2-voxel piece
    labels[at(2, 1, 1)] = 1 // touches (1,0,0) only at a corner
    labels[at(3, 3, 3)] = 1 // far away
    expect(keepLargestComponent(labels, dims, 'foreground').labels[at(2, 1, 1)]).toBe(1)
    expect(keepLargestComponent(labels, dims, 'foreground').labels[at(3, 3, 3)]).toBe(0)
    const faces = keepLargestComponent(labels, dims, 'foreground', 6)
    expect([at(0, 0, 0), at(1, 0, 0), at(2, 1, 1), at(3, 3, 3)].map((v) => faces.labels[v])).toEqual([1, 1, 0, 0])
    expect(faces.components).toBe(3)
  })

  it('treats the target labels as one mask (foreground: touching labels form one component) and leaves other labels alone', () => {
    const dims: Vec3 = [10, 1, 1]
    // 1 1 2 2 0 1 0 3 3 3: the foreground's largest piece is "1 1 2 2"; label 3's run is separate.
    const labels = Uint8Array.from([1, 1, 2, 2, 0, 1, 0, 3, 3, 3])
    expect(Array.from(keepLargestComponent(labels, dims, 'foreground').labels)).toEqual([1, 1, 2, 2, 0, 0, 0, 0, 0, 0])
    // Label 1 alone: pieces of 2 and 1 voxels; labels 2 and 3 untouched.
    expect(Array.from(keepLargestComponent(labels, dims, [1]).labels)).toEqual([1, 1, 2, 2, 0, 0, 0, 3, 3, 3])
  })

  it('keeps every component tied for largest (as nnU-Net v2), and never changes its input', () => {
    const labels = Uint8Array.from([1, 1, 0, 1, 1, 0, 1])
    const copy = labels.slice()
    const got = keepLargestComponent(labels, [7, 1, 1], 'foreground')
    expect(Array.from(got.labels)).toEqual([1, 1, 0, 1, 1, 0, 0])
    expect(got).toMatchObject({ removedVoxels: 1, components: 3 })
    expect(labels).toEqual(copy)
    expect(got.labels).not.toBe(labels)
  })

  it('an empty mask or a single component comes back unchanged', () => {
    expect(keepLargestComponent(new Uint8Array(8), [2, 2, 2], 'foreground')).toMatchObject({ removedVoxels: 0, components: 0 })
    expect(Array.from(keepLargestComponent(Uint8Array.from([0, 2, 2, 0]), [4, 1, 1], [2]).labels)).toEqual([0, 2, 2, 0])
  })

  it('refuses a map that does not fit the grid, bad dims, label 0 as a target and other connectivities', () => {
    expect(() => keepLargestComponent(new Uint8Array(7), [2, 2, 2], 'foreground')).toThrow(/7 voxels, grid \[2, 2, 2\] has 8/)
    expect(() => keepLargestComponent(new Uint8Array(0), [0, 2, 2], 'foreground')).toThrow(/positive integers/)
    expect(() => keepLargestComponent(new Uint8Array(8), [2, 2, 2], [0])).toThrow(/1–65535, got 0/)
    expect(() => keepLargestComponent(new Uint8Array(8), [2, 2, 2], 'foreground', 18 as Connectivity)).toThrow(/6 or 26/)
  })
})
