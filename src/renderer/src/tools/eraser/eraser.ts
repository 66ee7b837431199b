/**
 * Eraser: the brush painting background (0) with the same footprint, threshold and overwrite rules.
 * `overwrite: overwriteOnly(activeLabel)` erases only the active label and leaves neighbours intact.
 */
import type { Vec3, VoxelArray } from '../../../../shared/volume'
import { DEFAULT_BRUSH_CONFIG, paintSegment, type BrushConfig } from '../brush/brush'
import type { ViewAxis } from '../core/grid'
import type { VoxelEditor } from '../core/VoxelEditor'

export const ERASE_VALUE = 0

/** Same fields as the brush; `overwrite` says which labels are erased ('background' erases nothing). */
export type EraserConfig = BrushConfig

export const DEFAULT_ERASER_CONFIG: Readonly<EraserConfig> = DEFAULT_BRUSH_CONFIG

export interface EraseSegmentOptions {
  fromIjk: Readonly<Vec3>
  toIjk: Readonly<Vec3>
  axis: ViewAxis
  config: Readonly<EraserConfig>
  image?: VoxelArray | null
}

/** Erases one stroke segment through the editor (inside a stroke); returns how many voxels changed. */
export function eraseSegment(editor: VoxelEditor, options: EraseSegmentOptions): number {
  return paintSegment(editor, { ...options, value: ERASE_VALUE })
}
