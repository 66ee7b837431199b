/**
 * Project label ids ↔ model output channels. Label ids are whatever the project's table says (1,
 * 2, 7, 300 …); the network predicts channels 0 (background), 1 … K−1 in the order of the table
 * sorted by id. The mapping is part of the plan, so a model keeps meaning the same labels after the
 * table changes.
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelDef } from '../../shared/project'
import type { TrainingClass } from '../../shared/training'
import type { LabelArray, LabelVolume } from '../../shared/volume'

/** The training layout holds class indices in a Uint8Array: 255 foreground classes at most. */
export const MAX_FOREGROUND_CLASSES = 255

export function classesFromLabels(labels: readonly LabelDef[]): TrainingClass[] {
  if (labels.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'the project has no labels to train: add at least one to its label table')
  if (labels.length > MAX_FOREGROUND_CLASSES) {
    throw new VoxloopError('INVALID_ARGUMENT', `the project has ${labels.length} labels; training supports at most ${MAX_FOREGROUND_CLASSES}`)
  }
  return [...labels].sort((a, b) => a.id - b.id).map((label, i) => ({ index: i + 1, labelId: label.id, name: label.name }))
}

/** Label value → class index; values outside the table count as background. */
export function classIndexLookup(classes: readonly TrainingClass[]): (value: number) => number {
  const table = new Map(classes.map((c) => [c.labelId, c.index]))
  return (value) => table.get(value) ?? 0
}

/** A label map of project label ids → the same grid with class indices (a new Uint8Array). */
export function labelIdsToClassIndices(labels: LabelArray, classes: readonly TrainingClass[]): Uint8Array {
  const lookup = classIndexLookup(classes)
  const out = new Uint8Array(labels.length)
  // Label maps hold few distinct values, in long runs: remember the last one looked up.
  let lastValue = -1
  let lastIndex = 0
  for (let i = 0; i < labels.length; i++) {
    const value = labels[i] as number
    if (value !== lastValue) {
      lastValue = value
      lastIndex = lookup(value)
    }
    out[i] = lastIndex
  }
  return out
}

export function classIndexVolume(label: LabelVolume, classes: readonly TrainingClass[]): LabelVolume {
  return { header: { ...label.header, datatype: 'uint8' }, data: labelIdsToClassIndices(label.data, classes) }
}

/** Class indices → project label ids (for writing predictions). */
export function classIndicesToLabelIds(indices: Uint8Array, classes: readonly TrainingClass[]): Uint16Array {
  const ids = new Uint16Array(MAX_FOREGROUND_CLASSES + 1)
  for (const c of classes) ids[c.index] = c.labelId
  const out = new Uint16Array(indices.length)
  for (let i = 0; i < indices.length; i++) out[i] = ids[indices[i] as number] as number
  return out
}
