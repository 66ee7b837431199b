import type { LabelDef } from '../../../shared/project'
import { addUnique, checkedLabel, hexToRgb, parseIntegerField, rgbToHex, tableError, tableLines } from './tableChecks'

/**
 * 3D Slicer's colour table (`.ctbl`, also saved as `.txt`): `#` comment lines, then
 *
 *     id name R G B A
 *
 * with components 0..255 (Slicer prints them from doubles, so "127.5" occurs) and the name one
 * token: Slicer writes spaces as underscores (vtkMRMLColorTableStorageNode). Hand-written and
 * other tools' tables put spaces in names, so the name is everything between the id and the last
 * four numbers; a line with only three numbers after the name has no alpha (Slicer reads those
 * too). Underscores are kept as written: names such as TotalSegmentator's "kidney_right" are
 * spelled that way everywhere else, and the import compares names with `_` and space alike.
 * Index 0 is the background and is skipped; Slicer strips ticks ('name') around a name, so do we.
 */

/** The first comment line Slicer writes; used to tell a colour table from other `.txt` files. */
export function looksLikeSlicerColorTable(text: string): boolean {
  return /^\uFEFF?# Color table file/i.test(text)
}

const NUMBER = /^(\d+(\.\d*)?|\.\d+)$/

/** A 0..255 component, rounded (Slicer writes doubles); null when not a plain number in range. */
function component(text: string): number | null {
  if (!NUMBER.test(text)) return null
  const value = Number.parseFloat(text)
  return value <= 255 ? Math.round(value) : null
}

export function parseSlicerColorTable(text: string, file: string): LabelDef[] {
  const labels: LabelDef[] = []
  for (const { line, where } of tableLines(text)) {
    const tokens = line.split(/\s+/)
    const [idText = ''] = tokens
    const id = parseIntegerField(idText, 0, 65535)
    if (id === null) throw tableError(file, where, `label id "${idText}" is not an integer from 0 to 65535`)
    // Trailing numbers: four (R G B A) when the name still keeps a token, else three (R G B).
    const trailing = tokens.length >= 6 && tokens.slice(-4).every((token) => NUMBER.test(token)) ? 4 : 3
    const nameTokens = tokens.slice(1, tokens.length - trailing)
    if (nameTokens.length === 0) throw tableError(file, where, 'expected "id name R G B A" (a name, then three or four numbers)')
    const numbers = tokens.slice(tokens.length - trailing)
    const [red, green, blue, alpha] = numbers.map(component)
    if (red == null || green == null || blue == null || (trailing === 4 && alpha == null)) {
      throw tableError(file, where, `colour "${numbers.join(' ')}" is not ${trailing === 4 ? 'R G B A' : 'R G B'} numbers from 0 to 255`)
    }
    if (id === 0) continue
    const name = nameTokens.join(' ').replace(/^'+|'+$/g, '')
    addUnique(labels, checkedLabel(file, where, id, name, rgbToHex(red, green, blue)), file, where)
  }
  return labels
}

/**
 * A table Slicer reads back to the same ids, names and colours: spaces in names become
 * underscores as Slicer writes them (its reader takes the name as one token).
 */
export function formatSlicerColorTable(labels: readonly LabelDef[], fileName = 'labels.ctbl'): string {
  const sorted = [...labels].sort((a, b) => a.id - b.id)
  const rows = [`# Color table file ${fileName}`, `# ${sorted.length + 1} values`, '0 Background 0 0 0 0']
  for (const label of sorted) {
    const [red, green, blue] = hexToRgb(label.color)
    rows.push(`${label.id} ${label.name.trim().replace(/\s+/g, '_')} ${red} ${green} ${blue} 255`)
  }
  return `${rows.join('\n')}\n`
}
