/**
 * The active-learning loop, simulated on the labelled hippocampus cases of shared/data (MSD Task04
 * subset, 41 cases, labels 1 = anterior, 2 = posterior); the reference labels stand in for the
 * radiologist, who "corrects" a chosen case perfectly.
 *
 *   - test: 9 cases held out for the whole run (the project's seeded splitCases);
 *   - round 0: 4 curated cases (a seeded draw from the other 32), one model, shared by both arms;
 *   - rounds 1…R (R = 5): each arm adds 4 cases from its own pool and retrains:
 *       uncertainty arm: its previous model predicts every pool case as the app does
 *         (predictCaseForReview: sliding window, mirror TTA on the training mirror axes, case score) and mostUncertain picks 4;
 *       random arm: 4 drawn from its pool with a seeded generator;
 *     retraining fine-tunes the arm's previous model (TrainingOptions.fromModel, as the app retrains
 *     from the active model), with the same seed and the same budget in both arms;
 *   - after every training: held-out Dice per label on the 9 test cases (evaluateVersion, the code
 *     behind `voxloop evaluate`: whole case, sliding window, scored on the case's own grid).
 *
 * All training is the project's loop (runTraining) on the wasm backend with the project's Conv3D
 * kernels, with a small budget so the whole bench fits ~30–40 min on the 2 shared cores: residual
 * U-Net depth 3 with 4 base filters (the app's default is 8), patch 24×32×24 (the plan's default
 * for this data is 40×56×40: ~10× the cost per step, and 60 such steps left the model predicting
 * one class everywhere), batch 2, Adam 3e-3 (default 1e-3: too slow to leave the all-one-class
 * start in this budget) with the poly schedule and its 5 % warm-up, augmentation on, no validation
 * split (the test set is the only held-out data), 1 epoch of STEPS steps per training.
 *
 * Env: VOXLOOP_BENCH_ROUNDS (default 5), VOXLOOP_BENCH_STEPS (steps per training, default 400),
 * VOXLOOP_BENCH_TTA=0 (score the pool without mirror TTA), VOXLOOP_BENCH_SEED (default 20240611; another
 * seed gives another split, initial set and training noise). A quick check: ROUNDS=2 STEPS=20.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { activateBackend } from '../../src/engine/backends/activateBackend'
import { evaluateVersion } from '../../src/engine/infer/evaluateVersion'
import { predictCaseForReview, releasePredictionModel } from '../../src/engine/infer/predictCaseForReview'
import { runTraining, splitCases } from '../../src/engine/train'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { diceOfLabel, mostUncertain } from '../../src/shared/activeLearning'
import type { CaseFiles, TrainRequest } from '../../src/shared/engineProtocol'
import type { LabelDef } from '../../src/shared/project'
import { createRandom, deriveSeed } from '../../src/shared/random'
import { TrainingOptionsSchema, type TrainingPlan, type ValidationScores } from '../../src/shared/training'
import { listHippocampusCases, loadAverage } from '../benchCommon'
import { type Bench, type BenchReport, type BenchRow, type BenchTarget } from '../report'

/** Seeds the test split, the initial cases, the random arm and every training. */
const SEED = Math.floor(Number(process.env.VOXLOOP_BENCH_SEED ?? 20_240_611)) >>> 0
const TEST_CASES = 9
const INITIAL_CASES = 4
const PER_ROUND = 4
const ROUNDS = Math.max(1, Math.floor(Number(process.env.VOXLOOP_BENCH_ROUNDS ?? 5)))
const STEPS = Math.max(1, Math.floor(Number(process.env.VOXLOOP_BENCH_STEPS ?? 400)))
const TTA = process.env.VOXLOOP_BENCH_TTA !== '0'
const PATCH: [number, number, number] = [24, 32, 24]
const LEARNING_RATE = 3e-3
const BASE_FILTERS = 4
const LABELS: LabelDef[] = [
  { id: 1, name: 'anterior', color: '#e6194b' },
  { id: 2, name: 'posterior', color: '#3cb44b' }
]

