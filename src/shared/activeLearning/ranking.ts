import type { CaseStatus } from '../project'

export interface RankableCase {
  id: string
  status: CaseStatus
  /** The model's case score (higher = less sure), or null when the case has no prediction. */
  uncertainty: number | null
}

/**
 * The worklist order for "next case": cases that are not done, the least certain prediction first;
 * cases the model has not seen yet come after every scored one (nothing says they are harder), in
 * id order so the order is stable.
 */
export function rankForReview<T extends RankableCase>(cases: readonly T[]): T[] {
  return cases
    .filter((c) => c.status !== 'done')
    .sort((a, b) => {
      if (a.uncertainty !== null && b.uncertainty !== null && a.uncertainty !== b.uncertainty) return b.uncertainty - a.uncertainty
      if (a.uncertainty !== null && b.uncertainty === null) return -1
      if (a.uncertainty === null && b.uncertainty !== null) return 1
      return a.id.localeCompare(b.id)
    })
}

/** The case "Next case" opens: the most uncertain one that is not done and not the current one. */
export function nextCaseForReview<T extends RankableCase>(cases: readonly T[], currentId: string | null = null): T | null {
  return rankForReview(cases).find((c) => c.id !== currentId) ?? null
}

/** k cases chosen by the highest uncertainty (the active-learning query), ignoring done cases. */
export function mostUncertain<T extends RankableCase>(cases: readonly T[], k: number): T[] {
  return rankForReview(cases.filter((c) => c.uncertainty !== null)).slice(0, Math.max(0, k))
}
