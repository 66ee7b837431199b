/** Label maps as the datastore holds them (voxel values are label ids, 0 = background). */
type LabelMap = ArrayLike<number>

export interface LabelEffort {
  labelId: number
  /** Voxels the reviewer gave this label that the model had not. */
  added: number
  /** Voxels the model gave this label that the reviewer took away. */
  removed: number
}

export interface CorrectionEffort {
  /** Voxels whose final label differs from the model's proposal. */
  voxelsChanged: number
  perLabel: LabelEffort[]
}

/**
 * How much the reviewer changed the model's proposal: voxels changed in total and, per label,
 * how many were added and removed. This is the "correction effort" the active-learning loop aims
 * to shrink from one model version to the next.
 */
export function correctionEffort(proposal: LabelMap, final: LabelMap): CorrectionEffort {
  if (proposal.length !== final.length) throw new Error(`label maps differ in size (${proposal.length} vs ${final.length})`)
  const added = new Map<number, number>()
  const removed = new Map<number, number>()
  let changed = 0
  for (let i = 0; i < final.length; i++) {
    const before = proposal[i] as number
    const after = final[i] as number
    if (before === after) continue
    changed++
    if (after !== 0) added.set(after, (added.get(after) ?? 0) + 1)
    if (before !== 0) removed.set(before, (removed.get(before) ?? 0) + 1)
  }
  const ids = [...new Set([...added.keys(), ...removed.keys()])].sort((a, b) => a - b)
  return { voxelsChanged: changed, perLabel: ids.map((labelId) => ({ labelId, added: added.get(labelId) ?? 0, removed: removed.get(labelId) ?? 0 })) }
}

/**
 * Dice of one label between two maps. Both empty counts as perfect agreement (1): the model was
 * right that the structure is absent.
 */
export function diceOfLabel(a: LabelMap, b: LabelMap, labelId: number): number {
  let inA = 0
  let inB = 0
  let both = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === labelId
    const y = b[i] === labelId
    if (x) inA++
    if (y) inB++
    if (x && y) both++
  }
  return inA + inB === 0 ? 1 : (2 * both) / (inA + inB)
}

/**
 * Dice per label between a proposal and the accepted label: for each id in `labelIds` (the label
 * table) and for every other label either map holds. The second part keeps the figure true to the
 * correction effort taken from the same two maps (issue #15 item 5): a label deleted from the table
 * while the proposal had 103,043 voxels of it scored no Dice at all, so the mean read 0.996 beside
 * "103,043 voxels changed"; it now scores 0 and pulls the mean down. One pass over the maps.
 */
export function dicePerLabel(a: LabelMap, b: LabelMap, labelIds: readonly number[]): Record<string, number> {
  if (a.length !== b.length) throw new Error(`label maps differ in size (${a.length} vs ${b.length})`)
  const inA = new Map<number, number>()
  const inB = new Map<number, number>()
  const both = new Map<number, number>()
  const bump = (map: Map<number, number>, key: number): void => {
    map.set(key, (map.get(key) ?? 0) + 1)
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    if (x !== 0) bump(inA, x)
    if (y !== 0) bump(inB, y)
    if (x === y && x !== 0) bump(both, x)
  }
  const ids = [...new Set([...labelIds, ...inA.keys(), ...inB.keys()])].sort((p, q) => p - q)
  return Object.fromEntries(
    ids.map((id) => {
      const sum = (inA.get(id) ?? 0) + (inB.get(id) ?? 0)
      // Both empty: the model was right that the structure is absent (as diceOfLabel).
      return [String(id), sum === 0 ? 1 : (2 * (both.get(id) ?? 0)) / sum]
    })
  )
}

/** Active time on a case from activity timestamps (ms): gaps longer than `idleMs` count as idle. */
export function activeSeconds(activityTimesMs: readonly number[], idleMs = 60_000): number {
  let total = 0
  for (let i = 1; i < activityTimesMs.length; i++) {
    const gap = (activityTimesMs[i] as number) - (activityTimesMs[i - 1] as number)
    if (gap > 0) total += Math.min(gap, idleMs)
  }
  return total / 1000
}
