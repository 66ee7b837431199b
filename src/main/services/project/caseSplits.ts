import type { CaseSplit } from '../../../shared/project'

/**
 * The project's fixed train / validation / test split: each curated case gets a split once, the
 * first time a default training run uses it, and keeps it (the user may move it explicitly), so the
 * validation and test figures of two model versions are measured on the same cases. Before this,
 * every run drew its validation cases from its seed, and two versions' figures were not comparable
 * (MONAI Label users raised the same complaint, its issue #1752).
 *
 * The rule (pure, deterministic, incremental, stratified):
 * - a case's stratum is the set of labels present in its saved label (`labelVoxels` > 0), e.g.
 *   "1+2", or "none" for a curated empty label, so that a rare structure is held out in proportion;
 * - target shares: validation 20 %; test 10 % only once the project has at least
 *   TEST_SPLIT_MIN_CASES (20) cases with a split (counting the ones being assigned); below that every
 *   case is too precious to keep out of training and model selection for good, and a test split of
 *   one or two cases would measure nothing. Train takes the rest;
 * - the new cases are placed one at a time in id order (so a batch's result does not depend on the
 *   order the caller lists them in). Each goes to the split furthest below its target, counting in
 *   cases: deficit(split) = share·n − count, summed over the case's stratum and the whole project
 *   (n including the case being placed). The stratum term keeps each label set in proportion; the
 *   project term keeps the whole in proportion when strata are small (one case per label set would
 *   otherwise always go to train). Ties go to train, then validation;
 * - the first validation case: once the project has a training case and no validation case, the
 *   next new case goes to validation (as the seeded split held one out of two), so a small project's
 *   runs have a validation case to pick their best epoch on;
 * - assignments already made are never moved by the rule; counts include them (user-set ones too).
 */

/** Target shares of the held-out splits; train takes the rest. */
export const SPLIT_TARGETS = { validation: 0.2, test: 0.1 } as const
/** Cases with a split (including those being assigned) from which on a test split is kept. */
export const TEST_SPLIT_MIN_CASES = 20

/** What the rule reads of a case record. */
export interface SplitCase {
  id: string
  split: CaseSplit | null
  labelVoxels: Readonly<Record<string, number>>
}

const ORDER: readonly CaseSplit[] = ['train', 'validation', 'test']
/** Deficits closer than this are a tie (they are sums of multiples of 0.1). */
const TIE = 1e-9

/** The labels present in a case, as a stratum key: "1+2", or "none" for an empty label. */
export function stratumOf(labelVoxels: Readonly<Record<string, number>>): string {
  const present = Object.entries(labelVoxels)
    .filter(([, voxels]) => voxels > 0)
    .map(([labelId]) => Number(labelId))
    .sort((a, b) => a - b)
  return present.length > 0 ? present.join('+') : 'none'
}

type Counts = Record<CaseSplit, number>
const zero = (): Counts => ({ train: 0, validation: 0, test: 0 })
const total = (c: Counts): number => c.train + c.validation + c.test

/**
 * Splits for the cases of `newIds` that have none yet (ids unknown to `cases`, or already assigned,
 * are left out). Returns only the new assignments; existing ones stay as they are.
 */
export function assignSplits(cases: readonly SplitCase[], newIds: readonly string[]): Map<string, CaseSplit> {
  const byId = new Map(cases.map((c) => [c.id, c]))
  const project = zero()
  const strata = new Map<string, Counts>()
  const countsOf = (key: string): Counts => {
    let counts = strata.get(key)
    if (!counts) strata.set(key, (counts = zero()))
    return counts
  }
  for (const c of cases) {
    if (c.split === null) continue
    project[c.split]++
    countsOf(stratumOf(c.labelVoxels))[c.split]++
  }
  // Plain code-unit order, not the locale's, so the result is the same on every machine.
  const pending = [...new Set(newIds)].filter((id) => byId.get(id)?.split === null).sort()
  const withTest = total(project) + pending.length >= TEST_SPLIT_MIN_CASES
  const shares: Counts = {
    validation: SPLIT_TARGETS.validation,
    test: withTest ? SPLIT_TARGETS.test : 0,
    train: 1 - SPLIT_TARGETS.validation - (withTest ? SPLIT_TARGETS.test : 0)
  }

  const assigned = new Map<string, CaseSplit>()
  for (const id of pending) {
    const stratum = countsOf(stratumOf((byId.get(id) as SplitCase).labelVoxels))
    let chosen: CaseSplit
    if (project.validation === 0 && project.train > 0) {
      chosen = 'validation'
    } else {
      const inStratum = total(stratum) + 1
      const inProject = total(project) + 1
      chosen = 'train'
      let best = Number.NEGATIVE_INFINITY
      for (const split of ORDER) {
        if (shares[split] === 0) continue
        const deficit = shares[split] * inStratum - stratum[split] + shares[split] * inProject - project[split]
        if (deficit > best + TIE) {
          best = deficit
          chosen = split
        }
      }
    }
    stratum[chosen]++
    project[chosen]++
    assigned.set(id, chosen)
  }
  return assigned
}