type Arm = 'uncertainty' | 'random'
const ARMS: Arm[] = ['uncertainty', 'random']

/** A seeded Fisher–Yates shuffle of a copy (ids sorted first, so the order depends on the set only). */
function shuffled(ids: readonly string[], seed: number): string[] {
  const out = [...ids].sort()
  const random = createRandom(seed)
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[out[i], out[j]] = [out[j] as string, out[i] as string]
  }
  return out
}

const mean = (values: readonly number[]): number => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN)

/** Spearman rank correlation, tied values sharing their mean rank; NaN when either side is constant. */
function spearman(a: readonly number[], b: readonly number[]): number {
  const ranks = (v: readonly number[]): number[] => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0])
    const r = new Array<number>(v.length)
    for (let start = 0; start < order.length; ) {
      let end = start
      while (end + 1 < order.length && (order[end + 1] as readonly [number, number])[0] === (order[start] as readonly [number, number])[0]) end++
      for (let k = start; k <= end; k++) r[(order[k] as readonly [number, number])[1]] = (start + end) / 2
      start = end + 1
    }
    return r
  }
  const n = a.length
  if (n < 3) return Number.NaN
  const ra = ranks(a)
  const rb = ranks(b)
  const ma = mean(ra)
  const mb = mean(rb)
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < n; i++) {
    const x = (ra[i] as number) - ma
    const y = (rb[i] as number) - mb
    num += x * y
    da += x * x
    db += y * y
  }
  return da === 0 || db === 0 ? Number.NaN : num / Math.sqrt(da * db)
}

interface Timer {
  training: number
  predicting: number
  evaluating: number
}

interface PoolScore {
  id: string
  score: number
  /** Mean foreground Dice of the prediction against the reference (what the correction would fix). */
  dice: number
}

interface ArmRound {
  round: number
  curated: string[]
  version: string
  test: ValidationScores
  /** Cases this arm added in this round (empty in round 0). */
  added: string[]
  /** Scores of the pool by this round's model (uncertainty arm, rounds before the last). */
  poolScores: PoolScore[] | null
}

