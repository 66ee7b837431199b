import { describe, expect, it } from 'vitest'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { LabelDef } from '../../../../../src/shared/project'
import { formatSlicerColorTable, looksLikeSlicerColorTable, parseSlicerColorTable } from '../../../../../src/node/formats/labelTables/slicer'

const LABELS: LabelDef[] = [
  { id: 1, name: 'kidney_right', color: '#ff0000' },
  { id: 2, name: 'Liver', color: '#00ff80' },
  { id: 40000, name: 'x', color: '#0a0b0c' },
  { id: 65535, name: 'last', color: '#ffffff' }
]

/** As vtkMRMLColorTableStorageNode writes it: header comments, components printed from doubles. */
const SLICER_FILE = `# Color table file /tmp/GenericAnatomyColors.ctbl
# 4 values
0 background 0 0 0 0
1 tissue 128 174 128 255
2 left_kidney 127.5 0 0.4 255
3 'ticked' 1 2 3 255
`

function parseError(text: string): VoxloopError {
  try {
    parseSlicerColorTable(text, '/data/colors.ctbl')
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected the table to be refused')
}

describe('3D Slicer colour tables', () => {
  it('round-trips ids, names without spaces and colours through format and parse', () => {
    const text = formatSlicerColorTable(LABELS)
    expect(looksLikeSlicerColorTable(text)).toBe(true)
    expect(parseSlicerColorTable(text, 'labels.ctbl')).toEqual(LABELS)
  })

  it('writes spaces in names as underscores, as Slicer does, so that Slicer reads one token', () => {
    const text = formatSlicerColorTable([{ id: 3, name: 'left  kidney cortex', color: '#010203' }], 'out.ctbl')
    expect(text).toBe('# Color table file out.ctbl\n# 2 values\n0 Background 0 0 0 0\n3 left_kidney_cortex 1 2 3 255\n')
    expect(parseSlicerColorTable(text, 'out.ctbl')).toEqual([{ id: 3, name: 'left_kidney_cortex', color: '#010203' }])
  })

  it("reads Slicer's file: background skipped, fractional components rounded, ticks trimmed, underscores kept", () => {
    expect(parseSlicerColorTable(SLICER_FILE, 'a.ctbl')).toEqual([
      { id: 1, name: 'tissue', color: '#80ae80' },
      { id: 2, name: 'left_kidney', color: '#800000' },
      { id: 3, name: 'ticked', color: '#010203' }
    ])
  })

  it('reads names with spaces (hand-written tables) and lines without alpha', () => {
    const text = '1 left kidney 255 0 0 255\n2 right kidney 0 255 0\n3 vertebra L5 1 2 3 255\n4 spleen 9 8 7\n'
    expect(parseSlicerColorTable(text, 't.txt')).toEqual([
      { id: 1, name: 'left kidney', color: '#ff0000' },
      { id: 2, name: 'right kidney', color: '#00ff00' },
      { id: 3, name: 'vertebra L5', color: '#010203' },
      { id: 4, name: 'spleen', color: '#090807' }
    ])
  })

  it.each([
    ['a line with no name', '1 255 0 0', /line 1\): expected "id name R G B A"/],
    ['an id that is not a number', 'one liver 1 2 3 255', /label id "one" is not an integer/],
    ['an id over 65535', '70000 big 1 2 3 255', /label id "70000"/],
    ['a component over 255', '1 liver 300 0 0 255', /colour "300 0 0 255" is not R G B A numbers from 0 to 255/],
    ['a component that is not a number', '1 liver red 0 0', /colour "red 0 0" is not R G B numbers/],
    ['an id given twice', '1 a 1 1 1 255\n1 b 2 2 2 255', /line 2\): label id 1 appears twice/],
    ['a name given twice', '1 liver 1 1 1 255\n2 Liver 2 2 2 255', /line 2\): label name "Liver" is used by ids 1 and 2/]
  ])('refuses %s, naming the file, the line and the problem', (_case, text, message) => {
    const error = parseError(`${text}\n`)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toMatch(/^\/data\/colors\.ctbl \(line \d\)/)
    expect(error.message).toMatch(message)
  })

  it('tells a Slicer table from other text by its header', () => {
    expect(looksLikeSlicerColorTable(SLICER_FILE)).toBe(true)
    expect(looksLikeSlicerColorTable('# ITK-SnAP Label Description File\n')).toBe(false)
    expect(looksLikeSlicerColorTable('1 liver 1 2 3 255\n')).toBe(false)
  })
})
