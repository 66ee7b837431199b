/**
 * Stored label-efficiency reviews and the proposal-Dice fix (issue #15 item 5 follow-up): a review
 * recorded before Dice counted every label either map holds kept its inflated Dice ("Voxels changed
 * 103,043" beside "Proposal Dice 0.996"). Such a record now reads as not comparable; one recorded
 * since is stamped with the rule it was computed by, where the project stores it.
 */
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ProjectStore } from '../../../../src/main/services/project/ProjectStore'
import { correctionEffort, dicePerLabel, efficiencyCurve, efficiencyDiceCell, REVIEW_DICE_RULE, reviewDice, stampReviewDiceRule } from '../../../../src/shared/activeLearning'
import type { ReviewInfo } from '../../../../src/shared/project'
import { createProjectWithCases, makeTempDir, removeDir } from '../../main/services/project/projectFixtures'

/** The defect's case in small: the proposal has 6 voxels of label 3, deleted from the table (ids 1, 2) before the review. */
const proposal = Uint8Array.from([1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3])
const accepted = Uint8Array.from([1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0])
const effort = correctionEffort(proposal, accepted)
const base = { modelVersion: 'v0001', voxelsChanged: effort.voxelsChanged, perLabel: effort.perLabel, seconds: 60, curatedAt: '2026-12-01T00:00:00.000Z' }
/** As the old code stored it: Dice over the table's ids only (label 3 unscored, mean 1.000). */
const before: ReviewInfo = { ...base, dice: { '1': 1, '2': 1 } }
/** As dicePerLabel computes it now, label 3 included. */
const now: ReviewInfo = { ...base, dice: dicePerLabel(proposal, accepted, [1, 2]) }

describe('stored review Dice across the fix', () => {
  it('an old record whose Dice misses a label its effort changed is not comparable; the same review recorded now is', () => {
    expect(effort).toMatchObject({ voxelsChanged: 6, perLabel: [{ labelId: 3, added: 0, removed: 6 }] })
    expect(reviewDice(before)).toBeNull()
    expect(now.dice).toEqual({ '1': 1, '2': 1, '3': 0 })
    expect(reviewDice(now)).toEqual(now.dice)
  })

  it('an old record that scored every changed label keeps its Dice (the old rule could not inflate it)', () => {
    const old: ReviewInfo = { ...base, perLabel: [{ labelId: 1, added: 2, removed: 0 }], dice: { '1': 0.8, '2': 1 } }
    expect(reviewDice(old)).toEqual({ '1': 0.8, '2': 1 })
  })

  it('stamps a record with the rule when its Dice scores every changed label, and never one that does not', () => {
    expect(stampReviewDiceRule(now)).toEqual({ ...now, diceRule: REVIEW_DICE_RULE })
    // A client claiming the rule for an incomplete Dice is not believed.
    expect(stampReviewDiceRule({ ...before, diceRule: REVIEW_DICE_RULE })).toEqual(before)
    expect(reviewDice(stampReviewDiceRule({ ...before, diceRule: REVIEW_DICE_RULE }))).toBeNull()
  })

  it('the efficiency curve keeps the effort of every review and the Dice of comparable ones; the table says which', () => {
    const reviews = [
      { caseId: 'a', modelVersion: 'v1', voxelsChanged: 6, seconds: 60, dice: reviewDice(before) },
      { caseId: 'b', modelVersion: 'v1', voxelsChanged: 2, seconds: 30, dice: reviewDice(now) },
      { caseId: 'c', modelVersion: 'v2', voxelsChanged: 6, seconds: 40, dice: reviewDice(before) }
    ]
    const [v1, v2] = efficiencyCurve(
      [
        { version: 'v1', trainingCases: 4 },
        { version: 'v2', trainingCases: 8 }
      ],
      reviews
    )
    expect(v1).toMatchObject({ reviewedCases: 2, diceReviews: 1, meanVoxelsChanged: 4, meanDice: 2 / 3 })
    const cell = efficiencyDiceCell(v1 as NonNullable<typeof v1>)
    expect(cell.text).toBe('0.667 (1 of 2)')
    expect(cell.title).toMatch(/^1 review\(s\) of v1 was recorded before the proposal Dice counted every label/)
    expect(v2).toMatchObject({ reviewedCases: 1, diceReviews: 0, meanVoxelsChanged: 6 })
    expect(Number.isNaN(v2?.meanDice)).toBe(true)
    expect(efficiencyDiceCell(v2 as NonNullable<typeof v2>).text).toBe('not comparable')
  })
})

describe('the project store keeps the rule with the review', () => {
  let dir: string | null = null
  afterEach(async () => {
    if (dir) await removeDir(dir)
    dir = null
  })

  it('stores a complete review stamped, an incomplete one unstamped, and reads old cases.json records as they were', async () => {
    dir = await makeTempDir('voxloop-review-dice-')
    const store = await createProjectWithCases(path.join(dir, 'project'), { cases: 2 })
    try {
      expect((await store.recordReview('case-0', now)).review).toEqual({ ...now, diceRule: REVIEW_DICE_RULE })
      expect((await store.recordReview('case-1', before)).review).toEqual(before)
    } finally {
      await store.dispose()
    }
    const { store: reopened } = await ProjectStore.open(path.join(dir, 'project'))
    try {
      const reviews = reopened.listCases().map((c) => c.review)
      expect(reviews.map((r) => r && reviewDice(r))).toEqual([now.dice, null])
    } finally {
      await reopened.dispose()
    }
  })
})
