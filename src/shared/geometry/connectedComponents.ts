/**
 * Connected components of a 3D label map, grown breadth-first over a one-bit-per-voxel visited set.
 * Shared by the renderer's islands tool (per label value, 6-connected, manual clean-up) and the
 * engine's keep-largest-component post-processing (one mask of several values, 6- or 26-connected,
 * as nnU-Net does): the renderer may not import engine code, and one kernel means one set of
 * neighbour and border rules.
 *
 * Which voxels belong is a table indexed by label value (`labelTable`), sized to the label array's
 * whole value range so the inner loop reads it without a bounds check or a callback per voxel.
 * Grids index voxels as i + nx·(j + ny·k).
 */
import type { LabelArray, Vec3 } from '../volume'
import { IndexBuffer } from './indexBuffer'
import { VoxelMarks } from './voxelMarks'

/** 6: faces only; 26: faces, edges and corners. */
export type Connectivity = 6 | 26

/** Neighbour offsets [di, dj, dk] of the 26-neighbourhood (the 6-neighbourhood has its own unrolled path). */
const NEIGHBOURS_26: Int8Array = (() => {
  const out: number[] = []
  for (let dk = -1; dk <= 1; dk++) {
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) if (di !== 0 || dj !== 0 || dk !== 0) out.push(di, dj, dk)
    }
  }
  return Int8Array.from(out)
})()

/**
 * A membership table for `labels`' value type: entry v is 1 when label value v belongs ('foreground':
 * every non-zero value). Values the array cannot hold are left out (no voxel could match them).
 */
export function labelTable(labels: LabelArray, values: readonly number[] | 'foreground'): Uint8Array {
  const table = new Uint8Array(labels instanceof Uint8Array ? 0x100 : 0x10000)
  if (values === 'foreground') {
    table.fill(1, 1)
  } else {
    for (const value of values) if (Number.isInteger(value) && value >= 0 && value < table.length) table[value] = 1
  }
  return table
}

/**
 * Grows the component of `seed` breadth-first: the voxels connected to it whose label value is in
 * `members` (a `labelTable` of `labels`) and that `marks` does not hold yet. Marks them and leaves
 * them in `queue`, the seed first; returns how many there are. The caller picks a seed that belongs.
 */
export function growComponent(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  seed: number,
  members: Uint8Array,
  connectivity: Connectivity,
  marks: VoxelMarks,
  queue: IndexBuffer
): number {
  const [nx, ny, nz] = dims
  const nxy = nx * ny
  queue.clear()
  marks.mark(seed)
  queue.push(seed)
  for (let head = 0; head < queue.length; head++) {
    const index = queue.at(head)
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    if (connectivity === 6) {
      if (i > 0) visit(index - 1)
      if (i < nx - 1) visit(index + 1)
      if (j > 0) visit(index - nx)
      if (j < ny - 1) visit(index + nx)
      if (k > 0) visit(index - nxy)
      if (k < nz - 1) visit(index + nxy)
    } else {
      for (let o = 0; o < NEIGHBOURS_26.length; o += 3) {
        const ii = i + NEIGHBOURS_26[o]
        const jj = j + NEIGHBOURS_26[o + 1]
        const kk = k + NEIGHBOURS_26[o + 2]
        if (ii < 0 || ii >= nx || jj < 0 || jj >= ny || kk < 0 || kk >= nz) continue
        visit(ii + nx * (jj + ny * kk))
      }
    }
  }
  return queue.length

  function visit(next: number): void {
    if (members[labels[next]] === 1 && marks.markIfNew(next)) queue.push(next)
  }
}

export interface ComponentOptions {
  connectivity: Connectivity
  /**
   * true: touching voxels of different label values are separate components (the islands tool);
   * false: every member value forms one mask (nnU-Net's keep-largest-component of several labels).
   */
  perValue: boolean
}

/**
 * Calls `visit` with each component of the voxels whose value is in `members` (a `labelTable` of
 * `labels`), in memory order of their first voxel: `component` is a view valid only during the call,
 * its first entry the component's first voxel in memory order; `value` is that voxel's label value.
 */
export function forEachComponent(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  members: Uint8Array,
  options: ComponentOptions,
  visit: (component: Uint32Array, value: number) => void
): void {
  const visited = new VoxelMarks(labels.length)
  const queue = new IndexBuffer(1024)
  // Per value: a one-entry table, set and cleared around each component (no allocation per component).
  const single = options.perValue ? new Uint8Array(members.length) : null
  for (let index = 0; index < labels.length; index++) {
    const value = labels[index]
    if (members[value] !== 1 || visited.has(index)) continue
    if (single) {
      single[value] = 1
      growComponent(labels, dims, index, single, options.connectivity, visited, queue)
      single[value] = 0
    } else {
      growComponent(labels, dims, index, members, options.connectivity, visited, queue)
    }
    visit(queue.view(), value)
  }
}
