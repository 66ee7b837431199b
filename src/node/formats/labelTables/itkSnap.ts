import type { LabelDef } from '../../../shared/project'
import { addUnique, checkedLabel, hexToRgb, parseDecimalField, parseIntegerField, rgbToHex, tableError, tableLines } from './tableChecks'

/**
 * ITK-SNAP's label description file ("Label Descriptions" → Export): `#` comment lines, then one
 * line per label with seven whitespace-separated fields and a quoted description:
 *
 *     IDX  -R-  -G-  -B-  -A--  VIS MSH  LABEL
 *       1  255    0    0     1    1   1  "Liver"
 *
 * Colour components are 0..255, alpha 0..1, VIS/MSH 0 or 1. Index 0 ("Clear Label") is the
 * background; Voxloop never stores it, so it is read over and written only as the customary
 * first row. Alpha, visibility and mesh flags have no place in a Voxloop label and are dropped.
 */

/** The header ITK-SNAP itself writes; the reader only relies on `#` marking comments. */
const HEADER = [
  '################################################',
  '# ITK-SnAP Label Description File',
  '# File format: ',
  '# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL',
  '# Fields: ',
  '#    IDX:   Zero-based index ',
  '#    -R-:   Red color component (0..255)',
  '#    -G-:   Green color component (0..255)',
  '#    -B-:   Blue color component (0..255)',
  '#    -A-:   Label transparency (0.00 .. 1.00)',
  '#    VIS:   Label visibility (0 or 1)',
  '#    IDX:   Label mesh visibility (0 or 1)',
  '#  LABEL:   Label description ',
  '################################################'
]

/** What an ITK-SNAP file's header says about itself: used to tell it from other `.txt` files. */
export function looksLikeItkSnapLabels(text: string): boolean {
  return /^#.*ITK-?SnAP Label Description File/im.test(text.slice(0, 4096))
}

/** Seven numeric fields, then a double-quoted description running to the last quote. */
const LINE = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+"(.*)"$/

export function parseItkSnapLabels(text: string, file: string): LabelDef[] {
  const labels: LabelDef[] = []
  for (const { line, where } of tableLines(text)) {
    const match = LINE.exec(line)
    if (match === null) {
      throw tableError(file, where, 'expected IDX R G B A VIS MSH "LABEL" (seven numbers, then a quoted name)')
    }
    const [, idText = '', redText = '', greenText = '', blueText = '', alphaText = '', visText = '', meshText = '', name = ''] = match
    const id = parseIntegerField(idText, 0, 65535)
    if (id === null) throw tableError(file, where, `label index "${idText}" is not an integer from 0 to 65535`)
    const components = [redText, greenText, blueText].map((field) => parseIntegerField(field, 0, 255))
    const [red, green, blue] = components
    if (red == null || green == null || blue == null) {
      throw tableError(file, where, `colour "${redText} ${greenText} ${blueText}" is not three integers from 0 to 255`)
    }
    if (parseDecimalField(alphaText, 0, 1) === null) throw tableError(file, where, `alpha "${alphaText}" is not a number from 0 to 1`)
    if (parseIntegerField(visText, 0, 1) === null) throw tableError(file, where, `visibility "${visText}" is not 0 or 1`)
    if (parseIntegerField(meshText, 0, 1) === null) throw tableError(file, where, `mesh visibility "${meshText}" is not 0 or 1`)
    if (id === 0) continue
    addUnique(labels, checkedLabel(file, where, id, name, rgbToHex(red, green, blue)), file, where)
  }
  return labels
}

export function formatItkSnapLabels(labels: readonly LabelDef[]): string {
  const rows = ['    0     0    0    0        0  0  0    "Clear Label"']
  for (const label of [...labels].sort((a, b) => a.id - b.id)) {
    const [red, green, blue] = hexToRgb(label.color)
    // ITK-SNAP reads the description up to the closing quote, so a quote inside a name has no
    // spelling there; it becomes an apostrophe rather than producing a file ITK-SNAP misreads.
    const name = label.name.replaceAll('"', "'")
    rows.push(
      `${String(label.id).padStart(5)} ${String(red).padStart(5)} ${String(green).padStart(4)} ${String(blue).padStart(4)}        1  1  1    "${name}"`
    )
  }
  return [...HEADER, ...rows, ''].join('\n')
}
