import type { ReviewInfo } from '../project'

export interface ReviewRecord {
  caseId: string
  /** The model version whose prediction the reviewer corrected. */
  modelVersion: string
  voxelsChanged: number
  seconds: number
  /**
   * Dice of the proposal against the accepted label, per label id; null when the stored figure
   * cannot be trusted (reviewDice): the review still counts for the effort, not for the Dice.
   */
  dice: Record<string, number> | null
}

/**
 * How a stored review's Dice was computed. 2: over every label either map holds (issue #15 item 5,
 * effort.ts dicePerLabel). Absent: written before that, over the label table's ids only, so a label
 * deleted from the table while the proposal still had it scored nothing and the mean was inflated
 * ("Voxels changed 103,043" beside "Proposal Dice 0.996").
 */
export const REVIEW_DICE_RULE = 2

/** Labels the review's effort counts as changed (added or removed voxels) that its Dice leaves out. */
function labelsMissingFromDice(review: Pick<ReviewInfo, 'perLabel' | 'dice'>): number[] {
  return review.perLabel.filter((l) => l.added + l.removed > 0 && !(String(l.labelId) in review.dice)).map((l) => l.labelId)
}

/**
 * The review as it is stored: stamped with REVIEW_DICE_RULE when its Dice scores every label its
 * effort counts (what dicePerLabel does since the fix). A record that leaves one out is stored
 * unstamped, so that it reads as not comparable rather than as a good figure.
 */
export function stampReviewDiceRule(review: ReviewInfo): ReviewInfo {
  const { diceRule: _claimed, ...rest } = review
  return labelsMissingFromDice(review).length === 0 ? { ...rest, diceRule: REVIEW_DICE_RULE } : rest
}

/**
 * The Dice of a stored review that can stand beside today's, or null. A stamped record is kept. An
 * older one is kept when its Dice scores every label its effort changed: the old rule then left out
 * only labels outside the table that neither map changed, which cannot inflate the mean. One that
 * misses a changed label is the inflated figure of issue #15 item 5; it cannot be recomputed from the
 * record (its counts do not say how many voxels both maps gave that label, and the proposal's label
 * map may since have been replaced by a newer prediction), so its Dice is left out.
 */
export function reviewDice(review: Pick<ReviewInfo, 'perLabel' | 'dice' | 'diceRule'>): Record<string, number> | null {
  if ((review.diceRule ?? 0) >= REVIEW_DICE_RULE) return review.dice
  return labelsMissingFromDice(review).length === 0 ? review.dice : null
}

export interface ModelVersionInfo {
  version: string
  /** How many curated cases the version was trained on. */
  trainingCases: number
}

export interface EfficiencyPoint {
  modelVersion: string
  trainingCases: number
  reviewedCases: number
  meanVoxelsChanged: number
  meanSeconds: number
  /** Mean over reviewed cases of the mean foreground Dice of the proposal (NaN when no review's Dice counts). */
  meanDice: number
  /** Reviewed cases whose Dice is in meanDice (the others were recorded before the Dice fix). */
  diceReviews: number
}

/**
 * The label-efficiency curve: for each model version (ordered by how many curated cases it was
 * trained on), how much correction its proposals needed and how good they were. The loop works
 * when effort falls and Dice rises along the curve.
 */
export function efficiencyCurve(versions: readonly ModelVersionInfo[], reviews: readonly ReviewRecord[]): EfficiencyPoint[] {
  return [...versions]
    .sort((a, b) => a.trainingCases - b.trainingCases || a.version.localeCompare(b.version))
    .map((version) => {
      const mine = reviews.filter((r) => r.modelVersion === version.version)
      const mean = (values: number[]): number => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN)
      const dices = mine.flatMap((r) => (r.dice ? [r.dice] : []))
      return {
        modelVersion: version.version,
        trainingCases: version.trainingCases,
        reviewedCases: mine.length,
        meanVoxelsChanged: mean(mine.map((r) => r.voxelsChanged)),
        meanSeconds: mean(mine.map((r) => r.seconds)),
        meanDice: mean(dices.map((dice) => mean(Object.values(dice)))),
        diceReviews: dices.length
      }
    })
}

const NOT_COMPARABLE = 'recorded before the proposal Dice counted every label either map holds: its Dice was inflated and is left out'

/**
 * The label-efficiency table's Dice cell: the mean, "(n of m)" when some reviews' Dice is left
 * out (reviewDice), "not comparable" when all are; the tooltip says why.
 */
export function efficiencyDiceCell(point: EfficiencyPoint): { text: string; title: string } {
  if (point.diceReviews === 0) return { text: 'not comparable', title: `Every review of ${point.modelVersion} was ${NOT_COMPARABLE}` }
  const omitted = point.reviewedCases - point.diceReviews
  if (omitted === 0) return { text: point.meanDice.toFixed(3), title: '' }
  return {
    text: `${point.meanDice.toFixed(3)} (${point.diceReviews} of ${point.reviewedCases})`,
    title: `${omitted} review(s) of ${point.modelVersion} ${omitted === 1 ? 'was' : 'were'} ${NOT_COMPARABLE}`
  }
}
