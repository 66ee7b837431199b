/**
 * Label-table operations the UI needs on the voxels: how many voxels each label has, and deleting or
 * merging a label (its voxels go to background or another label) as one undo unit through the editor.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray } from '../../../../shared/volume'
import { assertLabelValue, maxLabelOf } from './paintRules'
import type { VoxelEditor } from './VoxelEditor'

/** Voxel count per label value present in the map, background (0) included. Ascending by label. */
export function countVoxelsPerLabel(labels: LabelArray): Map<number, number> {
  // A histogram over all possible values is one small array (256 or 65536 entries), faster than a Map
  // update per voxel.
  const histogram = new Float64Array(labels instanceof Uint16Array ? 65536 : 256)
  for (let index = 0; index < labels.length; index++) histogram[labels[index]]++
  const counts = new Map<number, number>()
  for (let value = 0; value < histogram.length; value++) if (histogram[value] > 0) counts.set(value, histogram[value])
  return counts
}

/**
 * The label map able to hold `maxValue`: `labels` itself when it does, else a Uint16Array copy. A
 * case saved as 8-bit opens in a project whose table names ids above 255 (or with a 16-bit
 * prediction); the brush would otherwise refuse those ids. Main widens its copy to match on the
 * first edit with such a value (labelOps.widenFor).
 */
export function widenLabelsFor(labels: LabelArray, maxValue: number): LabelArray {
  assertLabelValue(new Uint16Array(0), maxValue)
  return maxValue <= maxLabelOf(labels) ? labels : Uint16Array.from(labels)
}

/** Indices of every voxel holding `label`. */
export function findLabelVoxels(labels: LabelArray, label: number): Uint32Array {
  let count = 0
  for (let index = 0; index < labels.length; index++) if (labels[index] === label) count++
  const out = new Uint32Array(count)
  let n = 0
  for (let index = 0; index < labels.length && n < count; index++) if (labels[index] === label) out[n++] = index
  return out
}

/** Moves every voxel of `from` to `to` as one undo unit; returns how many voxels changed. */
export function reassignLabel(editor: VoxelEditor, options: { from: number; to: number; description?: string }): number {
  const { from, to } = options
  assertLabelValue(editor.labels, from)
  assertLabelValue(editor.labels, to)
  if (from === 0) throw new VoxloopError('INVALID_ARGUMENT', 'cannot reassign the background (label 0)')
  if (from === to) return 0
  const indices = findLabelVoxels(editor.labels, from)
  const summary = editor.applyEdit(options.description ?? `Relabel ${from} → ${to}`, (e) => e.writeValue(indices, to))
  return summary?.voxelCount ?? 0
}

/** Sets every voxel of `label` to background as one undo unit (the table entry is the caller's). */
export function deleteLabelVoxels(editor: VoxelEditor, label: number): number {
  return reassignLabel(editor, { from: label, to: 0, description: `Delete label ${label}` })
}
