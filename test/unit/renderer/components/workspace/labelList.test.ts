import { describe, expect, it } from 'vitest'
import type { LabelDef } from '../../../../../src/shared/project'
import { labelRows, matchesLabelQuery } from '../../../../../src/renderer/src/components/workspace/labelList'

const label = (id: number, name: string): LabelDef => ({ id, name, color: '#808080' })
const table: LabelDef[] = [
  label(1, 'spleen'),
  label(2, 'kidney_right'),
  label(3, 'kidney_left'),
  label(25, 'sacrum'),
  label(117, 'costal_cartilages'),
  label(256, 'Tumour core'),
  label(300, 'Oedema'),
  label(65535, 'Last id')
]
const ids = (rows: ReturnType<typeof labelRows>): number[] => rows.map((row) => row.label.id)

describe('labelRows', () => {
  it('lists the labels present in the case first, then the rest, each group in table order', () => {
    const counts = new Map([
      [0, 1000],
      [300, 12],
      [2, 5],
      [65535, 1],
      [117, 0]
    ])
    const rows = labelRows(table, counts)
    expect(ids(rows)).toEqual([2, 300, 65535, 1, 3, 25, 117, 256])
    expect(rows.find((row) => row.label.id === 300)).toMatchObject({ voxels: 12, present: true })
    expect(rows.find((row) => row.label.id === 117)).toMatchObject({ voxels: 0, present: false })
    expect(rows.find((row) => row.label.id === 256)).toMatchObject({ voxels: 0, present: false })
  })

  it('without counts keeps the table order', () => {
    expect(ids(labelRows(table, new Map()))).toEqual(table.map((l) => l.id))
  })

  it('filters by name, ignoring case and surrounding spaces', () => {
    expect(ids(labelRows(table, new Map(), 'KIDNEY'))).toEqual([2, 3])
    expect(ids(labelRows(table, new Map(), '  oed '))).toEqual([300])
    expect(ids(labelRows(table, new Map(), 'no such organ'))).toEqual([])
    expect(ids(labelRows(table, new Map(), '   '))).toEqual(table.map((l) => l.id))
  })

  it('filters by id prefix, the exact id first (also with "#"), present labels next', () => {
    const counts = new Map([[25, 3]])
    expect(ids(labelRows(table, counts, '2'))).toEqual([2, 25, 256])
    expect(ids(labelRows(table, counts, '25'))).toEqual([25, 256])
    expect(ids(labelRows(table, new Map([[256, 9]]), '25'))).toEqual([25, 256])
    expect(ids(labelRows(table, counts, '#300'))).toEqual([300])
    expect(ids(labelRows(table, counts, '65535'))).toEqual([65535])
  })
})

describe('matchesLabelQuery', () => {
  it('matches names containing the text and ids starting with the digits, nothing else', () => {
    expect(matchesLabelQuery(label(300, 'Oedema'), '30')).toBe(true)
    expect(matchesLabelQuery(label(300, 'Oedema'), '00')).toBe(false)
    expect(matchesLabelQuery(label(7, 'Vertebra C7'), 'c7')).toBe(true)
    expect(matchesLabelQuery(label(7, 'lung'), '#')).toBe(false)
    expect(matchesLabelQuery(label(7, 'lung'), '')).toBe(true)
  })
})
