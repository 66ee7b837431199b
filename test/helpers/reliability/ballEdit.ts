import type { LabelEdit } from '../../../src/main/services/project/labelJournal'

/** Every voxel of a ball (clipped to the grid [nx, ny, nz]) set to `value`: a brush stroke's edit. */
export function ballEdit(dims: readonly [number, number, number], centre: readonly [number, number, number], radius: number, value: number): LabelEdit {
  const [nx, ny, nz] = dims
  const [ci, cj, ck] = centre
  const indices: number[] = []
  for (let k = Math.max(0, ck - radius); k <= Math.min(nz - 1, ck + radius); k++) {
    for (let j = Math.max(0, cj - radius); j <= Math.min(ny - 1, cj + radius); j++) {
      for (let i = Math.max(0, ci - radius); i <= Math.min(nx - 1, ci + radius); i++) {
        if ((i - ci) ** 2 + (j - cj) ** 2 + (k - ck) ** 2 <= radius * radius) indices.push(i + nx * (j + ny * k))
      }
    }
  }
  return { indices: Uint32Array.from(indices), values: new Uint8Array(indices.length).fill(value) }
}
