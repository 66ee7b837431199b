/**
 * Cross-validation: the fold assignment and the report (pure), and `runCrossValidation` end to end
 * with a real engine process (TypeScript source under tsx, wasm) on a small synthetic project: the
 * folds cover the curated non-test cases once each, the fold models stay out of models/, and the
 * report is written beside them.
 */
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../src/main/app/EventHub'
import { EngineClient } from '../../../../../src/main/engine/EngineClient'
import { forkEngine } from '../../../../../src/main/engine/forkEngine'
import { type ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import {
  assignFolds,
  foldLabelScores,
  formatCrossValidation,
  jsonNumbers,
  mean,
  median,
  runCrossValidation,
  sd,
  summarizeFolds,
  type CrossValidationFold,
  type CrossValidationReport
} from '../../../../../src/main/services/training/crossValidation'
import { TrainingService } from '../../../../../src/main/services/training/TrainingService'
import { engineArgv } from '../../../../../src/shared/engineProtocol'
import type { EvaluationReport } from '../../../../../src/shared/training'
import { engineSpecFromSource } from '../../../../helpers/engineUnderTsx'
import { FIXTURE_LABELS } from '../../../engine/train/trainingFixtures'
import { makeTempDir, removeDir } from '../project/projectFixtures'
import { syntheticProject } from './syntheticProject'

describe('fold assignment', () => {
  const ids = Array.from({ length: 41 }, (_, n) => `hippocampus_${String(n).padStart(3, '0')}`)

  it('deals every case into exactly one fold, sizes differing by at most one, the same for any input order', () => {
    const folds = assignFolds(ids, 5, 20_261_205)
    expect(folds.map((f) => f.length)).toEqual([9, 8, 8, 8, 8])
    expect(folds.flat().sort()).toEqual(ids)
    for (const fold of folds) expect(fold).toEqual([...fold].sort())
    expect(assignFolds([...ids].reverse(), 5, 20_261_205)).toEqual(folds)
    expect(assignFolds(ids, 5, 1)).not.toEqual(folds)
    // Not simply consecutive ids: the shuffle mixes them.
    expect(folds[0]).not.toEqual(ids.slice(0, 9))
  })

  it('refuses fewer than two folds and fewer cases than folds', () => {
    expect(() => assignFolds(ids, 1, 1)).toThrow(/at least 2 folds/)
    expect(() => assignFolds(['a', 'b'], 3, 1)).toThrow(/3 folds need at least 3 cases, got 2/)
  })
})

describe('cross-validation statistics and report', () => {
  it('mean, sample sd and median', () => {
    expect(mean([1, 2, 3, 6])).toBe(3)
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3)
    expect(sd([1])).toBeNaN()
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  const evaluation = (rows: Array<[number, number, number, number | null]>): EvaluationReport => ({
    version: 'v0001-20260101-000000',
    seconds: 1,
    cases: rows.map(([dice, hd95Mm, surfaceDice, volumeRatio], n) => ({
      caseId: `c${n}`,
      meanForegroundDice: dice,
      perLabel: [{ labelId: 1, name: 'Anterior', dice, iou: dice / (2 - dice), sensitivity: null, specificity: null, hd95Mm, surfaceDice, volumeRatio }]
    })),
    mean: { meanForegroundDice: 0, cases: rows.length, perLabel: [{ labelId: 1, name: 'Anterior', dice: 0, iou: 0, sensitivity: null, specificity: null }] }
  })

  it("scores a label on a fold from its cases: mean Dice, IoU and HD95, the median volume ratio of cases that have the label", () => {
    const scores = foldLabelScores(
      evaluation([
        [0.8, 2, 0.9, 1.2],
        [0.6, 4, 0.7, null],
        [0.7, 3, 0.8, 1.0],
        [0.9, 1, 1.0, 1.4]
      ]),
      1
    )
    expect(scores).toMatchObject({ labelId: 1, name: 'Anterior', hd95Mm: 2.5, volumeRatioMedian: 1.2 })
    expect(scores.dice).toBeCloseTo(0.75)
    // The mean of the cases' IoUs, not the IoU of the mean Dice (0.6).
    expect(scores.iou).toBeCloseTo((0.8 / 1.2 + 0.6 / 1.4 + 0.7 / 1.3 + 0.9 / 1.1) / 4)
    expect(scores.surfaceDice).toBeCloseTo(0.85)
  })

  const fold = (n: number, dice: number, hd95Mm: number, ratio: number, minutes: number): CrossValidationFold => ({
    fold: n,
    heldOut: [`c${n}`],
    trainingCaseIds: [],
    internalValidationCaseIds: [],
    version: `v000${n}-20260101-000000`,
    status: 'completed',
    epochs: 3,
    steps: 30,
    minutes,
    perLabel: [
      { labelId: 2, name: 'Posterior', dice: dice - 0.1, iou: dice - 0.2, hd95Mm: hd95Mm + 1, surfaceDice: 0.5, volumeRatioMedian: Number.NaN },
      { labelId: 1, name: 'Anterior', dice, iou: dice - 0.1, hd95Mm, surfaceDice: 0.9, volumeRatioMedian: ratio }
    ]
  })

  it('summarises per label over folds (labels in id order; a label no held-out case has is left out of its ratio)', () => {
    const perFold = [fold(1, 0.8, 2, 1.1, 10), fold(2, 0.9, 4, 0.9, 14)]
    const { summary, minutesPerFold } = summarizeFolds(perFold)
    expect(summary.map((s) => s.name)).toEqual(['Anterior', 'Posterior'])
    expect(summary[0]?.dice.mean).toBeCloseTo(0.85)
    expect(summary[0]?.dice.sd).toBeCloseTo(Math.sqrt(0.005))
    expect(summary[0]?.iou.mean).toBeCloseTo(0.75)
    expect(summary[0]?.hd95Mm).toEqual({ mean: 3, sd: Math.SQRT2 })
    expect(summary[0]?.volumeRatio.mean).toBeCloseTo(1)
    expect(summary[1]?.volumeRatio.mean).toBeNaN()
    expect(minutesPerFold).toEqual({ mean: 12, sd: 2 * Math.SQRT2 })

    const report: CrossValidationReport = {
      run: 'cv-20260101-000000',
      folder: 'crossval/cv-20260101-000000',
      folds: 2,
      seed: 7,
      minutes: null,
      architecture: 'plain-unet',
      deepSupervision: true,
      testCases: ['t1'],
      perFold,
      summary,
      minutesPerFold
    }
    const text = formatCrossValidation(report)
    expect(text).toContain('2-fold cross-validation of plain-unet with deep supervision (fold seed 7, default budget) on 2 curated cases; 1 test case(s) left out')
    expect(text).toContain("crossval/cv-20260101-000000/ (not the project's models)")
    expect(text).toMatch(/^1 {5}Anterior {14}0\.800 {3}0\.700 {3}2\.00 {6}1\.100 {6}0\.900 {3}1 {6}v0001-20260101-000000 \(completed, 3 ep, 10\.0 min\)$/m)
    expect(text).toMatch(/^Anterior {14}0\.850 ± 0\.071 {3}0\.750 ± 0\.071 {3}3\.00 ± 1\.41 {6}1\.000 ± 0\.141 {7}0\.900 ± 0\.000$/m)
    // Per fold, labels in id order whatever order the fold listed them in.
    expect(text.indexOf('1     Anterior')).toBeLessThan(text.indexOf('1     Posterior'))
    expect(text).toMatch(/^Posterior .* n\/a ± n\/a/m)
    expect(text).toContain('minutes per fold: 12.0 ± 2.8')
    // JSON cannot hold NaN: written as null.
    expect(JSON.parse(JSON.stringify(report, jsonNumbers)).summary[1].volumeRatio).toEqual({ mean: null, sd: null })
  })
})

describe('runCrossValidation with a real engine', () => {
  let dir: string
  let store: ProjectStore
  let engine: EngineClient
  let service: TrainingService
  const hub = new EventHub()

  beforeAll(async () => {
    dir = await makeTempDir('voxloop-crossval-')
    // case-5 is labelled but not curated: cross-validation must leave it out.
    store = await syntheticProject(dir, { name: 'Balls', labels: FIXTURE_LABELS, seed: 5, cases: 6, inReview: 5 })
    engine = new EngineClient({ launcher: forkEngine, spec: { ...engineSpecFromSource(), argv: engineArgv({ backend: 'wasm' }) } })
    service = new TrainingService({ engine, events: hub, store: () => store })
  })

  afterAll(async () => {
    service?.dispose()
    engine?.dispose()
    await store?.dispose()
    await removeDir(dir)
  })

  it('trains one model per fold on the other folds, scores it on its own fold, and keeps the fold models out of models/', async () => {
    // A test case the user set aside: never in a fold.
    await store.setSplit('case-4', 'test')
    const started: number[] = []
    const report = await runCrossValidation(service, store, {
      folds: 2,
      // A few seconds per fold: the default plan with a budget, as `voxloop crossval --minutes` passes it.
      minutes: 0.05,
      seed: 3,
      now: () => new Date(Date.UTC(2026, 11, 5, 10, 15, 0)),
      onFoldStarted: (n) => started.push(n)
    })
    expect(started).toEqual([1, 2])
    expect(report).toMatchObject({ run: 'cv-20261205-101500', folder: 'crossval/cv-20261205-101500', folds: 2, seed: 3, minutes: 0.05, testCases: ['case-4'] })
    const heldOut = report.perFold.map((f) => f.heldOut)
    expect(heldOut.flat().sort()).toEqual(['case-0', 'case-1', 'case-2', 'case-3'])
    for (const f of report.perFold) {
      // Trained (and internally validated) on the other fold only.
      expect([...f.trainingCaseIds, ...f.internalValidationCaseIds].sort()).toEqual(['case-0', 'case-1', 'case-2', 'case-3'].filter((id) => !f.heldOut.includes(id)))
      expect(f.perLabel.map((l) => l.labelId)).toEqual([1, 2])
      for (const l of f.perLabel) {
        expect(l.dice).toBeGreaterThanOrEqual(0)
        expect(l.dice).toBeLessThanOrEqual(1)
        expect(l.hd95Mm).toBeGreaterThanOrEqual(0)
      }
    }
    expect(report.summary.map((s) => s.labelId)).toEqual([1, 2])
    expect(report.summary[0]?.dice.mean).toBeCloseTo(mean(report.perFold.map((f) => f.perLabel[0]?.dice ?? Number.NaN)))

    // Fold models live in the run's folder; the project's models/ (what predictions use) has none.
    expect(await service.listModels()).toEqual([])
    const runDir = path.join(store.root, 'crossval', 'cv-20261205-101500')
    expect((await readdir(path.join(runDir, 'models'))).sort()).toEqual(report.perFold.map((f) => f.version).sort())
    expect(JSON.parse(await readFile(path.join(runDir, 'report.json'), 'utf8'))).toMatchObject({ run: report.run, testCases: ['case-4'] })
    const audit = (await store.readAudit()).filter((e) => e.type === 'model-version')
    expect(audit.map((e) => e.actor)).toEqual(['crossval:cv-20261205-101500:fold-1/2:' + report.perFold[0]?.status, 'crossval:cv-20261205-101500:fold-2/2:' + report.perFold[1]?.status])
    // Splits were assigned to the curated cases as a default run does (case-5 is not curated).
    expect(store.getCase('case-5').split).toBeNull()
    expect(store.listCases().filter((c) => c.status === 'done').every((c) => c.split !== null)).toBe(true)

    // More folds than cases outside the test split: refused, saying how many there are.
    await expect(runCrossValidation(service, store, { folds: 5, minutes: 0.05 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/5 folds need at least 5 curated cases outside the test split; the project has 4 \(and 1 test case/) })
    // Two real training runs and two evaluations: ~40 s on two busy cores.
  }, 180_000)
})
