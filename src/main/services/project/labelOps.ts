import type { LabelArray } from '../../../shared/volume'
import type { LabelChange } from '../../../shared/project'
import { VoxloopError } from '../../../shared/errors'
import type { LabelEdit } from './labelJournal'

/** Pure operations on flat label arrays: counting, diffing, applying edits, removing labels. */

export type LabelCounts = Map<number, number>

/** Voxels per non-zero value. */
export function countLabels(labels: LabelArray): LabelCounts {
  const counts: LabelCounts = new Map()
  for (let n = 0; n < labels.length; n++) {
    const value = labels[n] ?? 0
    if (value !== 0) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return counts
}

export function countsToRecord(counts: LabelCounts): Record<string, number> {
  const record: Record<string, number> = {}
  for (const [labelId, voxels] of [...counts].sort((a, b) => a[0] - b[0])) if (voxels > 0) record[String(labelId)] = voxels
  return record
}

export function countsFromRecord(record: Record<string, number>): LabelCounts {
  return new Map(Object.entries(record).map(([labelId, voxels]) => [Number(labelId), voxels]))
}

export interface LabelDiff {
  voxelsChanged: number
  /** One entry per value that gained or lost voxels, background (0) included, ascending. */
  changes: LabelChange[]
}

export function diffLabels(before: LabelArray, after: LabelArray): LabelDiff {
  const gained = new Map<number, number>()
  const lost = new Map<number, number>()
  let voxelsChanged = 0
  for (let n = 0; n < after.length; n++) {
    const from = before[n] ?? 0
    const to = after[n] ?? 0
    if (from === to) continue
    voxelsChanged++
    gained.set(to, (gained.get(to) ?? 0) + 1)
    lost.set(from, (lost.get(from) ?? 0) + 1)
  }
  const ids = [...new Set([...gained.keys(), ...lost.keys()])].sort((a, b) => a - b)
  const changes = ids.map((labelId) => ({ labelId, gained: gained.get(labelId) ?? 0, lost: lost.get(labelId) ?? 0 }))
  return { voxelsChanged, changes }
}

function maxValue(values: Uint8Array | Uint16Array): number {
  let max = 0
  for (let n = 0; n < values.length; n++) max = Math.max(max, values[n] ?? 0)
  return max
}

/** A Uint16Array copy when `values` hold labels above 255 and `labels` is 8-bit; else `labels`. */
export function widenFor(labels: LabelArray, values: Uint8Array | Uint16Array): LabelArray {
  if (labels instanceof Uint16Array || !(values instanceof Uint16Array) || maxValue(values) <= 255) return labels
  return Uint16Array.from(labels)
}

/**
 * Writes the edit into `labels` in order (a later duplicate index wins), keeping `counts` in step.
 * Returns how many distinct voxels end with a different value. The caller widens first (`widenFor`).
 */
export function applyEdit(labels: LabelArray, edit: LabelEdit, counts?: LabelCounts): number {
  const { indices, values } = edit
  const before = labels instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length)
  for (let n = 0; n < indices.length; n++) before[n] = labels[indices[n] ?? 0] ?? 0
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n] ?? 0
    const from = labels[index] ?? 0
    const to = values[n] ?? 0
    if (from === to) continue
    labels[index] = to
    if (counts) {
      if (from !== 0) counts.set(from, (counts.get(from) ?? 0) - 1)
      if (to !== 0) counts.set(to, (counts.get(to) ?? 0) + 1)
    }
  }
  const changed = new Set<number>()
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n] ?? 0
    if (labels[index] !== before[n]) changed.add(index)
  }
  return changed.size
}

/** Throws INVALID_ARGUMENT unless the edit is well formed for a label of `voxelCount` voxels. */
export function validateEdit(edit: LabelEdit, voxelCount: number, allowedValues: ReadonlySet<number>, caseId: string): void {
  const where = `Label edit for case ${caseId}`
  if (!(edit.indices instanceof Uint32Array)) throw new VoxloopError('INVALID_ARGUMENT', `${where}: indices must be a Uint32Array`)
  if (!(edit.values instanceof Uint8Array) && !(edit.values instanceof Uint16Array)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${where}: values must be a Uint8Array or Uint16Array`)
  }
  if (edit.indices.length !== edit.values.length) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `${where}: ${edit.indices.length} indices but ${edit.values.length} values`
    )
  }
  for (let n = 0; n < edit.indices.length; n++) {
    const index = edit.indices[n] ?? 0
    if (index >= voxelCount) {
      throw new VoxloopError('INVALID_ARGUMENT', `${where}: voxel index ${index} is outside the volume (${voxelCount} voxels)`)
    }
  }
  const seen = new Set<number>()
  for (let n = 0; n < edit.values.length; n++) seen.add(edit.values[n] ?? 0)
  for (const value of seen) {
    if (value !== 0 && !allowedValues.has(value)) {
      throw new VoxloopError('INVALID_ARGUMENT', `${where}: label ${value} is not in the project's label table`)
    }
  }
}

/** Sets every voxel whose value is in `removed` to 0; returns how many changed. */
export function clearLabels(labels: LabelArray, removed: ReadonlySet<number>): number {
  let cleared = 0
  for (let n = 0; n < labels.length; n++) {
    if (removed.has(labels[n] ?? 0)) {
      labels[n] = 0
      cleared++
    }
  }
  return cleared
}
