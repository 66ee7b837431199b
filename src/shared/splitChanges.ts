import type { CaseSplit } from './project'

/**
 * What moving cases between the project's fixed splits makes incomparable, one sentence per split
 * touched; the case table's confirmation and `voxloop split` both say it. The splits exist so that
 * versions are measured on the same cases (src/main/services/project/caseSplits.ts): a moved test
 * case changes what test figures measure, a moved validation case what validation figures measure.
 * Moves between train and "no split yet" change neither.
 */
export function splitChangeNotes(moves: ReadonlyArray<{ from: CaseSplit | null; to: CaseSplit }>): string[] {
  const touches = (split: CaseSplit): boolean => moves.some((m) => m.from !== m.to && (m.from === split || m.to === split))
  const notes: string[] = []
  if (touches('test')) {
    notes.push('The test split changes: test figures measured before (voxloop evaluate --split test) are not comparable with figures measured after; evaluate the versions again to compare them.')
  }
  if (touches('validation')) {
    notes.push('The validation split changes: the validation figures of versions trained before are not comparable with those of versions trained after.')
  }
  return notes
}
