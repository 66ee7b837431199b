/**
 * Interpolation between slices: the user draws a label on some slices along one axis; the slices in
 * between get a shape-based interpolation (Raya & Udupa 1990): each labelled slice becomes a signed
 * distance map in mm, the two maps around a gap are blended linearly by slice position, and the voxels
 * where the blend is ≤ 0 get the label. Shapes morph smoothly (a disc of radius 2 and one of radius 6
 * give radii in between) instead of the staircase of copying the nearest slice.
 *
 * Only the gaps between two labelled slices are filled; slices that already hold the label are never
 * written, and by default neither are voxels of other labels (overwrite rule 'background').
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray } from '../../../../shared/volume'
import { signedDistance2d } from './distanceTransform'
import { assertArrayFitsGrid, slicePlane, type SlicePlane, type ViewAxis, type VoxelGrid } from '../core/grid'
import { IndexBuffer } from '../../../../shared/geometry/indexBuffer'
import { assertLabelValue, canOverwrite, OVERWRITE_BACKGROUND, type OverwriteRule } from '../core/paintRules'
import type { VoxelEditor } from '../core/VoxelEditor'

export interface InterpolateConfig {
  /** Slices are taken across this view (axial: k slices). Default 'axial'. */
  axis: ViewAxis
  /** Which voxels in the gap slices may receive the label. Default: background only. */
  overwrite: OverwriteRule
  /** Gaps wider than this many slices are left alone (probably not meant to be joined). Default 50; ≥ 1. */
  maxGapSlices: number
}

export const DEFAULT_INTERPOLATE_CONFIG: Readonly<InterpolateConfig> = Object.freeze({
  axis: 'axial',
  overwrite: OVERWRITE_BACKGROUND,
  maxGapSlices: 50
})

export interface InterpolateOptions extends Partial<InterpolateConfig> {
  /** The label to interpolate (≥ 1). */
  label: number
}

export interface InterpolationPlan {
  /** Voxels to set to the label. */
  indices: Uint32Array
  /** Slices that held the label before (sorted). */
  keySlices: number[]
  /** Slices that receive at least one voxel (sorted). */
  filledSlices: number[]
}

/** Computes the interpolated voxels without writing them. */
export function planSliceInterpolation(labels: LabelArray, grid: VoxelGrid, options: InterpolateOptions): InterpolationPlan {
  assertArrayFitsGrid(grid, labels, 'label map')
  const { label } = options
  assertLabelValue(labels, label)
  if (label === 0) throw new VoxloopError('INVALID_ARGUMENT', 'cannot interpolate the background (label 0)')
  const axis = options.axis ?? DEFAULT_INTERPOLATE_CONFIG.axis
  const overwrite = options.overwrite ?? DEFAULT_INTERPOLATE_CONFIG.overwrite
  const maxGap = options.maxGapSlices ?? DEFAULT_INTERPOLATE_CONFIG.maxGapSlices
  const plane = slicePlane(grid, axis)
  const boxes = labelBoxesPerSlice(labels, grid, plane, label)

  const keySlices: number[] = []
  for (let s = 0; s < plane.sliceCount; s++) if (boxes.present[s]) keySlices.push(s)
  const out = new IndexBuffer(4096)
  const filledSlices: number[] = []
  for (let n = 0; n + 1 < keySlices.length; n++) {
    const lower = keySlices[n]
    const upper = keySlices[n + 1]
    if (upper - lower < 2 || upper - lower - 1 > maxGap) continue
    fillGap(labels, plane, boxes, label, overwrite, lower, upper, out, filledSlices)
  }
  return { indices: out.toArray(), keySlices, filledSlices }
}

interface SliceBoxes {
  present: Uint8Array
  minU: Int32Array
  maxU: Int32Array
  minV: Int32Array
  maxV: Int32Array
}

