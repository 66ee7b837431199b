/**
 * Clean-up of label maps: remove islands (6-connected components) smaller than a size, or keep only
 * the largest component of each label. Removed voxels become background (0). A component is the set of
 * face-connected voxels holding the same label value; touching voxels of different labels are separate.
 *
 * The kernels visit the volume once in memory order with a one-bit-per-voxel visited set and grow each
 * component breadth-first; they return the voxels to clear and write nothing themselves.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray } from '../../../../shared/volume'
import { assertArrayFitsGrid, gridVoxelCount, type VoxelGrid } from '../core/grid'
import { IndexBuffer } from '../../../../shared/geometry/indexBuffer'
import { assertLabelValue } from '../core/paintRules'
import type { VoxelEditor } from '../core/VoxelEditor'
import { VoxelMarks } from '../../../../shared/geometry/voxelMarks'

export interface IslandConfig {
  /** Components with fewer voxels than this are removed. Default 10; ≥ 1 (1 removes nothing). */
  minVoxels: number
  /** One label, or null (default) for every label. */
  label: number | null
}

export const DEFAULT_ISLAND_CONFIG: Readonly<IslandConfig> = Object.freeze({ minVoxels: 10, label: null })

export interface CleanupPlan {
  /** Voxels to set to background. */
  indices: Uint32Array
  removedComponents: number
  keptComponents: number
}

/** Voxels of components smaller than `minVoxels` (of `label`, or of every label when null). */
export function findSmallIslands(labels: LabelArray, grid: VoxelGrid, config: Partial<IslandConfig> = {}): CleanupPlan {
  const minVoxels = config.minVoxels ?? DEFAULT_ISLAND_CONFIG.minVoxels
  const label = config.label ?? null
  checkArguments(labels, grid, label)
  if (!(minVoxels >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `minVoxels must be ≥ 1, got ${minVoxels}`)
  const remove = new IndexBuffer(1024)
  let removed = 0
  let kept = 0
  forEachComponent(labels, grid, label, (component) => {
    if (component.length < minVoxels) {
      for (let n = 0; n < component.length; n++) remove.push(component[n])
      removed++
    } else {
      kept++
    }
  })
  return { indices: remove.toArray(), removedComponents: removed, keptComponents: kept }
}

/**
 * Voxels of every component except the largest one of each label (of `label`, or of every label when
 * null). Ties keep the component met first in memory order.
 */
export function findAllButLargestComponent(labels: LabelArray, grid: VoxelGrid, options: { label?: number | null } = {}): CleanupPlan {
  const label = options.label ?? null
  checkArguments(labels, grid, label)
  // Pass 1: the largest component's seed per label. Remembering seeds, not voxels, keeps memory at two
  // bit sets however many components there are.
  const largest = new Map<number, { size: number; seed: number }>()
  let components = 0
  forEachComponent(labels, grid, label, (component, value) => {
    components++
    const best = largest.get(value)
    if (!best || component.length > best.size) largest.set(value, { size: component.length, seed: component[0] })
  })
  // Pass 2: mark the winners, then collect every other voxel of the labels concerned.
  const keep = new VoxelMarks(gridVoxelCount(grid))
  const queue = new IndexBuffer(1024)
  for (const [value, { seed }] of largest) growComponent(labels, grid, seed, value, keep, queue)
  const remove = new IndexBuffer(1024)
  for (let index = 0; index < labels.length; index++) {
    const value = labels[index]
    if (value === 0 || (label !== null && value !== label)) continue
    if (!keep.has(index)) remove.push(index)
  }
  return { indices: remove.toArray(), removedComponents: components - largest.size, keptComponents: largest.size }
}

/** Removes small islands through the editor as one undo unit. */
export function removeSmallIslands(editor: VoxelEditor, config: Partial<IslandConfig> = {}): CleanupPlan & { voxelCount: number } {
  const plan = findSmallIslands(editor.labels, editor.grid, config)
  const description = config.label ? `Remove islands of label ${config.label}` : 'Remove islands'
  const summary = editor.applyEdit(description, (e) => e.writeValue(plan.indices, 0))
  return { ...plan, voxelCount: summary?.voxelCount ?? 0 }
}

/** Keeps only the largest component per label, through the editor as one undo unit. */
export function keepLargestComponent(editor: VoxelEditor, options: { label?: number | null } = {}): CleanupPlan & { voxelCount: number } {
  const plan = findAllButLargestComponent(editor.labels, editor.grid, options)
  const description = options.label ? `Keep largest part of label ${options.label}` : 'Keep largest parts'
  const summary = editor.applyEdit(description, (e) => e.writeValue(plan.indices, 0))
  return { ...plan, voxelCount: summary?.voxelCount ?? 0 }
}

function checkArguments(labels: LabelArray, grid: VoxelGrid, label: number | null): void {
  assertArrayFitsGrid(grid, labels, 'label map')
  if (label !== null) {
    assertLabelValue(labels, label)
    if (label === 0) throw new VoxloopError('INVALID_ARGUMENT', 'the background (label 0) has no islands to clean')
  }
}

/**
 * Calls `visit` with each component's voxels (a view valid only during the call; first entry is the
 * component's first voxel in memory order) and its label value.
 */
function forEachComponent(
  labels: LabelArray,
  grid: VoxelGrid,
  label: number | null,
  visit: (component: Uint32Array, value: number) => void
): void {
  const visited = new VoxelMarks(gridVoxelCount(grid))
  const queue = new IndexBuffer(1024)
  for (let index = 0; index < labels.length; index++) {
    const value = labels[index]
    if (value === 0 || (label !== null && value !== label) || visited.has(index)) continue
    growComponent(labels, grid, index, value, visited, queue)
    visit(queue.view(), value)
  }
}

/** Breadth-first 6-connected growth from `seed` over voxels equal to `value`; leaves them in `queue`. */
function growComponent(labels: LabelArray, grid: VoxelGrid, seed: number, value: number, visited: VoxelMarks, queue: IndexBuffer): void {
  const [nx, ny, nz] = grid.dims
  const nxy = nx * ny
  queue.clear()
  visited.mark(seed)
  queue.push(seed)
  for (let head = 0; head < queue.length; head++) {
    const index = queue.at(head)
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    if (i > 0) visit(index - 1)
    if (i < nx - 1) visit(index + 1)
    if (j > 0) visit(index - nx)
    if (j < ny - 1) visit(index + nx)
    if (k > 0) visit(index - nxy)
    if (k < nz - 1) visit(index + nxy)
  }
  function visit(next: number): void {
    if (labels[next] === value && visited.markIfNew(next)) queue.push(next)
  }
}
