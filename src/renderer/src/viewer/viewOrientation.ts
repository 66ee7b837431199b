import type { Mat4 } from '../../../shared/volume'

export type ViewName = 'axial' | 'coronal' | 'sagittal'
export const SLICE_VIEWS: readonly ViewName[] = ['axial', 'coronal', 'sagittal']
export type VoxelAxis = 0 | 1 | 2

/**
 * How a slice view maps voxel axes to the screen. Screen x grows rightwards, screen y grows
 * upwards (texture rows bottom to top). Radiological convention, as in 3D Slicer and ITK-SNAP:
 * axial and coronal show the patient's right on the screen's left; sagittal shows anterior on
 * the left; superior (or anterior, in axial) is up.
 */
export interface ViewMapping {
  view: ViewName
  /** Voxel axis that is constant across the view (the slice index runs along it). */
  sliceAxis: VoxelAxis
  /** Voxel axis shown horizontally, and whether screen x runs against it. */
  xAxis: VoxelAxis
  flipX: boolean
  /** Voxel axis shown vertically, and whether screen y (upwards) runs against it. */
  yAxis: VoxelAxis
  flipY: boolean
  /** Orientation letters on the view edges. */
  letters: { left: string; right: string; top: string; bottom: string }
}

/** World (RAS) axis each view holds fixed, and the RAS direction of screen +x and screen +y. */
const VIEW_AXES: Record<ViewName, { normal: number; screenX: [number, number]; screenY: [number, number] }> = {
  // [world axis, sign]: RAS axis 0 = x (+R), 1 = y (+A), 2 = z (+S)
  axial: { normal: 2, screenX: [0, -1], screenY: [1, 1] },
  coronal: { normal: 1, screenX: [0, -1], screenY: [2, 1] },
  sagittal: { normal: 0, screenX: [1, -1], screenY: [2, 1] }
}

const POSITIVE_LETTER = ['R', 'A', 'S'] as const
const NEGATIVE_LETTER = ['L', 'P', 'I'] as const

function letterOf(worldAxis: number, sign: number): string {
  return (sign > 0 ? POSITIVE_LETTER : NEGATIVE_LETTER)[worldAxis] ?? '?'
}

/**
 * For each voxel axis, the RAS axis it most closely follows and in which direction. Assigns
 * greedily by largest |cosine| so that oblique and permuted affines still give three distinct axes.
 */
export function dominantWorldAxes(rasFromIjk: Mat4): Array<{ worldAxis: number; sign: number }> {
  const columns = [0, 1, 2].map((c) => [rasFromIjk[0][c], rasFromIjk[1][c], rasFromIjk[2][c]] as const)
  const norms = columns.map((col) => Math.hypot(col[0], col[1], col[2]) || 1)
  const candidates: Array<{ voxel: number; world: number; weight: number; sign: number }> = []
  for (let voxel = 0; voxel < 3; voxel++) {
    for (let world = 0; world < 3; world++) {
      const value = (columns[voxel] as readonly number[])[world] ?? 0
      candidates.push({ voxel, world, weight: Math.abs(value) / (norms[voxel] ?? 1), sign: value >= 0 ? 1 : -1 })
    }
  }
  candidates.sort((a, b) => b.weight - a.weight)
  const result: Array<{ worldAxis: number; sign: number }> = [
    { worldAxis: -1, sign: 1 },
    { worldAxis: -1, sign: 1 },
    { worldAxis: -1, sign: 1 }
  ]
  const usedWorld = new Set<number>()
  for (const candidate of candidates) {
    const slot = result[candidate.voxel]
    if (!slot || slot.worldAxis >= 0 || usedWorld.has(candidate.world)) continue
    slot.worldAxis = candidate.world
    slot.sign = candidate.sign
    usedWorld.add(candidate.world)
  }
  return result
}

export function viewMapping(view: ViewName, rasFromIjk: Mat4): ViewMapping {
  const axes = dominantWorldAxes(rasFromIjk)
  const voxelAxisFor = (worldAxis: number): { axis: VoxelAxis; sign: number } => {
    const index = axes.findIndex((a) => a.worldAxis === worldAxis)
    return { axis: (index < 0 ? 0 : index) as VoxelAxis, sign: axes[index]?.sign ?? 1 }
  }
  const spec = VIEW_AXES[view]
  const slice = voxelAxisFor(spec.normal)
  const x = voxelAxisFor(spec.screenX[0])
  const y = voxelAxisFor(spec.screenY[0])
  return {
    view,
    sliceAxis: slice.axis,
    xAxis: x.axis,
    // Flip when the voxel axis runs against the direction screen x should point in.
    flipX: x.sign !== spec.screenX[1],
    yAxis: y.axis,
    flipY: y.sign !== spec.screenY[1],
    letters: {
      left: letterOf(spec.screenX[0], -spec.screenX[1]),
      right: letterOf(spec.screenX[0], spec.screenX[1]),
      top: letterOf(spec.screenY[0], spec.screenY[1]),
      bottom: letterOf(spec.screenY[0], -spec.screenY[1])
    }
  }
}

/** Screen pixel (column x, row y counted from the bottom) of a view → voxel index along x/y axes. */
export function voxelFromScreen(mapping: ViewMapping, dims: readonly number[], column: number, row: number): { x: number; y: number } {
  const width = dims[mapping.xAxis] ?? 1
  const height = dims[mapping.yAxis] ?? 1
  return {
    x: mapping.flipX ? width - 1 - column : column,
    y: mapping.flipY ? height - 1 - row : row
  }
}
