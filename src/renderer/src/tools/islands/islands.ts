/**
 * Clean-up of label maps: remove islands (6-connected components) smaller than a size, or keep only
 * the largest component of each label. Removed voxels become background (0). A component is the set of
 * face-connected voxels holding the same label value; touching voxels of different labels are separate.
 *
 * The kernels visit the volume once in memory order with a one-bit-per-voxel visited set and grow each
 * component breadth-first (the component kernel in shared/geometry/connectedComponents, which the
 * engine's keep-largest-component post-processing uses too); they return the voxels to clear and
 * write nothing themselves.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray } from '../../../../shared/volume'
import { assertArrayFitsGrid, gridVoxelCount, type VoxelGrid } from '../core/grid'
import { forEachComponent, growComponent, labelTable, type ComponentOptions } from '../../../../shared/geometry/connectedComponents'
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

/** Manual clean-up works per label value, face-connected: touching voxels of different labels are separate. */
const PER_LABEL_6: ComponentOptions = { connectivity: 6, perValue: true }

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
  forEachComponent(labels, grid.dims, membersOf(labels, label), PER_LABEL_6, (component) => {
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
  forEachComponent(labels, grid.dims, membersOf(labels, label), PER_LABEL_6, (component, value) => {
    components++
    const best = largest.get(value)
    if (!best || component.length > best.size) largest.set(value, { size: component.length, seed: component[0] })
  })
  // Pass 2: mark the winners, then collect every other voxel of the labels concerned.
  const keep = new VoxelMarks(gridVoxelCount(grid))
  const queue = new IndexBuffer(1024)
  for (const [value, { seed }] of largest) growComponent(labels, grid.dims, seed, labelTable(labels, [value]), 6, keep, queue)
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

/** The labels concerned: one, or every non-zero value. */
function membersOf(labels: LabelArray, label: number | null): Uint8Array {
  return labelTable(labels, label === null ? 'foreground' : [label])
}
