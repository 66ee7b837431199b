/**
 * Peak memory of a training run against the size of its dataset (issue #13 item 10): the engine's
 * training loop (runTraining, in-process on wasm, one worker thread so that no second model copy
 * blurs the figure) trains a tiny U-Net for a few steps on
 *   - 4 and 40 training cases of the shared hippocampus set (+ 1 validation case), and
 *   - 8 and 24 generated CT-sized volumes (256×256×200 int16, a body ellipse with two labelled
 *     structures, written .nii.gz to a temporary folder that is removed afterwards),
 * each in a fresh child process, which reports its peak resident set (process.resourceUsage().maxRSS,
 * the kernel's high-water mark, so a short spike between samples still counts). Each configuration
 * runs twice on the same cache folder: "cold" builds the preprocessed cache, "warm" reads it.
 *
 * Knobs: VOXLOOP_BENCH_MEMORY=hippocampus|ct runs only that half; VOXLOOP_BENCH_MEMORY_RUNS=cold
 * skips the warm runs. The generated volumes need about 0.3 GB of temporary disk, their cache about
 * 2 GB; both are deleted at the end.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildNifti } from '../../test/helpers/niftiBuilder'
import { createRandom } from '../../src/shared/random'
import type { CaseFiles, TrainRequest } from '../../src/shared/engineProtocol'
import { TrainingOptionsSchema, type TrainingOptions } from '../../src/shared/training'
import { listHippocampusCases, loadAverage } from '../benchCommon'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

const PROBE_FLAG = '--training-memory-probe'
const MiB = 2 ** 20

/** What one child process trains. */
interface ProbeConfig {
  cases: CaseFiles[]
  validationCaseIds: string[]
  modality: 'MR' | 'CT'
  patchSize: number
  steps: number
  modelsDir: string
  cacheDir: string
}

interface ProbeResult {
  /** Peak RSS over the whole process (bytes). */
  peakRss: number
  /** Peak RSS when the run had read and prepared its cases (the 'started' event). */
  peakRssAtStart: number
  /** RSS once the runtime is up, before the run (bytes). */
  baselineRss: number
  seconds: number
  status: string
  steps: number
}

async function probe(config: ProbeConfig): Promise<void> {
  const { activateBackend } = await import('../../src/engine/backends/activateBackend')
  const { runTraining } = await import('../../src/engine/train')
  await activateBackend('wasm')
  const baselineRss = process.resourceUsage().maxRSS * 1024
  let peakRssAtStart = 0
  const options: TrainingOptions = {
    epochs: 1,
    stepsPerEpoch: config.steps,
    patchSize: config.patchSize,
    batchSize: 2,
    augment: false,
    seed: 5,
    model: { architecture: 'residual-unet', depth: 1, baseFilters: 4, residualUnits: 1 }
  }
  const request: TrainRequest = {
    runId: 'memory-probe',
    options: TrainingOptionsSchema.parse(options),
    modelsDir: config.modelsDir,
    cacheDir: config.cacheDir,
    cases: config.cases,
    validationCaseIds: config.validationCaseIds,
    labels: [
      { id: 1, name: 'one', color: '#ff0000' },
      { id: 2, name: 'two', color: '#00ff00' }
    ],
    modality: config.modality
  }
  const startedAt = performance.now()
  const result = await runTraining(request, {
    control: { cancelRequested: false },
    events: {
      started: () => {
        peakRssAtStart = process.resourceUsage().maxRSS * 1024
      },
      progress: () => undefined,
      epoch: () => undefined
    }
  })
  const out: ProbeResult = {
    peakRss: process.resourceUsage().maxRSS * 1024,
    peakRssAtStart,
    baselineRss,
    seconds: (performance.now() - startedAt) / 1000,
    status: result.status,
    steps: result.step
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

function runProbe(config: ProbeConfig): ProbeResult {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, PROBE_FLAG, JSON.stringify(config)], {
    encoding: 'utf8',
    env: { ...process.env, VOXLOOP_TRAIN_WORKERS: '1' },
    maxBuffer: 64 * MiB
  })
  if (child.status !== 0) throw new Error(`training memory probe failed (${child.status}): ${child.stderr.slice(-4000)}`)
  const line = child.stdout.trim().split('\n').pop() ?? '{}'
  return JSON.parse(line) as ProbeResult
}

