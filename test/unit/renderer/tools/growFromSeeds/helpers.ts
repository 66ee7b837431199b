/** Builders for the grow-from-seeds tests: grids, images painted by a formula, seeds by ijk. */
import { indexFromIjk, makeGrid, type VoxelGrid } from '../../../../../src/renderer/src/tools/core/grid'
import type { Seeds } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import type { Vec3 } from '../../../../../src/shared/volume'

export function grid(dims: Vec3, spacing: Vec3 = [1, 1, 1]): VoxelGrid {
  return makeGrid(dims, spacing)
}

/** Seeds from (ijk, label value) pairs, in the order given. */
export function seedsOf(g: VoxelGrid, list: Array<[Vec3, number]>): Seeds {
  return {
    indices: Uint32Array.from(list.map(([ijk]) => indexFromIjk(g, ...ijk))),
    values: Uint16Array.from(list.map(([, value]) => value))
  }
}

/** A float image whose voxel (i, j, k) holds `value(i, j, k)`. */
export function imageWhere(g: VoxelGrid, value: (i: number, j: number, k: number) => number): Float32Array {
  const [nx, ny, nz] = g.dims
  const out = new Float32Array(nx * ny * nz)
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[indexFromIjk(g, i, j, k)] = value(i, j, k)
  return out
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A random volume's recipe (kernelEquivalence and protocol tests). */
export interface Case {
  seed: number
  dims: Vec3
  spacing: Vec3
  /** Intensity levels (few levels: many exact ties) and noise amplitude. */
  levels: number
  noise: number
  /** Seeds per class; class 0 is background (value 0). */
  perClass: number
  classes: number
  locality: number
}

/** A blocky image (random levels on 4-voxel cells, so there are edges and plateaus) plus noise. */
export function randomVolume(c: Case): { image: Float32Array; indices: Uint32Array; values: Uint16Array } {
  const random = seededRandom(c.seed)
  const [nx, ny, nz] = c.dims
  const cells = new Map<string, number>()
  const image = new Float32Array(nx * ny * nz)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const cell = `${i >> 2},${j >> 2},${k >> 2}`
        let level = cells.get(cell)
        if (level === undefined) {
          level = Math.floor(random() * c.levels) * 100
          cells.set(cell, level)
        }
        image[i + nx * (j + ny * k)] = level + (c.noise > 0 ? Math.round(random() * c.noise * 10) / 10 : 0)
      }
    }
  }
  const indices: number[] = []
  const values: number[] = []
  for (let value = 0; value < c.classes; value++) {
    for (let s = 0; s < c.perClass; s++) {
      indices.push(Math.floor(random() * image.length))
      values.push(value)
    }
  }
  return { image, indices: Uint32Array.from(indices), values: Uint16Array.from(values) }
}
