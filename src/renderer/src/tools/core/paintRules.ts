/**
 * Which voxels a paint, erase, fill or interpolation may change ("paint over" rules), shared by every
 * tool so that "only background" means the same thing everywhere.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray, VoxelArray } from '../../../../shared/volume'
import type { IntensityRange } from './threshold'

/**
 * - `any`: overwrite whatever label is there.
 * - `background`: only voxels that are 0, so painting never eats another structure.
 * - `label`: only voxels that already hold `label` (e.g. erase only the active label, or paint a
 *   sub-structure inside its parent).
 */
export type OverwriteRule = { mode: 'any' } | { mode: 'background' } | { mode: 'label'; label: number }

export const OVERWRITE_ANY: OverwriteRule = Object.freeze({ mode: 'any' })
export const OVERWRITE_BACKGROUND: OverwriteRule = Object.freeze({ mode: 'background' })

export function overwriteOnly(label: number): OverwriteRule {
  return { mode: 'label', label }
}

export function canOverwrite(current: number, rule: OverwriteRule): boolean {
  return rule.mode === 'any' || (rule.mode === 'background' ? current === 0 : current === rule.label)
}

/** The image intensity gate of threshold-limited painting. */
export interface IntensityGate {
  /** One channel, same grid as the labels. */
  image: VoxelArray
  range: IntensityRange
}

export interface SelectWritableOptions {
  /** The label value to write (0 erases). */
  value: number
  overwrite: OverwriteRule
  /** When set, only voxels whose intensity lies in the range. */
  intensity?: IntensityGate | null
}

/** Largest label a label array can hold. */
export function maxLabelOf(labels: LabelArray): number {
  return labels instanceof Uint16Array ? 65535 : 255
}

export function assertLabelValue(labels: LabelArray, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > maxLabelOf(labels)) {
    throw new VoxloopError('INVALID_ARGUMENT', `label value ${value} does not fit a ${labels.constructor.name} (0..${maxLabelOf(labels)})`)
  }
}

/**
 * The subset of `indices` that writing `value` would actually change under the rules: allowed by the
 * overwrite rule, inside the intensity range, and not already `value`. A new array; order kept.
 */
export function selectWritable(labels: LabelArray, indices: Uint32Array, options: SelectWritableOptions): Uint32Array {
  const { value, overwrite } = options
  assertLabelValue(labels, value)
  const gate = options.intensity ?? null
  const out = new Uint32Array(indices.length)
  let count = 0
  // The rule is hoisted out of the loop: this runs once per footprint voxel on every pointer move.
  const mode = overwrite.mode
  const only = overwrite.mode === 'label' ? overwrite.label : 0
  const min = gate ? gate.range.min : -Infinity
  const max = gate ? gate.range.max : Infinity
  const image = gate ? gate.image : null
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n]
    const current = labels[index]
    if (current === value) continue
    if (mode === 'background' ? current !== 0 : mode === 'label' && current !== only) continue
    if (image !== null) {
      const intensity = image[index]
      if (!(intensity >= min && intensity <= max)) continue
    }
    out[count++] = index
  }
  return out.subarray(0, count)
}
