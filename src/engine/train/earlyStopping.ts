/**
 * Early stopping on the mean foreground validation Dice: the best epoch so far is the version's
 * model; after `patience` epochs without a better one the run stops. Pure and plain data, so the
 * state goes into the checkpoint and a resumed run stops at the same epoch.
 */

export interface EarlyStoppingState {
  bestScore: number | null
  bestEpoch: number | null
  epochsWithoutImprovement: number
}

export const INITIAL_EARLY_STOPPING: EarlyStoppingState = Object.freeze({ bestScore: null, bestEpoch: null, epochsWithoutImprovement: 0 })

export interface EarlyStoppingUpdate {
  state: EarlyStoppingState
  /** This epoch is the new best. */
  improved: boolean
  /** Patience is used up. */
  stop: boolean
}

/**
 * `score` null (no validation cases): every epoch is the best (the last model is kept) and the run
 * never stops early. Ties keep the earlier epoch: a later one is only better if strictly higher.
 */
export function updateEarlyStopping(state: EarlyStoppingState, epoch: number, score: number | null, patience: number): EarlyStoppingUpdate {
  if (score === null) return { state: { bestScore: null, bestEpoch: epoch, epochsWithoutImprovement: 0 }, improved: true, stop: false }
  if (state.bestScore === null || score > state.bestScore) {
    return { state: { bestScore: score, bestEpoch: epoch, epochsWithoutImprovement: 0 }, improved: true, stop: false }
  }
  const waited = state.epochsWithoutImprovement + 1
  return { state: { ...state, epochsWithoutImprovement: waited }, improved: false, stop: waited >= patience }
}