const CT_DIMS = [256, 256, 200] as const
const CT_SPACING = [0.8, 0.8, 1.5] as const

/**
 * A CT-like volume: air (−1000 HU) around a body ellipse of soft tissue (40 ± 15 HU), an "organ"
 * ball (label 1, 70 HU) and a "bone" box (label 2, 400 HU) at seeded positions. Int16, i fastest.
 */
function syntheticCt(seed: number): { image: Int16Array; label: Uint8Array } {
  const [nx, ny, nz] = CT_DIMS
  const random = createRandom(seed)
  const image = new Int16Array(nx * ny * nz)
  const label = new Uint8Array(nx * ny * nz)
  const ball = [random.int(90, 166), random.int(90, 166), random.int(60, 140)] as const
  const radius = random.uniform(14, 24)
  const box = [random.int(80, 150), random.int(80, 150), random.int(40, 130)] as const
  const cx = (nx - 1) / 2
  const cy = (ny - 1) / 2
  for (let k = 0, o = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        const body = ((i - cx) / (0.42 * nx)) ** 2 + ((j - cy) / (0.34 * ny)) ** 2 <= 1
        if (!body) {
          image[o] = -1000 + Math.floor(8 * random.next())
          continue
        }
        let value = 40 + 30 * (random.next() - 0.5)
        if ((i - ball[0]) ** 2 + (j - ball[1]) ** 2 + ((k - ball[2]) * 1.9) ** 2 <= radius ** 2) {
          value += 30
          label[o] = 1
        } else if (i >= box[0] && i < box[0] + 12 && j >= box[1] && j < box[1] + 12 && k >= box[2] && k < box[2] + 10) {
          value += 360
          label[o] = 2
        }
        image[o] = Math.round(value)
      }
    }
  }
  return { image, label }
}

function writeSyntheticCts(dir: string, count: number): CaseFiles[] {
  mkdirSync(path.join(dir, 'images'), { recursive: true })
  mkdirSync(path.join(dir, 'labels'), { recursive: true })
  const spec = {
    dims: [...CT_DIMS],
    pixdim: [1, ...CT_SPACING, 0, 0, 0, 0],
    sformCode: 1,
    qformCode: 0,
    xyztUnits: 10,
    srow: [
      [CT_SPACING[0], 0, 0, 0],
      [0, CT_SPACING[1], 0, 0],
      [0, 0, CT_SPACING[2], 0]
    ] as [[number, number, number, number], [number, number, number, number], [number, number, number, number]]
  }
  const cases: CaseFiles[] = []
  for (let n = 0; n < count; n++) {
    const id = `ct${String(n).padStart(2, '0')}`
    const { image, label } = syntheticCt(1000 + n)
    const imagePath = path.join(dir, 'images', `${id}.nii.gz`)
    const labelPath = path.join(dir, 'labels', `${id}.nii.gz`)
    // Level 1: the bench writes ~0.6 GB of voxels; the reader's speed does not depend on the level.
    writeFileSync(imagePath, gzipSync(buildNifti({ ...spec, datatype: 4 }, image), { level: 1 }))
    writeFileSync(labelPath, gzipSync(buildNifti({ ...spec, datatype: 2 }, label), { level: 1 }))
    cases.push({ id, imagePath, labelPath })
  }
  return cases
}

interface Configuration {
  name: string
  training: number
  config: Omit<ProbeConfig, 'modelsDir' | 'cacheDir'>
}

