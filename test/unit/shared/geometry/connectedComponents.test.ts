/**
 * The shared component kernel against a union-find over explicit coordinates on random label maps
 * (both connectivities, per value and as one mask, 8- and 16-bit labels), plus the rules the islands
 * tool and keep-largest-component rely on: memory order, first voxel first, no wrap across rows or
 * slices, marks that stop growth.
 */
import { describe, expect, it } from 'vitest'
import { forEachComponent, growComponent, labelTable, type Connectivity } from '../../../../src/shared/geometry/connectedComponents'
import { IndexBuffer } from '../../../../src/shared/geometry/indexBuffer'
import { VoxelMarks } from '../../../../src/shared/geometry/voxelMarks'
import { createRandom } from '../../../../src/shared/random'
import type { LabelArray, Vec3 } from '../../../../src/shared/volume'

/** Reference: union-find over every pair of neighbouring member voxels; returns each voxel's root (-1: not a member). */
function referenceRoots(labels: LabelArray, dims: Vec3, member: (v: number) => boolean, connectivity: Connectivity, perValue: boolean): Int32Array {
  const [nx, ny, nz] = dims
  const parent = Int32Array.from({ length: labels.length }, (_, v) => v)
  const find = (v: number): number => {
    while (parent[v] !== v) v = parent[v] = parent[parent[v]]
    return v
  }
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k)
        if (!member(labels[v])) continue
        for (let dk = -1; dk <= 1; dk++) {
          for (let dj = -1; dj <= 1; dj++) {
            for (let di = -1; di <= 1; di++) {
              const hops = Math.abs(di) + Math.abs(dj) + Math.abs(dk)
              if (hops === 0 || (connectivity === 6 && hops !== 1)) continue
              const [a, b, c] = [i + di, j + dj, k + dk]
              if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue
              const w = a + nx * (b + ny * c)
              if (!member(labels[w]) || (perValue && labels[w] !== labels[v])) continue
              parent[find(w)] = find(v)
            }
          }
        }
      }
    }
  }
  return Int32Array.from({ length: labels.length }, (_, v) => (member(labels[v]) ? find(v) : -1))
}

function randomMap(dims: Vec3, density: number, values: readonly number[], seed: number, wide: boolean): LabelArray {
  const random = createRandom(seed)
  const n = dims[0] * dims[1] * dims[2]
  const out = wide ? new Uint16Array(n) : new Uint8Array(n)
  for (let v = 0; v < n; v++) if (random.next() < density) out[v] = random.pick(values)
  return out
}

/** Components as forEachComponent reports them (copied: the views are valid only during the call). */
function components(labels: LabelArray, dims: Vec3, members: Uint8Array, connectivity: Connectivity, perValue: boolean): Array<{ voxels: number[]; value: number }> {
  const out: Array<{ voxels: number[]; value: number }> = []
  forEachComponent(labels, dims, members, { connectivity, perValue }, (component, value) => out.push({ voxels: Array.from(component), value }))
  return out
}

