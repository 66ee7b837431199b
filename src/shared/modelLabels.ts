/**
 * A model's labels against the project's label table (issue #15 items 7 and 8). Pure, shared by
 * main (which decides what a run trains and refuses a mismatched activation) and the renderer
 * (which says so before the user clicks).
 *
 * A model predicts the classes of its plan (label id + name, plan.classes); the table can change
 * after it trained. Two questions:
 * - may it be made active? Only if every label id it predicts is still in the table: otherwise its
 *   predictions would write voxels of a label the project no longer has;
 * - may it be fine-tuned? Only if it predicts exactly the labels the run would train (ids and
 *   names), as the engine's planner requires (trainingPlan.ts): a fine-tuned model keeps its output
 *   channels.
 */

export interface LabelRef {
  labelId: number
  name: string
}

/** What the table holds per label (LabelDef's id and name). */
export interface TableLabel {
  id: number
  name: string
}

/** What a case says about its label (CaseSummary.labelStats). */
export interface CaseLabelStats {
  labelStats: ReadonlyArray<{ labelId: number; voxels: number }>
}

const named = (labels: readonly LabelRef[]): string => labels.map((l) => `${l.name} (${l.labelId})`).join(', ')

/** Why `version` may not be made active with this table, or null when it may. */
export function activationMismatch(version: string, modelLabels: readonly LabelRef[], table: readonly TableLabel[]): string | null {
  const ids = new Set(table.map((l) => l.id))
  const gone = modelLabels.filter((l) => !ids.has(l.labelId))
  if (gone.length === 0) return null
  return `${version} predicts ${named(gone)}, which the project's label table no longer has: its predictions would write labels that do not exist. Train a new model on the current labels instead.`
}

/** Why fine-tuning `version` to predict `trainLabels` is impossible, or null when it is possible. */
export function fineTuneMismatch(version: string, modelLabels: readonly LabelRef[], trainLabels: readonly LabelRef[]): string | null {
  const key = (labels: readonly LabelRef[]): string =>
    JSON.stringify([...labels].sort((a, b) => a.labelId - b.labelId).map((l) => [l.labelId, l.name]))
  if (key(modelLabels) === key(trainLabels)) return null
  return `${version} predicts ${named(modelLabels) || 'no labels'}; this run would train ${named(trainLabels) || 'no labels'}: a fine-tuned model keeps its labels, so train a new model instead.`
}

/** Labels of the table without a single voxel in any of `cases` (each case's current label). */
export function labelsWithoutVoxels<L extends TableLabel>(table: readonly L[], cases: readonly CaseLabelStats[]): L[] {
  const present = new Set<number>()
  for (const c of cases) for (const stat of c.labelStats) if (stat.voxels > 0) present.add(stat.labelId)
  return table.filter((l) => !present.has(l.id))
}

/**
 * The labels a run trains and those it leaves out: the table minus the labels with no voxel in
 * the training cases (a class never seen is learned as noise: the "Cyst" of issue #15 predicted on
 * 90 % of a draft), except that a fine-tuned run keeps every label its base predicts.
 */
export function labelsToTrain<L extends TableLabel>(table: readonly L[], empty: readonly L[], base: readonly LabelRef[] | null): { train: L[]; excluded: L[] } {
  const basePredicts = new Set((base ?? []).map((l) => l.labelId))
  const left = new Set(empty.filter((l) => !basePredicts.has(l.id)).map((l) => l.id))
  return { train: table.filter((l) => !left.has(l.id)), excluded: table.filter((l) => left.has(l.id)) }
}

/** "Cyst (4), Vessel (3)": for messages naming labels. */
export function labelList(labels: readonly TableLabel[]): string {
  return labels.map((l) => `${l.name} (${l.id})`).join(', ')
}