function measure(scratch: string, configuration: Configuration, warm: boolean): { cold: ProbeResult; warm: ProbeResult | null } {
  const dir = path.join(scratch, configuration.name.replace(/\W+/g, '-'))
  const config: ProbeConfig = { ...configuration.config, modelsDir: path.join(dir, 'models'), cacheDir: path.join(dir, 'cache', 'preprocessed') }
  try {
    const cold = runProbe(config)
    return { cold, warm: warm ? runProbe(config) : null }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function run(): Promise<BenchReport> {
  const which = process.env.VOXLOOP_BENCH_MEMORY ?? 'all'
  const warm = process.env.VOXLOOP_BENCH_MEMORY_RUNS !== 'cold'
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'voxloop-bench-memory-'))
  const rows: BenchRow[] = []
  const targets: BenchTarget[] = []
  const notes: string[] = [`load before: ${loadAverage()}`]
  const row = (name: string, result: ProbeResult, baselineOf?: string): BenchRow => ({
    name,
    value: result.peakRss / MiB,
    unit: 'MiB',
    ...(baselineOf ? { baselineOf } : {}),
    note: `peak at start ${(result.peakRssAtStart / MiB).toFixed(0)} MiB, runtime ${(result.baselineRss / MiB).toFixed(0)} MiB, ${result.steps} steps, ${result.seconds.toFixed(1)} s`
  })
  const pair = (small: Configuration, large: Configuration): void => {
    const a = measure(scratch, small, warm)
    const b = measure(scratch, large, warm)
    const smallName = `${small.name} cold`
    rows.push(row(smallName, a.cold), row(`${large.name} cold`, b.cold, smallName))
    if (a.warm && b.warm) {
      const smallWarm = `${small.name} warm`
      rows.push(row(smallWarm, a.warm), row(`${large.name} warm`, b.warm, smallWarm))
    }
    // "Roughly flat": the larger dataset's peak within 25% of the smaller one's, not ×(N large / N small).
    targets.push({ description: `${large.name}: peak RSS within 1.25× of ${small.name} (cases ×${large.training / small.training})`, met: b.cold.peakRss <= 1.25 * a.cold.peakRss })
  }
  try {
    if (which === 'all' || which === 'hippocampus') {
      const all = await listHippocampusCases()
      const validation = all.at(-1) as CaseFiles
      const hippocampus = (training: number): Configuration => ({
        name: `hippocampus ${training}+1 cases`,
        training,
        config: { cases: [...all.slice(0, training), validation], validationCaseIds: [validation.id], modality: 'MR', patchSize: 32, steps: 4 }
      })
      pair(hippocampus(4), hippocampus(40))
    }
    if (which === 'all' || which === 'ct') {
      const volumes = path.join(scratch, 'volumes')
      const cts = writeSyntheticCts(volumes, 24)
      notes.push(`CT-sized: ${CT_DIMS.join('×')} int16 (${((CT_DIMS[0] * CT_DIMS[1] * CT_DIMS[2] * 2) / MiB).toFixed(0)} MiB of voxels each), no validation case`)
      const ct = (training: number): Configuration => ({
        name: `CT-sized ${training} cases`,
        training,
        config: { cases: cts.slice(0, training), validationCaseIds: [], modality: 'CT', patchSize: 48, steps: 3 }
      })
      try {
        pair(ct(8), ct(24))
      } finally {
        rmSync(volumes, { recursive: true, force: true })
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  notes.push(`load after: ${loadAverage()}`)
  return { name: 'training-memory', rows, targets, notes }
}

export const bench: Bench = {
  name: 'training-memory',
  description: 'peak RSS of a few training steps on 4 vs 40 hippocampus cases and 8 vs 24 CT-sized volumes',
  run
}

if (process.argv[2] === PROBE_FLAG) {
  probe(JSON.parse(process.argv[3] ?? '{}') as ProbeConfig).then(
    // Exit explicitly: the threaded wasm build's pool keeps Node alive.
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