describe('forEachComponent', () => {
  it('finds the same components as a union-find on random maps, in memory order of their first voxel', () => {
    let trials = 0
    let manyComponents = 0
    for (let seed = 1; seed <= 30; seed++) {
      const random = createRandom(seed * 104729)
      const dims: Vec3 = [random.int(1, 9), random.int(1, 9), random.int(1, 9)]
      const wide = seed % 3 === 0
      const values = wide ? [2, 300, 4000] : [1, 2, 3]
      const labels = randomMap(dims, [0.2, 0.35, 0.5][seed % 3] as number, values, seed, wide)
      for (const connectivity of [6, 26] as const) {
        for (const perValue of [true, false]) {
          for (const target of ['foreground', [values[1] as number], [values[0] as number, values[2] as number]] as const) {
            const member = (v: number): boolean => (target === 'foreground' ? v !== 0 : target.includes(v))
            const roots = referenceRoots(labels, dims, member, connectivity, perValue)
            const found = components(labels, dims, labelTable(labels, target), connectivity, perValue)
            const classSizes = new Map<number, number>()
            for (const root of roots) if (root !== -1) classSizes.set(root, (classSizes.get(root) ?? 0) + 1)
            // Every member voxel lies in exactly one reported component, each a whole reference class.
            const seen = new Int32Array(labels.length).fill(-1)
            const wrong: string[] = []
            found.forEach(({ voxels, value }, c) => {
              const first = voxels[0] as number
              if (first !== Math.min(...voxels)) wrong.push(`component ${c} does not start at its first voxel`)
              if (value !== labels[first]) wrong.push(`component ${c} reports value ${value}, its first voxel holds ${labels[first]}`)
              const root = roots[first] as number
              for (const v of voxels) {
                if (seen[v] !== -1) wrong.push(`voxel ${v} in components ${seen[v]} and ${c}`)
                seen[v] = c
                if (roots[v] !== root) wrong.push(`component ${c} joins voxels ${first} and ${v} of different classes`)
              }
              if (voxels.length !== classSizes.get(root)) wrong.push(`component ${c} has ${voxels.length} voxels, its class ${classSizes.get(root) ?? 0}`)
            })
            for (let v = 0; v < labels.length; v++) if ((seen[v] !== -1) !== (roots[v] !== -1)) wrong.push(`voxel ${v}: member ${roots[v] !== -1}, reported ${seen[v] !== -1}`)
            expect(wrong).toEqual([])
            const firsts = found.map(({ voxels }) => voxels[0] as number)
            expect(firsts).toEqual([...firsts].sort((a, b) => a - b))
            trials++
            if (found.length >= 3) manyComponents++
          }
        }
      }
    }
    expect(trials).toBe(360)
    // The comparison means something only if most maps split into several components.
    expect(manyComponents).toBeGreaterThan(trials / 2)
  })

  it('per value, touching labels are separate components; as one mask they join', () => {
    // 1 1 2 2 0 1: per value three components (1 1 | 2 2 | 1), as a mask two (1 1 2 2 | 1).
    const labels = Uint8Array.from([1, 1, 2, 2, 0, 1])
    const dims: Vec3 = [6, 1, 1]
    const members = labelTable(labels, 'foreground')
    expect(components(labels, dims, members, 6, true)).toEqual([
      { voxels: [0, 1], value: 1 },
      { voxels: [2, 3], value: 2 },
      { voxels: [5], value: 1 }
    ])
    expect(components(labels, dims, members, 6, false)).toEqual([
      { voxels: [0, 1, 2, 3], value: 1 },
      { voxels: [5], value: 1 }
    ])
  })

  it('does not join the end of a row to the start of the next, nor the last row of a slice to the next slice', () => {
    // 3×2×2: (2,0,0) and (0,1,0) are neighbours in memory only; so are (2,1,0) and (0,0,1).
    const labels = new Uint8Array(12)
    const at = (i: number, j: number, k: number): number => i + 3 * (j + 2 * k)
    for (const v of [at(2, 0, 0), at(0, 1, 0), at(2, 1, 0), at(0, 0, 1)]) labels[v] = 1
    const members = labelTable(labels, [1])
    for (const connectivity of [6, 26] as const) {
      const sizes = components(labels, [3, 2, 2], members, connectivity, false).map((c) => c.voxels.length)
      // (2,0,0)–(2,1,0) share a face; (0,1,0)–(0,0,1) share only an edge, so join at 26 alone.
      // Index arithmetic that wrapped would join all four into one component.
      expect(sizes).toEqual(connectivity === 6 ? [2, 1, 1] : [2, 2])
    }
  })
})

describe('growComponent', () => {
  it('grows from the seed only through unmarked member voxels, marks them, and leaves them in the queue seed first', () => {
    // 8×1×1 row of label 5 with a 0 at 6: from seed 3, with voxel 1 already marked, grows 2..5.
    const labels = Uint8Array.from([5, 5, 5, 5, 5, 5, 0, 5])
    const marks = new VoxelMarks(labels.length)
    marks.mark(1)
    const queue = new IndexBuffer(16)
    const size = growComponent(labels, [8, 1, 1], 3, labelTable(labels, [5]), 6, marks, queue)
    expect(size).toBe(4)
    expect(Array.from(queue.view())).toEqual([3, 2, 4, 5])
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((v) => marks.has(v))).toEqual([false, true, true, true, true, true, false, false])
  })

  it('26-connectivity reaches a voxel touching only at a corner; 6-connectivity does not', () => {
    const labels = new Uint8Array(8)
    labels[0] = 1 // (0,0,0)
    labels[7] = 1 // (1,1,1)
    const members = labelTable(labels, 'foreground')
    expect(growComponent(labels, [2, 2, 2], 0, members, 26, new VoxelMarks(8), new IndexBuffer())).toBe(2)
    expect(growComponent(labels, [2, 2, 2], 0, members, 6, new VoxelMarks(8), new IndexBuffer())).toBe(1)
  })
})

describe('labelTable', () => {
  it('covers the array type’s whole value range; foreground is every non-zero value; values the array cannot hold are left out', () => {
    const narrow = labelTable(new Uint8Array(1), [3, 300])
    expect(narrow.length).toBe(256)
    expect(Array.from(narrow).flatMap((m, v) => (m ? [v] : []))).toEqual([3])
    const wide = labelTable(new Uint16Array(1), 'foreground')
    expect(wide.length).toBe(65536)
    expect([wide[0], wide[1], wide[65535]]).toEqual([0, 1, 1])
  })
})
