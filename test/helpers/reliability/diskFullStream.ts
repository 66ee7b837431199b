import { createRng } from '../../../src/main/services/demo/seededRandom'
import type { LabelEdit } from '../../../src/main/services/project/labelJournal'
import { ballEdit } from './ballEdit'

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
    return ballEdit(DISK_FULL_DIMS, [ci, cj, ck], radius, value)
  }
}