/** One pass over the volume in memory order: which slices hold the label, and their in-plane boxes. */
function labelBoxesPerSlice(labels: LabelArray, grid: VoxelGrid, plane: SlicePlane, label: number): SliceBoxes {
  const count = plane.sliceCount
  const boxes: SliceBoxes = {
    present: new Uint8Array(count),
    minU: new Int32Array(count).fill(2 ** 30),
    maxU: new Int32Array(count).fill(-1),
    minV: new Int32Array(count).fill(2 ** 30),
    maxV: new Int32Array(count).fill(-1)
  }
  const [nx, ny, nz] = grid.dims
  const ijk = [0, 0, 0]
  let index = 0
  for (let k = 0; k < nz; k++) {
    ijk[2] = k
    for (let j = 0; j < ny; j++) {
      ijk[1] = j
      for (let i = 0; i < nx; i++, index++) {
        if (labels[index] !== label) continue
        ijk[0] = i
        const s = ijk[plane.normalAxis]
        const u = ijk[plane.uAxis]
        const v = ijk[plane.vAxis]
        boxes.present[s] = 1
        if (u < boxes.minU[s]) boxes.minU[s] = u
        if (u > boxes.maxU[s]) boxes.maxU[s] = u
        if (v < boxes.minV[s]) boxes.minV[s] = v
        if (v > boxes.maxV[s]) boxes.maxV[s] = v
      }
    }
  }
  return boxes
}

function fillGap(
  labels: LabelArray,
  plane: SlicePlane,
  boxes: SliceBoxes,
  label: number,
  overwrite: OverwriteRule,
  lower: number,
  upper: number,
  out: IndexBuffer,
  filledSlices: number[]
): void {
  // The blend is ≤ 0 only where one of the two shapes is inside, so the union of their boxes bounds
  // the result. One pixel of margin (virtual beyond the slice edge) keeps every nearest-outside pixel
  // inside the local window, so the distances are the same as over the whole slice.
  const u0 = Math.min(boxes.minU[lower], boxes.minU[upper]) - 1
  const u1 = Math.max(boxes.maxU[lower], boxes.maxU[upper]) + 1
  const v0 = Math.min(boxes.minV[lower], boxes.minV[upper]) - 1
  const v1 = Math.max(boxes.maxV[lower], boxes.maxV[upper]) + 1
  const width = u1 - u0 + 1
  const height = v1 - v0 + 1
  const maskLower = new Uint8Array(width * height)
  const maskUpper = new Uint8Array(width * height)
  for (let v = Math.max(v0, 0); v <= Math.min(v1, plane.height - 1); v++) {
    for (let u = Math.max(u0, 0); u <= Math.min(u1, plane.width - 1); u++) {
      const local = u - u0 + width * (v - v0)
      const inPlane = u * plane.uStride + v * plane.vStride
      maskLower[local] = labels[inPlane + lower * plane.sliceStride] === label ? 1 : 0
      maskUpper[local] = labels[inPlane + upper * plane.sliceStride] === label ? 1 : 0
    }
  }
  const spacing = { u: plane.uSpacing, v: plane.vSpacing }
  const distanceLower = signedDistance2d(maskLower, width, height, spacing)
  const distanceUpper = signedDistance2d(maskUpper, width, height, spacing)
  for (let s = lower + 1; s < upper; s++) {
    const t = (s - lower) / (upper - lower)
    const sliceBase = s * plane.sliceStride
    let wrote = false
    for (let v = Math.max(v0, 0); v <= Math.min(v1, plane.height - 1); v++) {
      for (let u = Math.max(u0, 0); u <= Math.min(u1, plane.width - 1); u++) {
        const local = u - u0 + width * (v - v0)
        if ((1 - t) * distanceLower[local] + t * distanceUpper[local] > 0) continue
        const index = sliceBase + u * plane.uStride + v * plane.vStride
        if (!canOverwrite(labels[index], overwrite) || labels[index] === label) continue
        out.push(index)
        wrote = true
      }
    }
    if (wrote) filledSlices.push(s)
  }
}

export interface InterpolationResult {
  voxelCount: number
  keySlices: number[]
  filledSlices: number[]
}

/** Interpolates through the editor as one undo unit ("Interpolate label N"). */
export function applySliceInterpolation(editor: VoxelEditor, options: InterpolateOptions): InterpolationResult {
  const plan = planSliceInterpolation(editor.labels, editor.grid, options)
  const summary = editor.applyEdit(`Interpolate label ${options.label}`, (e) => e.writeValue(plan.indices, options.label))
  return { voxelCount: summary?.voxelCount ?? 0, keySlices: plan.keySlices, filledSlices: plan.filledSlices }
}
