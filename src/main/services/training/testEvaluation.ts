/**
 * A model version's test figures: the latest `evaluate --split test` report, kept in the version
 * folder (`models/<version>/evaluation-test.json`, StoredEvaluationSchema) so that the model table
 * shows them apart from the validation figures of training. Training never reads them: the test
 * split plays no part in training or model selection.
 *
 * The figures say when they no longer mean what they meant: the project's test split has changed
 * since (they do not compare with a version measured on the current one), or the version's own run
 * trained or validated on a case now in the test split (they are not measured on unseen cases).
 */
import path from 'node:path'
import {
  STORED_EVALUATION_FORMAT_VERSION,
  StoredEvaluationSchema,
  type EvaluationReport,
  type StoredEvaluation,
  type TestFigures,
  type TrainingPlan
} from '../../../shared/training'
import { readJsonChecked } from '../../../node/storage/readJsonChecked'
import { writeFileAtomic } from '../../../node/storage/durableWrite'

export const TEST_EVALUATION_JSON = 'evaluation-test.json'

/** Replaces the version's stored test evaluation (crash-safe: the old one or the new one, never half). */
export async function writeTestEvaluation(versionDir: string, report: EvaluationReport, caseIds: readonly string[], now: Date = new Date()): Promise<StoredEvaluation> {
  const stored = StoredEvaluationSchema.parse({
    formatVersion: STORED_EVALUATION_FORMAT_VERSION,
    split: 'test',
    evaluatedAt: now.toISOString(),
    caseIds: [...caseIds],
    report
  })
  await writeFileAtomic(path.join(versionDir, TEST_EVALUATION_JSON), `${JSON.stringify(stored, null, 2)}\n`)
  return stored
}

/** The stored test evaluation, or null when the version has none; an unreadable file throws, naming it. */
export async function readTestEvaluation(versionDir: string): Promise<StoredEvaluation | null> {
  return readJsonChecked(path.join(versionDir, TEST_EVALUATION_JSON), StoredEvaluationSchema, 'a stored evaluation')
}

/**
 * What the model table shows of a stored test evaluation. `currentTestCaseIds`: the project's
 * curated test cases now, or null when unknown (then the split is taken as unchanged).
 */
export function testFiguresOf(stored: StoredEvaluation, plan: Pick<TrainingPlan, 'trainingCaseIds' | 'validationCaseIds'>, currentTestCaseIds: readonly string[] | null): TestFigures {
  const measured = new Set(stored.caseIds)
  const splitChanged = currentTestCaseIds !== null && (currentTestCaseIds.length !== measured.size || currentTestCaseIds.some((id) => !measured.has(id)))
  const seenByRun = new Set([...plan.trainingCaseIds, ...plan.validationCaseIds])
  return {
    evaluatedAt: stored.evaluatedAt,
    scores: stored.report.mean,
    splitChanged,
    seenInTraining: stored.caseIds.filter((id) => seenByRun.has(id))
  }
}
