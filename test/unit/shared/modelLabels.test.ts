import { describe, expect, it } from 'vitest'
import { activationMismatch, fineTuneMismatch, labelList, labelsToTrain, labelsWithoutVoxels } from '../../../src/shared/modelLabels'

const table = [
  { id: 1, name: 'Organ', color: '#f00' },
  { id: 2, name: 'Lesion', color: '#0f0' },
  { id: 3, name: 'Vessel', color: '#00f' },
  { id: 4, name: 'Cyst', color: '#ff0' }
]
const stats = (...pairs: Array<[number, number]>): { labelStats: Array<{ labelId: number; voxels: number }> } => ({ labelStats: pairs.map(([labelId, voxels]) => ({ labelId, voxels })) })
const refs = (...ids: number[]): Array<{ labelId: number; name: string }> => ids.map((id) => ({ labelId: id, name: table.find((l) => l.id === id)?.name ?? '?' }))

describe('labels without voxels (issue #15 item 7)', () => {
  it('finds the labels no case has a voxel of, zero counts included', () => {
    const cases = [stats([1, 500], [2, 20]), stats([1, 300], [3, 7], [4, 0])]
    expect(labelsWithoutVoxels(table, cases).map((l) => l.name)).toEqual(['Cyst'])
    expect(labelsWithoutVoxels(table, []).map((l) => l.id)).toEqual([1, 2, 3, 4])
  })

  it('leaves an empty label out of a new model, but a fine-tuned run keeps every label its base predicts', () => {
    const empty = [table[3] as (typeof table)[number]]
    expect(labelsToTrain(table, empty, null)).toEqual({ train: table.slice(0, 3), excluded: [table[3]] })
    expect(labelsToTrain(table, empty, refs(1, 2, 3, 4))).toEqual({ train: table, excluded: [] })
    expect(labelList(empty)).toBe('Cyst (4)')
  })
})

describe('a model against the label table (issue #15 item 8)', () => {
  it('may be made active while the table still has every label it predicts (a label added since is fine)', () => {
    expect(activationMismatch('v0001', refs(1, 2, 3), table)).toBeNull()
  })

  it('may not once a label it predicts was deleted, and says which and what to do', () => {
    const without = table.filter((l) => l.id !== 2)
    const why = activationMismatch('v0001', refs(1, 2, 3), without)
    expect(why).toContain('v0001 predicts Lesion (2)')
    expect(why).toContain('Train a new model')
  })

  it('fine-tunes only onto exactly the labels it predicts (ids and names), whatever their order', () => {
    expect(fineTuneMismatch('v0001', refs(3, 1, 2), refs(1, 2, 3))).toBeNull()
    expect(fineTuneMismatch('v0001', refs(1, 2, 3), refs(1, 3))).toMatch(/v0001 predicts Organ \(1\), Lesion \(2\), Vessel \(3\); this run would train Organ \(1\), Vessel \(3\).*train a new model/)
    expect(fineTuneMismatch('v0001', refs(1), [{ labelId: 1, name: 'Liver' }])).not.toBeNull()
  })
})
