import { describe, expect, it } from 'vitest'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { LabelDef } from '../../../../../src/shared/project'
import { formatItkSnapLabels, looksLikeItkSnapLabels, parseItkSnapLabels } from '../../../../../src/node/formats/labelTables/itkSnap'

const LABELS: LabelDef[] = [
  { id: 1, name: 'Liver', color: '#ff0000' },
  { id: 2, name: 'left kidney (cortex)', color: '#00ff80' },
  { id: 300, name: 'Tumour', color: '#0a0b0c' },
  { id: 65535, name: 'last id', color: '#ffffff' }
]

/** What ITK-SNAP 4 writes from Segmentation → Export Label Descriptions (trimmed to three rows). */
const ITK_SNAP_FILE = `################################################
# ITK-SnAP Label Description File
# File format: 
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
# Fields: 
#    IDX:   Zero-based index 
#    -R-:   Red color component (0..255)
#    -G-:   Green color component (0..255)
#    -B-:   Blue color component (0..255)
#    -A-:   Label transparency (0.00 .. 1.00)
#    VIS:   Label visibility (0 or 1)
#    IDX:   Label mesh visibility (0 or 1)
#  LABEL:   Label description 
################################################
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "Label 1"
    2     0  255    0     0.75  1  0    "the "head" part"
`

function parseError(text: string): VoxloopError {
  try {
    parseItkSnapLabels(text, '/data/labels.txt')
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected the table to be refused')
}

describe('ITK-SNAP label description files', () => {
  it('round-trips ids, names and colours, ids up to 65535, through format and parse', () => {
    const text = formatItkSnapLabels(LABELS)
    expect(looksLikeItkSnapLabels(text)).toBe(true)
    expect(parseItkSnapLabels(text, 'labels.txt')).toEqual(LABELS)
  })

  it('writes the background row first and the labels sorted by id, in ITK-SNAP column layout', () => {
    const rows = formatItkSnapLabels([LABELS[1] as LabelDef, LABELS[0] as LabelDef])
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
    expect(rows).toEqual([
      '    0     0    0    0        0  0  0    "Clear Label"',
      '    1   255    0    0        1  1  1    "Liver"',
      '    2     0  255  128        1  1  1    "left kidney (cortex)"'
    ])
  })

  it("reads ITK-SNAP's own file: comments skipped, background skipped, alpha 0..1, the name up to the last quote", () => {
    expect(parseItkSnapLabels(ITK_SNAP_FILE, 'labels.txt')).toEqual([
      { id: 1, name: 'Label 1', color: '#ff0000' },
      { id: 2, name: 'the "head" part', color: '#00ff00' }
    ])
  })

  it('accepts CRLF line ends, a byte-order mark and tabs', () => {
    const text = '\uFEFF# ITK-SnAP Label Description File\r\n\t7\t1\t2\t3\t1\t1\t1\t"Seven"\r\n'
    expect(parseItkSnapLabels(text, 'labels.txt')).toEqual([{ id: 7, name: 'Seven', color: '#010203' }])
  })

  it('writes a quote in a name as an apostrophe, which ITK-SNAP can read back', () => {
    const text = formatItkSnapLabels([{ id: 1, name: 'the "big" one', color: '#123456' }])
    expect(parseItkSnapLabels(text, 'labels.txt')).toEqual([{ id: 1, name: "the 'big' one", color: '#123456' }])
  })

  it.each([
    ['a line without a quoted name', '1 255 0 0 1 1 1 Liver', /labels\.txt \(line 1\): expected IDX R G B A VIS MSH "LABEL"/],
    ['an id over 65535', '65536 1 2 3 1 1 1 "Big"', /line 1\): label index "65536" is not an integer from 0 to 65535/],
    ['a negative id', '-1 1 2 3 1 1 1 "Neg"', /label index "-1"/],
    ['a colour over 255', '1 256 0 0 1 1 1 "Red"', /colour "256 0 0" is not three integers from 0 to 255/],
    ['an alpha over 1', '1 255 0 0 2 1 1 "Red"', /alpha "2" is not a number from 0 to 1/],
    ['a visibility flag of 2', '1 255 0 0 1 2 1 "Red"', /visibility "2" is not 0 or 1/],
    ['an empty name', '1 255 0 0 1 1 1 "  "', /label 1 " {2}" is not usable/],
    ['an id given twice', '1 1 1 1 1 1 1 "A"\n1 2 2 2 1 1 1 "B"', /line 2\): label id 1 appears twice \("A" and "B"\)/],
    ['a name given twice', '1 1 1 1 1 1 1 "Liver"\n2 2 2 2 1 1 1 "liver"', /line 2\): label name "liver" is used by ids 1 and 2/]
  ])('refuses %s, naming the file, the line and the problem', (_case, text, message) => {
    const error = parseError(`${text}\n`)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toMatch(/^\/data\/labels\.txt \(line \d\)/)
    expect(error.message).toMatch(message)
  })

  it('tells an ITK-SNAP file from other text by its header', () => {
    expect(looksLikeItkSnapLabels(ITK_SNAP_FILE)).toBe(true)
    expect(looksLikeItkSnapLabels('# Color table file x.ctbl\n1 a 1 2 3 255\n')).toBe(false)
    expect(looksLikeItkSnapLabels('notes about the data\n')).toBe(false)
  })
})
