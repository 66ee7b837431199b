import { createRng } from '../../../src/main/services/demo/seededRandom'
import type { LabelEdit } from '../../../src/main/services/project/labelJournal'

/** The edit stream of the disk-full harness, identical for a seed in the harness and its child. */

export const DISK_FULL_DIMS: [number, number, number] = [32, 32, 24]
export const DISK_FULL_CASE = 'alpha'
export const DISK_FULL_MAX_EDITS = 100_000

/** Brush-sized strokes (some kilobytes of journal each) with values 0..3 (0 erases). */
export function diskFullEditStream(seed: number): () => LabelEdit {
  const rng = createRng(seed)
  const [nx, ny, nz] = DISK_FULL_DIMS
  return () => {
    const radius = rng.int(2, 5)
    const [ci, cj, ck] = [rng.int(0, nx - 1), rng.int(0, ny - 1), rng.int(0, nz - 1)]
    const value = rng.int(0, 3)
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
}
