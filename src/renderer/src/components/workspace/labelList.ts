/**
 * What the label panel lists: the table filtered by a search and ordered so that the labels in the
 * open case come first. Pure, so that ordering and matching are unit-tested without a browser; a
 * TotalSegmentator table has 117 labels, of which one case holds a few dozen.
 */
import { defaultLabelColor, type LabelDef } from '../../../../shared/project'
import { distinctLabelColor } from '../../viewer/labelPalette'

export interface LabelRow {
  label: LabelDef
  /** Voxels of this label in the open case (0 when absent). */
  voxels: number
  present: boolean
}

/**
 * Whether a label matches the search: its name contains the text (any case), or its id starts with
 * the digits typed (a leading '#' is allowed: "#25"). An empty search matches every label.
 */
export function matchesLabelQuery(label: LabelDef, query: string): boolean {
  const text = query.trim().toLowerCase()
  if (!text) return true
  if (label.name.toLowerCase().includes(text)) return true
  const digits = text.startsWith('#') ? text.slice(1) : text
  return /^\d+$/.test(digits) && String(label.id).startsWith(digits)
}

/**
 * The rows to show, in order: a label whose id is exactly the number typed first, then the labels
 * present in the case, then the absent ones; table order within each group (sorting is stable).
 * `voxels` counts per label id in the open case (labels absent from it may be missing).
 */
export function labelRows(labels: readonly LabelDef[], voxels: ReadonlyMap<number, number>, query = ''): LabelRow[] {
  const digits = query.trim().replace(/^#/, '')
  const exactId = /^\d+$/.test(digits) ? Number(digits) : null
  const rank = (row: LabelRow): number => (row.label.id === exactId ? 0 : row.present ? 1 : 2)
  return labels
    .filter((label) => matchesLabelQuery(label, query))
    .map((label) => {
      const count = voxels.get(label.id) ?? 0
      return { label, voxels: count, present: count > 0 }
    })
    .sort((a, b) => rank(a) - rank(b))
}

/**
 * The label the panel's "Add" creates: the next id after the highest, and a colour as unlike every
 * colour already in the table as the palette allows (distinctLabelColor), the id's generated colour
 * when that is as good. `name` is used as given (the caller trims and checks it).
 */
export function newLabel(labels: readonly LabelDef[], name: string): LabelDef {
  const id = Math.max(0, ...labels.map((l) => l.id)) + 1
  const color = distinctLabelColor(
    labels.map((l) => l.color),
    defaultLabelColor(id)
  )
  return { id, name, color }
}
