/**
 * Crash safety of label edits, end to end: a child process applies a seeded stream of edits and
 * prints an ack after each applyLabelEdit resolves; we SIGKILL it at seeded random moments (after
 * some acks, some milliseconds after it is ready, or while it is opening and replaying the previous
 * run's journal), then check that every label file on disk is a complete NIfTI and that the reopened
 * project holds every acknowledged edit (plus possibly a few durable ones whose ack was not yet
 * printed, never a gap). Used by labelJournalCrash.test.ts (20 kills) and `npm run bench --
 * reliability` (200 or more).
 */
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { childSeed, createRng, type Rng } from '../../../src/main/services/demo/seededRandom'
import { applyEdit } from '../../../src/main/services/project/labelOps'
import { ProjectStore } from '../../../src/main/services/project/ProjectStore'
import { readLabelNifti } from '../../../src/node/formats/nifti'
import {
  CRASH_CASES,
  CRASH_DIMS,
  CRASH_IN_FLIGHT,
  CRASH_MAX_EDITS,
  crashEditStream,
  type CrashStreamItem
} from '../../unit/main/services/project/fixtures/crashEditStream'
import { TEST_LABELS, syntheticImage } from '../../unit/main/services/project/projectFixtures'
import { readLines } from './childIo'

const CHILD = path.join(__dirname, '../../unit/main/services/project/fixtures/journalCrashChild.ts')
const VOXELS = CRASH_DIMS[0] * CRASH_DIMS[1] * CRASH_DIMS[2]

type KillPlan = { when: 'after-acks'; acks: number } | { when: 'after-ready'; ms: number } | { when: 'while-opening'; ms: number }

interface ChildRun {
  seed: number
  /** Edit numbers whose ack line arrived (complete lines only). */
  acked: number[]
  finished: boolean
}

function planKill(rng: Rng, canKillWhileOpening: boolean): KillPlan {
  const roll = rng.next()
  if (canKillWhileOpening && roll < 0.25) return { when: 'while-opening', ms: rng.int(0, 40) }
  if (roll < 0.6) return { when: 'after-acks', acks: rng.int(1, 120) }
  return { when: 'after-ready', ms: rng.int(0, 250) }
}

function runChild(dir: string, seed: number, plan: KillPlan): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed)], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const run: ChildRun = { seed, acked: [], finished: false }
    let stderr = ''
    const kill = (): void => {
      child.kill('SIGKILL')
    }
    const onLine = (line: string): void => {
      if (line === 'opening' && plan.when === 'while-opening') setTimeout(kill, plan.ms)
      if (line === 'ready' && plan.when === 'after-ready') setTimeout(kill, plan.ms)
      if (line === 'done') run.finished = true
      const ack = /^ack (\d+)$/.exec(line)
      if (ack) {
        run.acked.push(Number(ack[1]))
        if (plan.when === 'after-acks' && run.acked.length === plan.acks) kill()
      }
    }
    readLines(child.stdout, (lines) => lines.forEach(onLine))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(run)
      else reject(new Error(`crash child exited with ${code ?? signal}: ${stderr}`))
    })
  })
}

interface RunStream {
  /** Case of each edit, in issue order. */
  order: string[]
  /** Each case's edits in its own order (the order its journal holds them). */
  perCase: Map<string, CrashStreamItem[]>
}

const streams = new Map<number, RunStream>()

/** The whole stream a child with this seed can issue, regenerated here. */
function streamOf(seed: number): RunStream {
  const cached = streams.get(seed)
  if (cached) return cached
  const next = crashEditStream(seed)
  const stream: RunStream = { order: [], perCase: new Map(CRASH_CASES.map((id) => [id, []])) }
  for (let n = 0; n < CRASH_MAX_EDITS; n++) {
    const item = next()
    stream.perCase.get(item.caseId)?.push(item)
    stream.order.push(item.caseId)
  }
  streams.set(seed, stream)
  return stream
}

/** How many of the case's edits were acknowledged: the position of its last acked edit, + 1. */
function ackedCountForCase(run: ChildRun, caseId: string): number {
  const { order } = streamOf(run.seed)
  const acked = new Set(run.acked)
  let position = 0
  let count = 0
  for (let n = 0; n < order.length; n++) {
    if (order[n] !== caseId) continue
    position++
    if (acked.has(n)) count = position
  }
  return count
}

/**
 * Finds, per run in order, a number of applied edits k ≥ acked (and at most acked + slack, since
 * only edits in flight can be durable without an ack) such that the baseline plus those prefixes
 * equals the recovered label. Returns the k per run, or null.
 */
