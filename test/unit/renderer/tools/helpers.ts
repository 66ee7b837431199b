/** Small builders shared by the tools tests: hand-checkable grids and voxel sets. */
import type { Vec3 } from '../../../../src/shared/volume'
import { ijkFromIndex, makeGrid, type VoxelGrid } from '../../../../src/renderer/src/tools/core/grid'

export function grid(dims: Vec3, spacing: Vec3 = [1, 1, 1]): VoxelGrid {
  return makeGrid(dims, spacing)
}

/** Voxel indices as "i,j,k" strings, sorted, for readable set comparisons. */
export function ijkKeys(g: VoxelGrid, indices: ArrayLike<number>): string[] {
  return Array.from(indices, (index) => ijkFromIndex(g, index).join(',')).sort()
}

/** Offsets of voxel indices from a centre voxel, as "di,dj,dk" strings, sorted. */
export function offsetKeys(g: VoxelGrid, indices: ArrayLike<number>, centre: Vec3): string[] {
  return Array.from(indices, (index) => {
    const [i, j, k] = ijkFromIndex(g, index)
    return `${i - centre[0]},${j - centre[1]},${k - centre[2]}`
  }).sort()
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

/** Sets label `value` on every voxel (i, j, k) of `g` for which `inside` is true. */
export function paintWhere(labels: Uint8Array | Uint16Array, g: VoxelGrid, value: number, inside: (i: number, j: number, k: number) => boolean): void {
  const [nx, ny, nz] = g.dims
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (inside(i, j, k)) labels[i + nx * (j + ny * k)] = value
}
