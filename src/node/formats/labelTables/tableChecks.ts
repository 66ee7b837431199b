import { VoxloopError } from '../../../shared/errors'
import { LabelDefSchema, type LabelDef } from '../../../shared/project'

/**
 * Checks shared by every label-table reader: each format has its own syntax, but the table it
 * yields must satisfy the project's rules (ids 1..65535, names 1..100 characters, unique ids and
 * names) so that an imported table can never be written into a manifest that would not load.
 */

export function tableError(file: string, where: string, problem: string): VoxloopError {
  const place = where === '' ? file : `${file} (${where})`
  return new VoxloopError('INVALID_ARGUMENT', `${place}: ${problem}`)
}

/**
 * The entry lines of a line-based table (ITK-SNAP's, Slicer's): trimmed, without a byte-order
 * mark, blank lines and `#` comments, each with its 1-based line number for errors.
 */
export function* tableLines(text: string): Generator<{ line: string; where: string }> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line !== '' && !line.startsWith('#')) yield { line, where: `line ${index + 1}` }
  }
}

/** "#rrggbb" from 0..255 components. */
export function rgbToHex(red: number, green: number, blue: number): string {
  return `#${[red, green, blue].map((component) => component.toString(16).padStart(2, '0')).join('')}`
}

/** The 0..255 components of "#rrggbb" (LabelColorSchema guarantees the shape). */
export function hexToRgb(color: string): [number, number, number] {
  const value = Number.parseInt(color.slice(1, 7), 16)
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]
}

/** A decimal integer (no sign, no fraction, no exponent) within [min, max], or null. */
export function parseIntegerField(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null
  const value = Number.parseInt(text, 10)
  return value >= min && value <= max ? value : null
}

/** A plain decimal number within [min, max], or null ("1", "0.5", ".5", "1e0" is refused). */
export function parseDecimalField(text: string, min: number, max: number): number | null {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return null
  const value = Number.parseFloat(text)
  return value >= min && value <= max ? value : null
}

/** One entry checked against the project's label rules; `where` names the line or element. */
export function checkedLabel(file: string, where: string, id: number, name: string, color: string): LabelDef {
  const parsed = LabelDefSchema.safeParse({ id, name: name.trim(), color })
  if (parsed.success) return parsed.data
  const problem = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'label'}: ${issue.message}`).join('; ')
  throw tableError(file, where, `label ${id} "${name}" is not usable (${problem})`)
}

/**
 * Adds `label` to `table` unless its id or (case-insensitive) name is already there: a table
 * that gives one id two names, or one name to two ids, cannot say what a voxel means.
 */
export function addUnique(table: LabelDef[], label: LabelDef, file: string, where: string): void {
  const sameId = table.find((other) => other.id === label.id)
  if (sameId !== undefined) {
    throw tableError(file, where, `label id ${label.id} appears twice ("${sameId.name}" and "${label.name}")`)
  }
  const sameName = table.find((other) => other.name.toLowerCase() === label.name.toLowerCase())
  if (sameName !== undefined) {
    throw tableError(file, where, `label name "${label.name}" is used by ids ${sameName.id} and ${label.id}`)
  }
  table.push(label)
}
