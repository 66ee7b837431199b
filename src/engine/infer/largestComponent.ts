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
 * winners into a keep set. The component kernel lives in shared/geometry/connectedComponents, which
 * the renderer's islands tool uses too (per-label-value components with 6-connectivity and
 * first-met tie-breaking for manual clean-up; this one follows nnU-Net).
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelArray, Vec3 } from '../../shared/volume'
import { forEachComponent, growComponent, labelTable, type Connectivity } from '../../shared/geometry/connectedComponents'
import { IndexBuffer } from '../../shared/geometry/indexBuffer'
import { VoxelMarks } from '../../shared/geometry/voxelMarks'

export type { Connectivity }

/** nnU-Net v2's default (faces, edges and corners). */
export const DEFAULT_CONNECTIVITY: Connectivity = 26

export interface LargestComponentResult<T extends LabelArray> {
  /** A new label map: the input with the smaller components of the targeted mask set to 0. */
  labels: T
  /** Voxels set to 0. */
  removedVoxels: number
  /** Components the mask had. */
  components: number
}

/** The mask's label values as a membership table: any non-zero label, or the given ids (checked). */
function maskTable(labels: LabelArray, target: readonly number[] | 'foreground'): Uint8Array {
  if (target !== 'foreground') {
    for (const id of target) {
      if (!(Number.isInteger(id) && id >= 1 && id <= 0xffff)) throw new VoxloopError('INVALID_ARGUMENT', `label ids to keep the largest component of must be integers 1–65535, got ${id}`)
    }
  }
  return labelTable(labels, target)
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
  const inMask = maskTable(labels, target)

  // Pass 1: every component's first voxel and size.
  const seeds = new IndexBuffer()
  const sizes = new IndexBuffer()
  let largest = 0
  forEachComponent(labels, dims, inMask, { connectivity, perValue: false }, (component) => {
    seeds.push(component[0])
    sizes.push(component.length)
    if (component.length > largest) largest = component.length
  })
  const out = labels.slice() as T
  if (seeds.length <= 1) return { labels: out, removedVoxels: 0, components: seeds.length }

  // Pass 2: the winners' voxels, then everything else of the mask cleared.
  const keep = new VoxelMarks(labels.length)
  const queue = new IndexBuffer()
  for (let c = 0; c < seeds.length; c++) if (sizes.at(c) === largest) growComponent(labels, dims, seeds.at(c), inMask, connectivity, keep, queue)
  let removed = 0
  for (let index = 0; index < out.length; index++) {
    if (inMask[out[index]] === 1 && !keep.has(index)) {
      out[index] = 0
      removed++
    }
  }
  return { labels: out, removedVoxels: removed, components: seeds.length }
}
