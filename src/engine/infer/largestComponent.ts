/**
 * "Remove all but the largest connected component" of a set of labels in a 3D label map, the
 * post-processing nnU-Net chooses on validation (remove_all_but_largest_component_from_segmentation).
 *
 * As nnU-Net v2 does it: the voxels holding any of the target labels form one mask; its components
 * are found with full (26-) connectivity (skimage's `label` with connectivity=None, which
 * acvl_utils calls) — nnU-Net v1 used scipy's 6-connectivity, kept here as an option; every
 * component as large as the largest is kept (ties keep all, as acvl_utils' filter does); the
 * other components' voxels become background (0). The input is not changed.
 *
 * Memory stays at two bits per voxel plus a queue as long as the largest component: pass 1 grows
 * each component breadth-first and remembers only its first voxel and size, pass 2 regrows the
 * winners into a keep set. (The renderer's islands tool, on the same bit set and index list, does
 * per-label-value components with 6-connectivity and first-met tie-breaking for manual clean-up;
 * this one follows nnU-Net.)
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelArray, Vec3 } from '../../shared/volume'
// The bit set and index list the renderer's region tools use too (no per-voxel boxing for millions of voxels).
import { IndexBuffer } from '../../shared/geometry/indexBuffer'
import { VoxelMarks } from '../../shared/geometry/voxelMarks'

/** 6: faces only; 26: faces, edges and corners (nnU-Net v2's default). */
export type Connectivity = 6 | 26

export const DEFAULT_CONNECTIVITY: Connectivity = 26

export interface LargestComponentResult<T extends LabelArray> {
  /** A new label map: the input with the smaller components of the targeted mask set to 0. */
  labels: T
  /** Voxels set to 0. */
  removedVoxels: number
  /** Components the mask had. */
  components: number
}

/** Neighbour offsets [di, dj, dk] of a voxel. */
function neighbourOffsets(connectivity: Connectivity): Int8Array {
  const out: number[] = []
  for (let dk = -1; dk <= 1; dk++) {
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) {
        const hops = Math.abs(di) + Math.abs(dj) + Math.abs(dk)
        if (hops === 0 || (connectivity === 6 && hops > 1)) continue
        out.push(di, dj, dk)
      }
    }
  }
  return Int8Array.from(out)
}

/** Whether a voxel value belongs to the mask: any non-zero label, or one of the given ids. */
function maskTest(target: readonly number[] | 'foreground'): (value: number) => boolean {
  if (target === 'foreground') return (value) => value !== 0
  for (const id of target) {
    if (!(Number.isInteger(id) && id >= 1 && id <= 0xffff)) throw new VoxloopError('INVALID_ARGUMENT', `label ids to keep the largest component of must be integers 1–65535, got ${id}`)
  }
  const table = new Uint8Array(Math.max(0, ...target) + 1)
  for (const id of target) table[id] = 1
  return (value) => value < table.length && table[value] === 1
}

/**
 * Keeps only the largest connected component (ties: all the largest) of the voxels holding any of
 * `target`'s label values ('foreground': every non-zero value) in `labels`, a map on a grid of
 * `dims` [nx, ny, nz] with index i + nx·(j + ny·k).
 */
export function keepLargestComponent<T extends LabelArray>(labels: T, dims: Vec3, target: readonly number[] | 'foreground', connectivity: Connectivity = DEFAULT_CONNECTIVITY): LargestComponentResult<T> {
  const [nx, ny, nz] = dims
  if (![nx, ny, nz].every((n) => Number.isInteger(n) && n >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `grid dims must be positive integers, got [${dims.join(', ')}]`)
  if (labels.length !== nx * ny * nz) throw new VoxloopError('INVALID_ARGUMENT', `label map has ${labels.length} voxels, grid [${dims.join(', ')}] has ${nx * ny * nz}`)
  if (connectivity !== 6 && connectivity !== 26) throw new VoxloopError('INVALID_ARGUMENT', `connectivity must be 6 or 26, got ${String(connectivity)}`)
  const inMask = maskTest(target)
  const offsets = neighbourOffsets(connectivity)
  const nxy = nx * ny
  const queue = new IndexBuffer()

  /** Grows the component of `seed` into `marks` (breadth-first); its voxels end up in `queue`. */
  const grow = (seed: number, marks: VoxelMarks): number => {
    queue.clear()
    marks.mark(seed)
    queue.push(seed)
    for (let head = 0; head < queue.length; head++) {
      const index = queue.at(head)
      const k = Math.floor(index / nxy)
      const rest = index - k * nxy
      const j = Math.floor(rest / nx)
      const i = rest - j * nx
      for (let o = 0; o < offsets.length; o += 3) {
        const ii = i + (offsets[o] as number)
        const jj = j + (offsets[o + 1] as number)
        const kk = k + (offsets[o + 2] as number)
        if (ii < 0 || ii >= nx || jj < 0 || jj >= ny || kk < 0 || kk >= nz) continue
        const next = ii + nx * (jj + ny * kk)
        if (!marks.has(next) && inMask(labels[next] as number)) {
          marks.mark(next)
          queue.push(next)
        }
      }
    }
    return queue.length
  }

  // Pass 1: every component's first voxel and size.
  const visited = new VoxelMarks(labels.length)
  const seeds = new IndexBuffer()
  const sizes = new IndexBuffer()
  let largest = 0
  for (let index = 0; index < labels.length; index++) {
    if (visited.has(index) || !inMask(labels[index] as number)) continue
    const size = grow(index, visited)
    seeds.push(index)
    sizes.push(size)
    if (size > largest) largest = size
  }
  const out = labels.slice() as T
  if (seeds.length <= 1) return { labels: out, removedVoxels: 0, components: seeds.length }

  // Pass 2: the winners' voxels, then everything else of the mask cleared.
  const keep = new VoxelMarks(labels.length)
  for (let c = 0; c < seeds.length; c++) if (sizes.at(c) === largest) grow(seeds.at(c), keep)
  let removed = 0
  for (let index = 0; index < out.length; index++) {
    if (inMask(out[index] as number) && !keep.has(index)) {
      out[index] = 0
      removed++
    }
  }
  return { labels: out, removedVoxels: removed, components: seeds.length }
}
