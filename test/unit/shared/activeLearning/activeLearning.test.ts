import { describe, expect, it } from 'vitest'
import {
  activeSeconds,
  correctionEffort,
  diceOfLabel,
  dicePerLabel,
  efficiencyCurve,
  mostUncertain,
  nextCaseForReview,
  rankForReview,
  type RankableCase
} from '../../../../src/shared/activeLearning'

const cases: RankableCase[] = [
  { id: 'a', status: 'predicted', uncertainty: 0.2 },
  { id: 'b', status: 'done', uncertainty: 0.9 },
  { id: 'c', status: 'unlabeled', uncertainty: null },
  { id: 'd', status: 'in-review', uncertainty: 0.7 },
  { id: 'e', status: 'predicted', uncertainty: 0.7 },
  { id: 'f', status: 'unlabeled', uncertainty: null }
]

describe('ranking for review', () => {
  it('puts the least certain first, done cases out, unscored cases last by id', () => {
    expect(rankForReview(cases).map((c) => c.id)).toEqual(['d', 'e', 'a', 'c', 'f'])
  })

  it('opens the most uncertain case that is not the current one', () => {
    expect(nextCaseForReview(cases)?.id).toBe('d')
    expect(nextCaseForReview(cases, 'd')?.id).toBe('e')
    expect(nextCaseForReview([{ id: 'x', status: 'done', uncertainty: 1 }])).toBeNull()
  })

  it('queries the k most uncertain scored cases', () => {
    expect(mostUncertain(cases, 2).map((c) => c.id)).toEqual(['d', 'e'])
    expect(mostUncertain(cases, 10).map((c) => c.id)).toEqual(['d', 'e', 'a'])
  })
})

describe('correction effort', () => {
  it('counts voxels changed, and per label the ones added and removed', () => {
    const proposal = new Uint8Array([0, 1, 1, 2, 2, 0, 0])
    const final = new Uint8Array([1, 1, 0, 2, 1, 0, 2])
    expect(correctionEffort(proposal, final)).toEqual({
      voxelsChanged: 4,
      perLabel: [
        { labelId: 1, added: 2, removed: 1 },
        { labelId: 2, added: 1, removed: 1 }
      ]
    })
  })

  it('is zero for an accepted proposal', () => {
    const same = new Uint8Array([0, 3, 3])
    expect(correctionEffort(same, same)).toEqual({ voxelsChanged: 0, perLabel: [] })
  })

  it('computes Dice per label, 1 when both maps lack the label', () => {
    const a = new Uint8Array([1, 1, 0, 0])
    const b = new Uint8Array([1, 0, 1, 0])
    expect(diceOfLabel(a, b, 1)).toBeCloseTo(0.5)
    expect(diceOfLabel(a, b, 2)).toBe(1)
  })

  it('scores every label either map holds, so that the Dice agrees with the voxels changed (issue #15 item 5)', () => {
    // The reviewer deleted a spurious label 4 from the table and its voxels from the map: the
    // effort counts them, and so must the Dice (it read 0.996 beside 103,043 voxels changed).
    const proposal = new Uint8Array([1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 0, 0])
    const final = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    const tableIds = [1, 2]
    const dice = dicePerLabel(proposal, final, tableIds)
    expect(dice).toEqual({ '1': 1, '2': 1, '4': 0 })
    expect(correctionEffort(proposal, final).voxelsChanged).toBe(6)
    const mean = Object.values(dice).reduce((sum, d) => sum + d, 0) / Object.values(dice).length
    expect(mean).toBeCloseTo(2 / 3, 12)
    // A label the reviewer added that the table does not list (yet) counts too.
    expect(dicePerLabel(new Uint8Array([0, 0]), new Uint8Array([7, 0]), [])).toEqual({ '7': 0 })
  })

  it('gives a perfect Dice only to a review that changed nothing', () => {
    const maps = [
      [new Uint8Array([1, 2, 0, 3]), new Uint8Array([1, 2, 0, 3])],
      [new Uint8Array([1, 2, 0, 3]), new Uint8Array([1, 2, 0, 0])],
      [new Uint8Array([0, 0, 5, 5]), new Uint8Array([0, 0, 0, 0])],
      [new Uint8Array([0, 0, 0, 0]), new Uint8Array([0, 9, 0, 0])]
    ] as const
    for (const [proposal, final] of maps) {
      const values = Object.values(dicePerLabel(proposal, final, [1, 2]))
      const perfect = values.every((d) => d === 1)
      expect(perfect).toBe(correctionEffort(proposal, final).voxelsChanged === 0)
    }
  })

  it('counts active time, capping idle gaps', () => {
    expect(activeSeconds([0, 1000, 3000, 200_000], 60_000)).toBe(63)
  })
})

describe('efficiency curve', () => {
  it('orders versions by training cases and averages their reviews', () => {
    const curve = efficiencyCurve(
      [
        { version: 'v2', trainingCases: 8 },
        { version: 'v1', trainingCases: 4 }
      ],
      [
        { caseId: 'a', modelVersion: 'v1', voxelsChanged: 100, seconds: 60, dice: { '1': 0.6, '2': 0.8 } },
        { caseId: 'b', modelVersion: 'v1', voxelsChanged: 300, seconds: 120, dice: { '1': 0.5, '2': 0.5 } },
        { caseId: 'c', modelVersion: 'v2', voxelsChanged: 50, seconds: 30, dice: { '1': 0.9, '2': 0.9 } }
      ]
    )
    expect(curve.map((p) => p.modelVersion)).toEqual(['v1', 'v2'])
    expect(curve[0]).toMatchObject({ reviewedCases: 2, meanVoxelsChanged: 200, meanSeconds: 90, meanDice: 0.6 })
    expect(curve[1]).toMatchObject({ reviewedCases: 1, meanVoxelsChanged: 50, meanDice: 0.9 })
  })
})
