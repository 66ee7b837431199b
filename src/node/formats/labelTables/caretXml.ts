import type { LabelDef } from '../../../shared/project'
import { escapeXml, findElement, parseXml, XmlSyntaxError, type XmlElement } from './miniXml'
import { addUnique, checkedLabel, hexToRgb, parseDecimalField, parseIntegerField, rgbToHex, tableError } from './tableChecks'

/**
 * The Caret / Connectome Workbench label table that label NIfTIs carry in a header extension
 * (TotalSegmentator writes one into every multi-label output):
 *
 *     <CaretExtension> … <VolumeInformation Index="0"> <LabelTable>
 *       <Label Key="1" Red="0.0" Green="1.0" Blue="0.0" Alpha="1"><![CDATA[spleen]]></Label>
 *
 * nifti1.h reserves ecode 30 (NIFTI_ECODE_CARET) for it, but TotalSegmentator's files (and so
 * every file in /work/shared/data that has one) use ecode 0, "unknown"; an ecode 0 extension is
 * read as Caret only when its content is a `<CaretExtension>` document. Colours are 0..1; Key 0
 * (Workbench's "???") is the background and is skipped. The first `<LabelTable>` in the document
 * is read: a label volume has one (several belong to multi-map CIFTI files, which we refuse).
 */

export const NIFTI_ECODE_CARET = 30
const NIFTI_ECODE_UNKNOWN = 0

/** One header extension as the NIfTI reader returns it (content without the esize/ecode pair). */
export interface HeaderExtension {
  ecode: number
  content: Uint8Array
}

const CARET_ROOT = /^(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<CaretExtension[\s>/]/

/** Extension content as text, without the NUL padding that fills it to a multiple of 16 bytes. */
function contentText(content: Uint8Array, fatal: boolean): string {
  return new TextDecoder('utf-8', { fatal }).decode(content).replace(/\0+$/, '')
}

/** Whether an extension holds a Caret document (by code 30, or by content under code 0). */
export function isCaretExtension(extension: HeaderExtension): boolean {
  if (extension.ecode === NIFTI_ECODE_CARET) return true
  if (extension.ecode !== NIFTI_ECODE_UNKNOWN) return false
  return CARET_ROOT.test(contentText(extension.content.subarray(0, 4096), false).replace(/^\uFEFF/, '').trimStart())
}

function colourComponent(label: XmlElement, attribute: string, file: string, where: string): number | null {
  const text = label.attributes.get(attribute)
  if (text === undefined) return null
  const value = parseDecimalField(text.trim(), 0, 1)
  if (value === null) throw tableError(file, where, `${attribute}="${text}" is not a number from 0 to 1`)
  return Math.round(value * 255)
}

/** The labels of a Caret document's first `<LabelTable>`; null when it has none. */
export function parseCaretLabelTable(xml: string, file: string): LabelDef[] | null {
  let root: XmlElement
  try {
    root = parseXml(xml.replace(/\0+$/, ''))
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw tableError(file, 'Caret label table', `not well-formed XML: ${error.message}`)
    throw error
  }
  const table = findElement(root, 'LabelTable')
  if (table === null) return null
  const labels: LabelDef[] = []
  for (const label of table.children) {
    if (label.name !== 'Label') continue
    const keyText = label.attributes.get('Key') ?? ''
    const where = `Caret label table, <Label Key="${keyText}">`
    const id = parseIntegerField(keyText.trim(), 0, 65535)
    if (id === null) throw tableError(file, where, `Key "${keyText}" is not an integer from 0 to 65535`)
    const [red, green, blue] = ['Red', 'Green', 'Blue'].map((attribute) => colourComponent(label, attribute, file, where))
    colourComponent(label, 'Alpha', file, where)
    if (id === 0) continue
    if (red == null || green == null || blue == null) throw tableError(file, where, 'Red, Green and Blue are required')
    addUnique(labels, checkedLabel(file, where, id, label.text, rgbToHex(red, green, blue)), file, where)
  }
  return labels
}

/**
 * The label table of the first Caret extension that has one, or null. `file` names the NIfTI
 * in errors. Content that is not UTF-8 is an error: a Caret document is XML declared UTF-8.
 */
export function caretLabelsFromExtensions(extensions: readonly HeaderExtension[], file: string): LabelDef[] | null {
  for (const extension of extensions) {
    if (!isCaretExtension(extension)) continue
    let text: string
    try {
      text = contentText(extension.content, true)
    } catch {
      throw tableError(file, 'Caret label table', 'the header extension is not UTF-8 text')
    }
    const labels = parseCaretLabelTable(text, file)
    if (labels !== null) return labels
  }
  return null
}

/** Enough digits that reading back and rounding to 0..255 gives the same component. */
function unit(component: number): string {
  return String(Number((component / 255).toFixed(6)))
}

/** A `<CaretExtension>` document with the labels, as Workbench and TotalSegmentator lay it out. */
export function formatCaretLabelTable(labels: readonly LabelDef[]): string {
  const rows = [...labels]
    .sort((a, b) => a.id - b.id)
    .map((label) => {
      const [red, green, blue] = hexToRgb(label.color)
      // "]]>" cannot occur inside CDATA; such a name is written as escaped text instead.
      const name = label.name.includes(']]>') ? escapeXml(label.name) : `<![CDATA[${label.name}]]>`
      return `<Label Key="${label.id}" Red="${unit(red)}" Green="${unit(green)}" Blue="${unit(blue)}" Alpha="1">${name}</Label>`
    })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<CaretExtension>',
    '  <VolumeInformation Index="0">',
    '    <LabelTable>',
    '<Label Key="0" Red="0" Green="0" Blue="0" Alpha="0"><![CDATA[???]]></Label>',
    ...rows,
    '    </LabelTable>',
    '    <VolumeType><![CDATA[Label]]></VolumeType>',
    '  </VolumeInformation>',
    '</CaretExtension>',
    ''
  ].join('\n')
}