async function run(): Promise<BenchReport> {
  const started = performance.now()
  const backend = await activateBackend('wasm')
  const cases = await listHippocampusCases()
  const byId = new Map(cases.map((c) => [c.id, c]))
  const { validation: testIds, training: rest } = splitCases(
    cases.map((c) => c.id),
    TEST_CASES / cases.length,
    SEED
  )
  if (testIds.length !== TEST_CASES) throw new Error(`expected ${TEST_CASES} test cases, the split gave ${testIds.length}`)
  const initial = shuffled(rest, deriveSeed(SEED, 0x1417)).slice(0, INITIAL_CASES).sort()
  const initialPool = rest.filter((id) => !initial.includes(id))
  const rounds = Math.min(ROUNDS, Math.floor(initialPool.length / PER_ROUND))
  const testFiles = testIds.map((id) => byId.get(id) as CaseFiles)
  const modelsDir = await mkdtemp(path.join(os.tmpdir(), 'voxloop-bench-al-'))
  const time: Timer = { training: 0, predicting: 0, evaluating: 0 }
  const loads: string[] = [`start ${loadAverage()}`]
  const references = new Map<string, Uint8Array>()
  let plan: TrainingPlan | null = null
  let trainings = 0

  console.log(`  ${cases.length} cases: ${testIds.length} test, ${initial.length} initial, pool ${initialPool.length}; ${rounds} rounds × ${PER_ROUND}, ${STEPS} steps per training, TTA ${TTA}`)

  const train = async (curated: string[], round: number, fromModel: string | null, arm: string): Promise<string> => {
    const t0 = performance.now()
    const request: TrainRequest = {
      runId: `bench-al-${arm}-${round}`,
      options: TrainingOptionsSchema.parse({
        epochs: 1,
        stepsPerEpoch: STEPS,
        patchSize: PATCH,
        learningRate: LEARNING_RATE,
        validationFraction: 0,
        // Same seed for both arms in a round: same initial weights (round 0), same batch stream.
        seed: deriveSeed(SEED, 0x7a1, round),
        // The residual U-Net its documented figures were measured with (docs/ACTIVE_LEARNING.md), named since the default changed.
        model: { architecture: 'residual-unet', baseFilters: BASE_FILTERS },
        ...(fromModel ? { fromModel } : {})
      }),
      modelsDir,
      cases: curated.map((id) => byId.get(id) as CaseFiles),
      labels: LABELS,
      modality: 'MR'
    }
    const result = await runTraining(request, {
      control: { cancelRequested: false },
      progressIntervalMs: 60_000,
      events: {
        started: (payload) => {
          plan ??= payload.plan
        },
        progress: () => undefined,
        epoch: () => undefined
      }
    })
    if (result.status !== 'completed') throw new Error(`training ${arm} round ${round} ended ${result.status}`)
    trainings++
    const seconds = (performance.now() - t0) / 1000
    time.training += seconds
    console.log(`  trained ${arm} round ${round} on ${curated.length} cases: ${result.step} steps in ${seconds.toFixed(0)} s (load ${loadAverage()})`)
    return result.version
  }

  const evaluate = async (version: string): Promise<ValidationScores> => {
    const t0 = performance.now()
    const report = await evaluateVersion({ version, modelsDir, cases: testFiles }, async () => undefined)
    time.evaluating += (performance.now() - t0) / 1000
    return report.mean
  }

  const reference = async (id: string): Promise<Uint8Array> => {
    const known = references.get(id)
    if (known) return known
    const label = await readLabelNifti((byId.get(id) as CaseFiles).labelPath as string)
    const data = Uint8Array.from(label.data as ArrayLike<number>)
    references.set(id, data)
    return data
  }

  /** The app's prediction for review of every pool case; the reference label only scores it. */
  const scorePool = async (version: string, pool: readonly string[]): Promise<PoolScore[]> => {
    const t0 = performance.now()
    const scores: PoolScore[] = []
    try {
      for (const id of pool) {
        const files = byId.get(id) as CaseFiles
        const result = await predictCaseForReview({ modelsDir, version, case: { ...files, labelPath: null }, tta: TTA }, async () => undefined)
        const truth = await reference(id)
        scores.push({ id, score: result.score, dice: mean(LABELS.map((l) => diceOfLabel(result.labels, truth, l.id))) })
      }
    } finally {
      releasePredictionModel()
    }
    time.predicting += (performance.now() - t0) / 1000
    return scores
  }

  const history: Record<Arm, ArmRound[]> = { uncertainty: [], random: [] }
  try {
    // Round 0: shared.
    const v0 = await train(initial, 0, null, 'shared')
    const test0 = await evaluate(v0)
    const pool0 = rounds > 0 ? await scorePool(v0, initialPool) : null
    console.log(`  round 0 (${initial.length} cases): test Dice ${test0.meanForegroundDice.toFixed(3)}`)
    loads.push(`round 0 ${loadAverage()}`)
    for (const arm of ARMS) history[arm].push({ round: 0, curated: initial, version: v0, test: test0, added: [], poolScores: arm === 'uncertainty' ? pool0 : null })

    for (let round = 1; round <= rounds; round++) {
      for (const arm of ARMS) {
        const previous = history[arm][round - 1] as ArmRound
        const pool = initialPool.filter((id) => !previous.curated.includes(id))
        let added: string[]
        if (arm === 'uncertainty') {
          const scores = previous.poolScores as PoolScore[]
          added = mostUncertain(
            scores.map((s) => ({ id: s.id, status: 'predicted' as const, uncertainty: s.score })),
            PER_ROUND
          ).map((c) => c.id)
        } else {
          added = shuffled(pool, deriveSeed(SEED, 0x4a7d, round)).slice(0, PER_ROUND)
        }
        const curated = [...previous.curated, ...added].sort()
        const version = await train(curated, round, previous.version, arm)
        const test = await evaluate(version)
        const remaining = pool.filter((id) => !added.includes(id))
        const poolScores = arm === 'uncertainty' && round < rounds ? await scorePool(version, remaining) : null
        history[arm].push({ round, curated, version, test, added, poolScores })
        console.log(`  round ${round} ${arm}: +${added.join(', ')} → test Dice ${test.meanForegroundDice.toFixed(3)}`)
      }
      loads.push(`round ${round} ${loadAverage()}`)
    }
  } finally {
    releasePredictionModel()
    await rm(modelsDir, { recursive: true, force: true })
  }
  const wallSeconds = (performance.now() - started) / 1000

  // ------------------------------------------------------------------------------------------
  const diceOf = (arm: Arm, round: number): number => history[arm][round]?.test.meanForegroundDice ?? Number.NaN
  const labelDice = (s: ValidationScores, id: number): string => (s.perLabel.find((l) => l.labelId === id)?.dice ?? Number.NaN).toFixed(3)
  const rows: BenchRow[] = []
  rows.push({ name: `round 0 (${INITIAL_CASES} curated, shared): test Dice`, value: diceOf('random', 0), unit: 'Dice', note: 'mean of the 2 labels over 9 test cases' })
  for (let round = 1; round <= rounds; round++) {
    const n = INITIAL_CASES + PER_ROUND * round
    const randomName = `round ${round} (${n} curated): test Dice, random arm`
    rows.push({ name: randomName, value: diceOf('random', round), unit: 'Dice' })
    rows.push({ name: `round ${round} (${n} curated): test Dice, uncertainty arm`, value: diceOf('uncertainty', round), unit: 'Dice', baselineOf: randomName })
  }

  // Target: rounds each arm needs to reach the random arm's final Dice.
  let target: BenchTarget
  const notes0: string[] = []
  const firstReaching = (arm: Arm, level: number): number | null => {
    for (let r = 0; r <= rounds; r++) if (diceOf(arm, r) >= level) return r
    return null
  }
  const targetText = "uncertainty-chosen cases reach the random arm's final held-out Dice in fewer rounds than the random choice"
  if (rounds >= 2) {
    const finalRandom = diceOf('random', rounds)
    const randomRounds = firstReaching('random', finalRandom) as number
    const uncertaintyRounds = firstReaching('uncertainty', finalRandom)
    rows.push({ name: "rounds to reach the random arm's final Dice: random arm", value: randomRounds, unit: 'rounds', note: `final random Dice ${finalRandom.toFixed(3)}` })
    rows.push({
      name: "rounds to reach the random arm's final Dice: uncertainty arm",
      value: uncertaintyRounds ?? Number.NaN,
      unit: 'rounds',
      baselineOf: "rounds to reach the random arm's final Dice: random arm",
      note: uncertaintyRounds === null ? `never reached in ${rounds} rounds` : ''
    })
    target = { description: targetText, met: uncertaintyRounds !== null && uncertaintyRounds < randomRounds }
    if (randomRounds === 0) notes0.push("the random arm's final Dice is no better than round 0's (shared): the comparison says nothing about the choice of cases")
  } else {
    target = { description: `${targetText} (needs ≥ 2 rounds; this run did ${rounds})`, met: null }
  }
  rows.push({ name: 'wall time of the bench', value: wallSeconds / 60, unit: 'min' })
  rows.push({ name: 'time training', value: time.training / 60, unit: 'min', note: `${trainings} trainings of ${STEPS} steps` })
  rows.push({ name: 'time predicting the pool (uncertainty arm)', value: time.predicting / 60, unit: 'min', note: TTA ? 'mirror TTA on the axes the model was trained to mirror (none with the default plan: one pass)' : 'no TTA' })
  rows.push({ name: 'time evaluating the test cases', value: time.evaluating / 60, unit: 'min' })

  const table = ['| round | curated cases | Dice uncertainty arm | Dice random arm |', '| --- | --- | --- | --- |']
  for (let round = 0; round <= rounds; round++) {
    table.push(`| ${round} | ${INITIAL_CASES + PER_ROUND * round} | ${diceOf('uncertainty', round).toFixed(3)} | ${diceOf('random', round).toFixed(3)} |`)
  }
  const notes: string[] = [`table:\n${table.join('\n')}`, ...notes0]
  const p = plan as TrainingPlan | null
  const model = (p?.model ?? {}) as { depth?: number; baseFilters?: number; residualUnits?: number }
  notes.push(
    `backend ${backend.tfBackend} (${backend.reason}) with the project's Conv3D kernels; runTraining per round, round 0 from scratch, later rounds fine-tuned from the arm's previous version (fromModel), same seed per round in both arms`,
    `plan: residual U-Net depth ${model.depth}, ${model.baseFilters} base filters, ${model.residualUnits} unit(s); patch ${p?.patchSize.join('×')} at ${p?.targetSpacingMm.join('×')} mm, batch ${p?.batchSize}, ${p?.optimizer} ${p?.learningRate} ${p?.schedule} (warm-up ${p?.warmupSteps} steps), augmentation ${p?.augment}, foreground p ${p?.foregroundProbability}; 1 epoch × ${STEPS} steps per training, no validation split`,
    `test cases (${testIds.length}, splitCases with seed ${SEED}): ${testIds.join(', ')}; initial curated: ${initial.join(', ')}`
  )
  for (const arm of ARMS) {
    notes.push(
      `${arm} arm per round (added → test Dice anterior / posterior): ${history[arm]
        .map((h) => `${h.round}: ${h.added.length ? h.added.map((id) => id.replace('hippocampus_', '')).join(' ') : 'initial'} → ${labelDice(h.test, 1)} / ${labelDice(h.test, 2)}`)
        .join('; ')}`
    )
  }
  const scored = history.uncertainty.filter((h) => h.poolScores)
  if (scored.length) {
    notes.push(
      `does the case score find the worst cases? per round (pool size, Spearman(score, pool-case Dice) — negative means uncertain cases are worse, mean Dice of the 4 chosen vs the whole pool): ${scored
        .map((h) => {
          const s = h.poolScores as PoolScore[]
          const chosen = (history.uncertainty[h.round + 1]?.added ?? []).map((id) => s.find((x) => x.id === id) as PoolScore)
          const rho = spearman(
            s.map((x) => x.score),
            s.map((x) => x.dice)
          )
          return `${h.round}: n ${s.length}, ρ ${Number.isFinite(rho) ? rho.toFixed(2) : 'n/a (all equal)'}, chosen ${mean(chosen.map((x) => x.dice)).toFixed(3)} vs pool ${mean(s.map((x) => x.dice)).toFixed(3)}`
        })
        .join('; ')}`
    )
  }
  notes.push(
    `one seed, ${TEST_CASES} test cases, ${STEPS} steps per training: differences of a few hundredths of Dice between the arms are within what another seed could change (not measured here: one run is the budget)`,
    `load average (1/5/15 min) on ${os.cpus().length} cores shared with other work: ${loads.join('; ')}`
  )

  return {
    name: 'active-learning',
    rows,
    targets: [target],
    notes,
    environment: { tfjs: tf.version.tfjs, seed: SEED, rounds, stepsPerTraining: STEPS, tta: String(TTA) }
  }
}

export const bench: Bench = {
  name: 'active-learning',
  description: `Simulated active-learning loop on the hippocampus cases: ${INITIAL_CASES} curated + ${PER_ROUND} per round by uncertainty vs at random, ${ROUNDS} rounds; held-out Dice per round`,
  run
}
