import { describe, expect, it } from 'vitest'
import { defaultLabelColor, rgbToLab } from '../../../../../src/shared/labelColors'
import type { LabelDef } from '../../../../../src/shared/project'
import { createRandom } from '../../../../../src/shared/random'
import { labelRows, matchesLabelQuery, newLabel } from '../../../../../src/renderer/src/components/workspace/labelList'
import { parseHexColor } from '../../../../../src/renderer/src/viewer/colormaps'
import { deltaE2000 } from '../../../../../src/renderer/src/viewer/labelPalette'

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

describe('newLabel', () => {
  /** CIEDE2000 from the new colour to the nearest colour already in the table. */
  const nearestDeltaE = (color: string, labels: readonly LabelDef[]): number => {
    const lab = rgbToLab(parseHexColor(color))
    return Math.min(...labels.map((l) => deltaE2000(lab, rgbToLab(parseHexColor(l.color)))))
  }
  /**
   * Clearly another colour, not a shade of one in the table (1 is a just-noticeable difference).
   * The smallest distances the rule gives over the tables below: 16.1 (labels added one after
   * another), 19.3 (generated colours), 22.3 (arbitrary colours). The old rule, the id's generated
   * colour, gave 14.5 next to the demo's orange organ and 8.9 after 27 generated colours.
   */
  const MIN_DELTA_E = 15

  const demo: LabelDef[] = [
    { id: 1, name: 'Organ', color: '#f2a93b' },
    { id: 2, name: 'Lesion', color: '#e0413a' },
    { id: 3, name: 'Vessel', color: '#3b8fe0' }
  ]

  it("takes the next id and the given name", () => {
    expect(newLabel(demo, 'Cyst')).toMatchObject({ id: 4, name: 'Cyst' })
    expect(newLabel([], 'First')).toMatchObject({ id: 1, name: 'First', color: defaultLabelColor(1) })
    expect(newLabel([{ id: 7, name: 'x', color: '#00ff00' }], 'y').id).toBe(8)
  })

  it("gives the demo's fourth label a colour unlike the organ's orange (the id's own colour nearly equalled it)", () => {
    const added = newLabel(demo, 'Cyst')
    expect(nearestDeltaE(added.color, demo)).toBeGreaterThanOrEqual(MIN_DELTA_E)
  })

  it('keeps every label added one after another at least the threshold from all before it, up to 30 labels', () => {
    for (const start of [demo.slice(0, 1), demo]) {
      const table = [...start]
      while (table.length < 30) {
        const added = newLabel(table, `Label ${table.length + 1}`)
        expect(nearestDeltaE(added.color, table), `label ${added.id} after ${table.length}`).toBeGreaterThanOrEqual(MIN_DELTA_E)
        table.push(added)
      }
    }
  })

  it('stays the threshold away from tables of 1..30 generated colours (imported label maps)', () => {
    for (let n = 1; n <= 30; n++) {
      const table = Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `L${i + 1}`, color: defaultLabelColor(i + 1) }))
      expect(nearestDeltaE(newLabel(table, 'new').color, table), `${n} labels`).toBeGreaterThanOrEqual(MIN_DELTA_E)
    }
  })

  it('stays the threshold away from tables of 1..30 arbitrary colours (tables imported from ITK-SNAP or Slicer)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = createRandom(seed)
      for (let n = 1; n <= 30; n++) {
        const table = Array.from({ length: n }, (_, i) => ({
          id: i + 1,
          name: `L${i + 1}`,
          color: `#${random.int(0, 0xffffff).toString(16).padStart(6, '0')}`
        }))
        expect(nearestDeltaE(newLabel(table, 'new').color, table), `seed ${seed}, ${n} labels`).toBeGreaterThanOrEqual(MIN_DELTA_E)
      }
    }
  })
})