function explain(baseline: Uint8Array, runs: ChildRun[], caseId: string, recovered: Uint8Array): number[] | null {
  const search = (state: Uint8Array, runIndex: number): number[] | null => {
    const run = runs[runIndex]
    if (!run) return state.every((value, n) => value === recovered[n]) ? [] : null
    const edits = streamOf(run.seed).perCase.get(caseId) ?? []
    const acked = ackedCountForCase(run, caseId)
    const working = state.slice()
    for (let k = 0; k < acked; k++) applyEdit(working, edits[k]!.edit)
    for (let k = acked; k <= Math.min(edits.length, acked + CRASH_IN_FLIGHT * 2); k++) {
      if (k > acked) applyEdit(working, edits[k - 1]!.edit)
      const rest = search(working, runIndex + 1)
      if (rest) return [k, ...rest]
    }
    return null
  }
  return search(baseline, 0)
}

/** Problems with the label files on disk: each must be a complete NIfTI on the case grid. */
async function incompleteLabelFiles(dir: string): Promise<string[]> {
  const problems: string[] = []
  for (const name of await readdir(path.join(dir, 'labels'))) {
    if (!name.endsWith('.nii.gz') || name.startsWith('.')) continue
    try {
      const label = await readLabelNifti(path.join(dir, 'labels', name))
      if (label.header.dims.join('x') !== CRASH_DIMS.join('x') || label.data.length !== VOXELS) problems.push(`${name}: wrong grid`)
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`)
    }
  }
  return problems
}


export interface KillReport {
  kills: number
  killedWhileOpening: number
  acknowledged: number
  /** Verifications whose recovered label no prefix of the acknowledged edits explains (must be 0). */
  unexplained: string[]
  /** Label files found torn or on the wrong grid after a kill (must be none). */
  incomplete: string[]
}

/** Creates the project the kill runs use in `dir` (which must not exist). */
export async function createKillProject(dir: string): Promise<void> {
  const store = await ProjectStore.create(dir, { name: 'Crash', labels: TEST_LABELS })
  for (const caseId of CRASH_CASES) await store.addCase({ id: caseId, image: syntheticImage(CRASH_DIMS) })
  await store.applyLabelEdit('alpha', { indices: Uint32Array.from([0, 1, 2]), values: Uint8Array.from([1, 2, 3]) })
  await store.saveLabel('alpha')
  await store.dispose()
}

export async function runKillCycles(options: {
  dir: string
  runs: number
  /** Go on past `runs` until this many children were killed (a child can finish its stream first); default 0. */
  minKills?: number
  seed: number
  onRun?: (index: number, acks: number) => void
}): Promise<KillReport> {
  const rng = createRng(options.seed)
  const baselines = new Map<string, Uint8Array>()
  {
    const { store } = await ProjectStore.open(options.dir)
    for (const caseId of CRASH_CASES) baselines.set(caseId, (await store.loadLabel(caseId)).data as Uint8Array)
    await store.dispose()
  }
  const report: KillReport = { kills: 0, killedWhileOpening: 0, acknowledged: 0, unexplained: [], incomplete: [] }
  let pending: ChildRun[] = []
  const minKills = options.minKills ?? 0
  const maxRuns = Math.max(options.runs, minKills) * 2
  const isLast = (runIndex: number): boolean => runIndex + 1 >= maxRuns || (runIndex + 1 >= options.runs && report.kills >= minKills)
  for (let runIndex = 0; runIndex < maxRuns && (runIndex < options.runs || report.kills < minKills); runIndex++) {
    const plan = planKill(rng, pending.length > 0)
    if (plan.when === 'while-opening') report.killedWhileOpening++
    const run = await runChild(options.dir, childSeed(options.seed, runIndex), plan)
    if (!run.finished) report.kills++
    report.acknowledged += run.acked.length
    options.onRun?.(runIndex, run.acked.length)
    pending.push(run)
    report.incomplete.push(...(await incompleteLabelFiles(options.dir)).map((problem) => `after run ${runIndex}: ${problem}`))
    // Sometimes leave the journal for the next child to replay (and maybe be killed doing it).
    const verifyNow = isLast(runIndex) || pending.length >= 3 || rng.next() < 0.5
    if (!verifyNow) continue
    const { store } = await ProjectStore.open(options.dir)
    try {
      for (const caseId of CRASH_CASES) {
        const recovered = (await store.loadLabel(caseId)).data as Uint8Array
        const explanation = explain(baselines.get(caseId) ?? new Uint8Array(VOXELS), pending, caseId, recovered)
        if (explanation === null) report.unexplained.push(`case ${caseId} after runs with seeds ${pending.map((r) => r.seed).join(', ')}`)
        baselines.set(caseId, recovered)
      }
    } finally {
      await store.dispose()
    }
    pending = []
  }
  return report
}
