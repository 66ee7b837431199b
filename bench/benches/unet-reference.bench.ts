/**
 * The reference U-Net of shared/tools/unet_reference_torch.py (buildReferenceUNet: same layers,
 * 88,522 parameters), batch 2 of 32³ single-channel patches, softmax cross-entropy on the logits and
 * Adam(1e-3) like the twin: one training step and one prediction (forward of the batch) on
 *
 *   - wasm with the project's kernels (src/engine/kernels: Conv3D, and the reductions/broadcasts,
 *     as activateBackend registers them): the main figures;
 *   - wasm with the stock tfjs kernels (their Conv3D gradients are wrong: timed, not trusted);
 *   - the stock cpu backend;
 *   - 'tensorflow' (tfjs-node) when it is installed and loads;
 *   - PyTorch CPU with 2 threads and with 1 (the twin itself, run by /usr/bin/python3 and kept
 *     running, timed inside Python: interpreter start and import excluded);
 *
 * "Ours" for a train step is the engine's step as runTraining runs it: on wasm with a batch of 2
 * and ≥ 2 cores, two gradient workers splitting the batch (src/engine/train/parallel); the same
 * model stepped on the engine thread alone (the threaded build) is reported beside it.
 *
 * The machine is shared and its load swings within seconds, so every comparison is PAIRED: the
 * baseline's runs alternate with runs of the project's wasm step, and each ratio compares the runs
 * made side by side. Env: VOXLOOP_BENCH_RUNS (timed steps of the fast variants, default 5),
 * VOXLOOP_BENCH_PYTHON (default /usr/bin/python3), VOXLOOP_BENCH_SKIP_SLOW=1 (skip the stock
 * variants, 5–25 s a step).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { installThreadedWasm, wantedWasmThreads } from '../../src/engine/backends/threadedWasm'
import { registerConv3dKernels, registerReductionKernels, unregisterConv3dKernels, unregisterReductionKernels } from '../../src/engine/kernels'
import { buildReferenceUNet, REFERENCE_UNET } from '../../src/engine/model'
import { crossEntropyLoss } from '../../src/engine/train/losses'
import { openStepper } from '../../src/engine/train/parallel/openStepper'
import { chooseTrainingWorkers } from '../../src/engine/train/parallel/trainingWorkers'
import { stepModel, type TrainingStepper } from '../../src/engine/train/trainStep'
import type { Batch as TrainingBatch } from '../../src/engine/data/BatchSampler'
import { createRandom } from '../../src/shared/random'
import { loadAverage } from '../benchCommon'
import { type Bench, type BenchReport, type BenchRow, type BenchTarget } from '../report'

const requireHere = createRequire(__filename)
const BATCH = 2
const SIZE = 32
const SEED = 20_240_611
const LEARNING_RATE = 1e-3
const RUNS = Math.max(1, Number(process.env.VOXLOOP_BENCH_RUNS ?? 5))
/** PyTorch steps are cheap; more rounds steady the paired medians. */
const TORCH_RUNS = Math.max(RUNS, 10)
const PYTHON = process.env.VOXLOOP_BENCH_PYTHON ?? '/usr/bin/python3'
const TWIN = path.resolve(__dirname, '../../../shared/tools/unet_reference_torch.py')
const SKIP_SLOW = process.env.VOXLOOP_BENCH_SKIP_SLOW === '1'

const SHAPE: [number, number, number, number, number] = [BATCH, SIZE, SIZE, SIZE, 1]
const VOXELS_PER_ITEM = SIZE ** 3

type Batch = { image: Float32Array; labels: Int32Array }

/** The project's wasm kernels, as the engine's activateBackend registers them: Conv3D and the rank-5 reductions/broadcasts. */
function registerProjectKernels(): void {
  registerConv3dKernels('wasm')
  registerReductionKernels('wasm')
}

function unregisterProjectKernels(): void {
  unregisterReductionKernels('wasm')
  unregisterConv3dKernels('wasm')
}

/** The twin's data: x ~ N(0, 1), y uniform in {0, 1}; seeded, so the workers get the same batch. */
function makeBatch(): Batch {
  const random = createRandom(SEED)
  const image = new Float32Array(BATCH * VOXELS_PER_ITEM)
  const labels = new Int32Array(BATCH * VOXELS_PER_ITEM)
  for (let i = 0; i < image.length; i++) image[i] = random.normal()
  for (let i = 0; i < labels.length; i++) labels[i] = random.int(0, 1)
  return { image, labels }
}

interface Timing {
  /** Every timed run, ms, in order. */
  runs: number[]
  median: number
  best: number
}

function timing(runs: number[]): Timing {
  const sorted = [...runs].sort((a, b) => a - b)
  const lower = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
  const upper = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
  return { runs, median: (lower + upper) / 2, best: sorted[0] ?? Number.NaN }
}

function fmtRuns(t: Timing): string {
  return t.runs.map((v) => v.toFixed(0)).join(', ')
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** torch's cross_entropy: mean over voxels of −log softmax(logits)[true class]. */
function gradientsLoss(logits: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return crossEntropyLoss(y, logits.apply(x, { training: true }) as tf.Tensor, { predictions: 'logits' })
}

/** Kernel time of one profiled step, ms, grouped. */
interface StepProfile {
  conv3d: number
  /** Sum kernels: mostly the bias gradients (dy summed over batch and space per channel). */
  sum: number
  other: number
  /** Wall time of the profiled step (profiling adds a little). */
  wall: number
  /** The slowest Sum call: its input shape and ms. */
  slowestSum: string
}

/** The reference U-Net, Adam and the batch on one tfjs backend; step() and predict() return ms. */
class TfjsSession {
  private constructor(
    readonly backend: string,
    private readonly model: tf.LayersModel,
    private readonly logits: tf.LayersModel,
    private readonly variables: tf.Variable[],
    private readonly optimizer: tf.Optimizer,
    private readonly x: tf.Tensor5D,
    private readonly y: tf.Tensor
  ) {}

  static async create(backend: string, batch: Batch): Promise<TfjsSession> {
    await TfjsSession.use(backend)
    const { model, logits } = referenceLogitsModel(SEED)
    const variables = logits.trainableWeights.map((w) => w.read() as tf.Variable)
    const x = tf.tensor5d(batch.image, SHAPE)
    const y = tf.tidy(() => tf.oneHot(tf.tensor4d(batch.labels, [BATCH, SIZE, SIZE, SIZE], 'int32'), 2))
    return new TfjsSession(backend, model, logits, variables, tf.train.adam(LEARNING_RATE), x, y)
  }

  private static async use(backend: string): Promise<void> {
    if (tf.getBackend() === backend) return
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`)
    await tf.ready()
  }

  get params(): number {
    return this.model.countParams()
  }

  /** Forward, backward, Adam update, reading the loss. */
  private minimizeOnce(): void {
    // Braces: tf.tidy walks a returned typed array element by element.
    tf.tidy(() => {
      ;(this.optimizer.minimize(() => gradientsLoss(this.logits, this.x, this.y), true, this.variables) as tf.Scalar).dataSync()
    })
  }

  /** One step (minimizeOnce), ms. */
  async step(): Promise<number> {
    await TfjsSession.use(this.backend)
    const start = performance.now()
    this.minimizeOnce()
    const ms = performance.now() - start
    await tick()
    return ms
  }

  /** model.predict of the batch (softmax) and reading it. */
  async predict(): Promise<number> {
    await TfjsSession.use(this.backend)
    const start = performance.now()
    tf.tidy(() => {
      ;(this.model.predict(this.x, { batchSize: BATCH }) as tf.Tensor).dataSync()
    })
    const ms = performance.now() - start
    await tick()
    return ms
  }

  async profileStep(): Promise<StepProfile> {
    await TfjsSession.use(this.backend)
    const start = performance.now()
    const info = await tf.profile(() => this.minimizeOnce())
    const profile: StepProfile = { conv3d: 0, sum: 0, other: 0, wall: performance.now() - start, slowestSum: 'none' }
    let slowest = -1
    for (const kernel of info.kernels) {
      const ms = Number(kernel.kernelTimeMs) || 0
      if (kernel.name.startsWith('Conv3D')) profile.conv3d += ms
      else if (kernel.name === 'Sum') {
        profile.sum += ms
        if (ms > slowest) {
          slowest = ms
          profile.slowestSum = `${JSON.stringify(kernel.inputShapes[0])} → ${JSON.stringify(kernel.outputShapes[0])} in ${ms.toFixed(1)} ms`
        }
      } else profile.other += ms
    }
    return profile
  }

  dispose(): void {
    tf.dispose([this.x, this.y])
    this.optimizer.dispose()
    this.model.dispose()
  }
}

/** The logits model of the reference U-Net (same variables as the softmax model). */
function referenceLogitsModel(seed: number): { model: tf.LayersModel; logits: tf.LayersModel } {
  const model = buildReferenceUNet({ seed })
  const logits = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').output as tf.SymbolicTensor })
  return { model, logits }
}

/**
 * The engine's training step as runTraining runs it (trainStep.ts / parallel/): the workers
 * chooseTrainingWorkers picks for a batch of 2 on this machine, the engine's loss (soft Dice +
 * cross-entropy on the softmax output), Adam on the engine thread.
 */
class EngineTrainer {
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly optimizer: tf.Optimizer,
    private readonly stepper: TrainingStepper,
    private readonly batch: TrainingBatch,
    readonly workers: number,
    readonly label: string
  ) {}

  static async create(batch: Batch): Promise<EngineTrainer> {
    const model = buildReferenceUNet({ seed: SEED })
    const optimizer = tf.train.adam(LEARNING_RATE)
    const choice = chooseTrainingWorkers('wasm', BATCH)
    const opened = await openStepper(stepModel(model), optimizer, choice.workers)
    if (opened.fallback) throw new Error(opened.fallback)
    const trainingBatch: TrainingBatch = { image: batch.image, label: Uint8Array.from(batch.labels), shape: SHAPE, step: 0, samples: [] }
    const label = opened.workers > 1 ? `engine (${opened.workers} workers × ${choice.threadsPerWorker} thread)` : 'engine (engine thread)'
    return new EngineTrainer(model, optimizer, opened.stepper, trainingBatch, opened.workers, label)
  }

  /** One step (weights to the workers, forward, backward, gradients back, Adam), ms. */
  async step(): Promise<number> {
    const start = performance.now()
    await this.stepper.step(this.batch)
    const ms = performance.now() - start
    await tick()
    return ms
  }

  async dispose(): Promise<void> {
    await this.stepper.dispose()
    this.optimizer.dispose()
    this.model.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// PyTorch: the twin script itself, executed inside a small driver that stays alive and runs one
// step or one prediction per line on stdin, timed with perf_counter, so its runs can alternate
// with ours. Blocked on stdin it uses no CPU.

const PYTHON_DRIVER = `
import sys, json, time
twin, threads = sys.argv[1], sys.argv[2]
sys.argv = [twin, '${SIZE}', '${REFERENCE_UNET.baseFilters}', threads]   # the twin's CLI: S, F, threads
ns = {'__name__': 'unet_reference_torch'}
exec(compile(open(twin).read(), twin, 'exec'), ns)   # builds model, Adam, data; prints its own figures
import torch
m, step, x = ns['m'], ns['step'], ns['x']
def predict():
    with torch.no_grad():
        m(x)
predict()
print('READY ' + json.dumps({'threads': torch.get_num_threads(), 'params': sum(p.numel() for p in m.parameters()),
      'torch': torch.__version__, 'batch': list(x.shape)}), flush=True)
while True:
    cmd = sys.stdin.readline().strip()
    if cmd not in ('step', 'predict'):
        break
    fn = step if cmd == 'step' else predict
    t = time.perf_counter(); fn(); ms = (time.perf_counter() - t) * 1000
    print('MS %.3f' % ms, flush=True)
`

interface TorchInfo {
  threads: number
  params: number
  torch: string
  batch: number[]
}

class TorchSession {
  private buffer = ''
  private waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | null = null
  private readonly lines: string[] = []
  private stderr = ''
  /** The twin's own printout (params, its mean of 3 steps, one prediction). */
  readonly twinOutput: string[] = []
  info: TorchInfo | null = null

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk
      let newline: number
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline).trim()
        this.buffer = this.buffer.slice(newline + 1)
        if (line.startsWith('READY ') || line.startsWith('MS ')) this.deliver(line)
        else if (line) this.twinOutput.push(line)
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000)
    })
    child.on('exit', (code) => this.fail(new Error(`python exited (${code}): ${this.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)))
    child.on('error', (error) => this.fail(error))
  }

  static async start(threads: number): Promise<TorchSession> {
    const child = spawn(PYTHON, ['-c', PYTHON_DRIVER, TWIN, String(threads)], { stdio: ['pipe', 'pipe', 'pipe'] })
    const session = new TorchSession(child)
    const ready = await session.next(300_000)
    session.info = JSON.parse(ready.slice('READY '.length)) as TorchInfo
    return session
  }

  private deliver(line: string): void {
    const waiting = this.waiting
    this.waiting = null
    if (waiting) waiting.resolve(line)
    else this.lines.push(line)
  }

  private fail(error: Error): void {
    const waiting = this.waiting
    this.waiting = null
    waiting?.reject(error)
  }

  private next(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer from python in ${timeoutMs / 1000} s`)), timeoutMs)
      this.waiting = {
        resolve: (line) => {
          clearTimeout(timer)
          resolve(line)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        }
      }
    })
  }

  private async run(command: 'step' | 'predict'): Promise<number> {
    this.child.stdin.write(`${command}\n`)
    const line = await this.next(120_000)
    return Number(line.slice('MS '.length))
  }

  step(): Promise<number> {
    return this.run('step')
  }

  predict(): Promise<number> {
    return this.run('predict')
  }

  close(): void {
    this.child.stdin.end('quit\n')
  }
}

// ---------------------------------------------------------------------------------------------

function tensorflowAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    requireHere.resolve('@tensorflow/tfjs-node/package.json')
  } catch {
    return { ok: false, reason: '@tensorflow/tfjs-node is not installed (optional dependency)' }
  }
  try {
    requireHere('@tensorflow/tfjs-node')
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-node failed to load: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` }
  }
  return tf.findBackendFactory('tensorflow') ? { ok: true } : { ok: false, reason: 'tfjs-node loaded but registered no tensorflow backend' }
}

/**
 * Runs of `other` alternating with runs of ours: ours, other, ours, other, …, ours. Returns the
 * other's timed runs (after `warmup`) and ours from the same stretch of time.
 */
async function paired(rounds: number, warmup: number, ours: () => Promise<number>, other: () => Promise<number>): Promise<{ ours: Timing; other: Timing }> {
  const oursTimes: number[] = []
  const otherTimes: number[] = []
  for (let i = 0; i < warmup; i++) {
    await ours()
    await other()
  }
  for (let i = 0; i < rounds; i++) {
    oursTimes.push(await ours())
    otherTimes.push(await other())
  }
  oursTimes.push(await ours())
  return { ours: timing(oursTimes), other: timing(otherTimes) }
}

async function run(): Promise<BenchReport> {
  setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  const batch = makeBatch()
  const rows: BenchRow[] = []
  const notes: string[] = []
  const targets: BenchTarget[] = []
  const loads: string[] = [`start ${loadAverage()}`]
  const log = (what: string): void => {
    loads.push(`${what} ${loadAverage()}`)
    console.log(`  ${what} done (load ${loadAverage()})`)
  }

  // The engine's path: the threaded wasm build on all cores unless VOXLOOP_WASM_THREADS says otherwise.
  const wantedThreads = wantedWasmThreads()
  const threads = wantedThreads > 1 ? (await installThreadedWasm(wantedThreads)).threads : 1
  const wasmLabel = threads > 1 ? `wasm (${threads} threads)` : 'wasm (1 thread)'
  const SOLO_STEP = `${wasmLabel} on the engine thread, project kernels: train step`
  const OURS_PREDICT = `${wasmLabel}, project kernels: predict`
  const STOCK_STEP = 'wasm, stock kernels: train step'
  const STOCK_PREDICT = 'wasm, stock kernels: predict'

  // 1. wasm + project kernels (the engine's path): the main figures, and one profiled step.
  // Initialise wasm before swapping kernels: the stock Conv3D is bound to the module by its
  // setupFunc at initialisation, so it must be registered then to work when put back later.
  if (!(await tf.setBackend('wasm'))) throw new Error('backend wasm failed to initialise')
  await tf.ready()
  registerProjectKernels()
  // `solo`: the model on the engine thread (predict, as inference runs it; the profile; the stock
  // kernels swapped in). `engine`: the training step as runTraining runs it (data-parallel workers).
  const ours = await TfjsSession.create('wasm', batch)
  const engine = await EngineTrainer.create(batch)
  const OURS_STEP = `${engine.label}, project kernels: train step`
  try {
    for (let i = 0; i < 2; i++) {
      await engine.step()
      await ours.step()
    }
    await ours.predict()
    const oursStep: number[] = []
    const soloStep: number[] = []
    const oursPredict: number[] = []
    for (let i = 0; i < RUNS; i++) {
      oursStep.push(await engine.step())
      soloStep.push(await ours.step())
    }
    for (let i = 0; i < RUNS; i++) oursPredict.push(await ours.predict())
    const step = timing(oursStep)
    const solo = timing(soloStep)
    const predict = timing(oursPredict)
    const profile = await ours.profileStep()
    log('wasm project kernels')
    rows.push({ name: OURS_STEP, value: step.median, unit: 'ms', ...(SKIP_SLOW ? {} : { baselineOf: STOCK_STEP }), note: `median of ${RUNS} after 2 warm-up: ${fmtRuns(step)}; loss: soft Dice + cross-entropy (the engine's)` })
    rows.push({ name: SOLO_STEP, value: solo.median, unit: 'ms', note: `alternating with the engine's steps, median of ${RUNS}: ${fmtRuns(solo)}; cross-entropy on the logits (the twin's)` })
    rows.push({ name: `speed-up of the engine's step over ${wasmLabel} on the engine thread (alternating)`, value: solo.median / step.median, unit: '×' })
    rows.push({ name: OURS_PREDICT, value: predict.median, unit: 'ms', ...(SKIP_SLOW ? {} : { baselineOf: STOCK_PREDICT }), note: `median of ${RUNS} after 1 warm-up: ${fmtRuns(predict)}` })
    const share = (ms: number): string => `${((100 * ms) / (profile.conv3d + profile.sum + profile.other)).toFixed(0)} % of the profiled step's kernel time`
    rows.push({ name: `${SOLO_STEP}, Conv3D kernels`, value: profile.conv3d, unit: 'ms', note: share(profile.conv3d) })
    rows.push({ name: `${SOLO_STEP}, Sum kernels`, value: profile.sum, unit: 'ms', note: `${share(profile.sum)}; mostly bias gradients` })
    rows.push({ name: `${SOLO_STEP}, other kernels`, value: profile.other, unit: 'ms', note: share(profile.other) })
    notes.push(
      `one extra step profiled with tf.profile (${profile.wall.toFixed(0)} ms wall; kernel times inclusive): Sum is mostly the bias gradient of each conv (dy summed over batch and space, per channel); slowest Sum ${profile.slowestSum}`
    )
    if (ours.params !== REFERENCE_UNET.parameters) notes.push(`the tfjs model has ${ours.params} parameters, not ${REFERENCE_UNET.parameters}`)

    // 2. wasm, stock kernels, alternating with ours on the same model: ours, stock (warm-up), ours,
    //    stock (timed), ours. ~6–15 s a stock step.
    if (!SKIP_SLOW) {
      const withStock = async (fn: () => Promise<number>): Promise<number> => {
        unregisterProjectKernels()
        try {
          return await fn()
        } finally {
          registerProjectKernels()
        }
      }
      const stepPair = await paired(1, 1, () => engine.step(), () => withStock(() => ours.step()))
      const predictPair = await paired(1, 1, () => ours.predict(), () => withStock(() => ours.predict()))
      log('wasm stock kernels')
      rows.push({ name: STOCK_STEP, value: stepPair.other.median, unit: 'ms', note: 'after 1 warm-up step; Conv3D gradients WRONG (input gradient skips work)' })
      rows.push({ name: STOCK_PREDICT, value: predictPair.other.median, unit: 'ms', note: 'after 1 warm-up' })
      const stepSpeedUp = stepPair.other.median / stepPair.ours.median
      rows.push({
        name: 'speed-up vs stock wasm: train step (paired)',
        value: stepSpeedUp,
        unit: '×',
        note: `stock ${stepPair.other.median.toFixed(0)} ms / ours ${stepPair.ours.median.toFixed(0)} ms (mean of our steps just before and after)`
      })
      rows.push({
        name: 'speed-up vs stock wasm: predict (paired)',
        value: predictPair.other.median / predictPair.ours.median,
        unit: '×',
        note: `stock ${predictPair.other.median.toFixed(0)} ms / ours ${predictPair.ours.median.toFixed(0)} ms`
      })
      targets.push({ description: 'train step at least 20× faster than stock tfjs on wasm (project kernels vs stock kernels, paired)', met: stepSpeedUp >= 20 })

      // 3. cpu, stock kernels (correct, all JS): one step and one prediction between two of ours.
      const cpu = await TfjsSession.create('cpu', batch)
      try {
        const cpuStep = await paired(1, 0, () => engine.step(), () => cpu.step())
        const cpuPredict = await paired(1, 0, () => ours.predict(), () => cpu.predict())
        log('cpu stock')
        rows.push({ name: 'cpu, stock kernels: train step', value: cpuStep.other.median, unit: 'ms', note: 'one step, no warm-up' })
        rows.push({ name: 'cpu, stock kernels: predict', value: cpuPredict.other.median, unit: 'ms', note: 'one call, after the step' })
        rows.push({ name: 'speed-up vs stock cpu: train step (paired)', value: cpuStep.other.median / cpuStep.ours.median, unit: '×' })
        rows.push({ name: 'speed-up vs stock cpu: predict (paired)', value: cpuPredict.other.median / cpuPredict.ours.median, unit: '×' })
      } finally {
        cpu.dispose()
      }
    } else {
      notes.push('VOXLOOP_BENCH_SKIP_SLOW=1: stock wasm and cpu not measured')
      targets.push({ description: 'train step at least 20× faster than stock tfjs on wasm', met: null })
    }

    // 4. tensorflow (tfjs-node), if it loads.
    const native = tensorflowAvailable()
    if (native.ok) {
      const tfn = await TfjsSession.create('tensorflow', batch)
      try {
        for (let i = 0; i < 2; i++) await tfn.step()
        const nStep = await paired(RUNS, 0, () => engine.step(), () => tfn.step())
        const nPredict = await paired(RUNS, 1, () => ours.predict(), () => tfn.predict())
        log('tensorflow')
        rows.push({ name: 'tensorflow (tfjs-node): train step', value: nStep.other.median, unit: 'ms' })
        rows.push({ name: 'tensorflow (tfjs-node): predict', value: nPredict.other.median, unit: 'ms' })
        rows.push({ name: 'time vs tensorflow: train step (paired)', value: nStep.ours.median / nStep.other.median, unit: '×' })
      } finally {
        tfn.dispose()
      }
    } else {
      rows.push({ name: 'tensorflow (tfjs-node): train step', value: Number.NaN, unit: 'ms', note: `n/a: ${native.reason}` })
      notes.push(`tensorflow backend n/a: ${native.reason}`)
    }

    // 5. PyTorch twin with 2 threads (the comparison) and 1 thread, rounds of ours / 2 / 1.
    let torch2: TorchSession | null = null
    let torch1: TorchSession | null = null
    try {
      torch2 = await TorchSession.start(2)
      torch1 = await TorchSession.start(1)
      const t2 = torch2
      const t1 = torch1
      const oursStepT: number[] = []
      const t2Step: number[] = []
      const t1Step: number[] = []
      const oursPredictT: number[] = []
      const t2Predict: number[] = []
      const t1Predict: number[] = []
      await t2.step()
      await t1.step()
      for (let i = 0; i < TORCH_RUNS; i++) {
        oursStepT.push(await engine.step())
        t2Step.push(await t2.step())
        t1Step.push(await t1.step())
      }
      for (let i = 0; i < TORCH_RUNS; i++) {
        oursPredictT.push(await ours.predict())
        t2Predict.push(await t2.predict())
        t1Predict.push(await t1.predict())
      }
      log('PyTorch')
      const [os_, t2s, t1s, op, t2p, t1p] = [oursStepT, t2Step, t1Step, oursPredictT, t2Predict, t1Predict].map(timing) as [Timing, Timing, Timing, Timing, Timing, Timing]
      const T2_STEP = 'PyTorch CPU, 2 threads: train step'
      const T1_STEP = 'PyTorch CPU, 1 thread: train step'
      const T2_PREDICT = 'PyTorch CPU, 2 threads: predict'
      const T1_PREDICT = 'PyTorch CPU, 1 thread: predict'
      rows.push({ name: T2_STEP, value: t2s.median, unit: 'ms', note: `median of ${TORCH_RUNS}: ${fmtRuns(t2s)}` })
      rows.push({ name: T1_STEP, value: t1s.median, unit: 'ms', note: `median of ${TORCH_RUNS}: ${fmtRuns(t1s)}` })
      rows.push({ name: `${OURS_STEP} (paired with PyTorch)`, value: os_.median, unit: 'ms', baselineOf: T2_STEP, note: `median of ${TORCH_RUNS}: ${fmtRuns(os_)}` })
      rows.push({ name: `${OURS_STEP} (paired with PyTorch, vs 1 thread)`, value: os_.median, unit: 'ms', baselineOf: T1_STEP, note: `PyTorch on 1 thread, ours: ${engine.label}` })
      rows.push({ name: T2_PREDICT, value: t2p.median, unit: 'ms', note: `median of ${TORCH_RUNS}: ${fmtRuns(t2p)}` })
      rows.push({ name: T1_PREDICT, value: t1p.median, unit: 'ms', note: `median of ${TORCH_RUNS}` })
      rows.push({ name: `${OURS_PREDICT} (paired with PyTorch)`, value: op.median, unit: 'ms', baselineOf: T2_PREDICT })
      rows.push({ name: `${OURS_PREDICT} (paired with PyTorch, vs 1 thread)`, value: op.median, unit: 'ms', baselineOf: T1_PREDICT })
      // PyTorch on 2 idle cores is at least as fast as with 1 thread; on a shared machine its 2
      // OpenMP threads can be far slower than 1 (each barrier waits for a core another process
      // holds). The target compares with the faster of the two: a fair stand-in for 2 idle cores.
      const torchStep = Math.min(t2s.median, t1s.median)
      rows.push({ name: 'time vs PyTorch (faster of 1 and 2 threads): train step', value: os_.median / torchStep, unit: '×' })
      rows.push({ name: 'time vs PyTorch (faster of 1 and 2 threads): predict', value: op.median / Math.min(t2p.median, t1p.median), unit: '×' })
      targets.push({
        description: 'train step within 2× of PyTorch CPU with 2 threads, or with 1 thread where that is faster on the loaded machine (paired; parity is the aim)',
        met: os_.median / torchStep <= 2
      })
      const info = t2.info
      notes.push(
        `PyTorch ${info?.torch} (${PYTHON}), ${info?.threads} and ${t1.info?.threads} thread(s), input ${info?.batch.join('×')} (NCDHW), ${info?.params} parameters; the twins' own printouts: ${t2.twinOutput.join(', ')} | ${t1.twinOutput.join(', ')}`
      )
      if (t1s.median < t2s.median) {
        notes.push(
          `PyTorch with 2 threads (${t2s.median.toFixed(0)} ms) was slower than with 1 (${t1s.median.toFixed(0)} ms): the shared machine had no idle second core, and OpenMP threads stall on each other; shared/docs/TFJS-3D.md has 164 ms with 2 threads on this machine type`
        )
      }
    } catch (error) {
      notes.push(`PyTorch twin n/a (${PYTHON} ${TWIN}): ${error instanceof Error ? error.message : String(error)}`)
      targets.push({ description: 'train step within 2× of PyTorch CPU with 2 threads (parity is the aim)', met: null })
    } finally {
      torch2?.close()
      torch1?.close()
    }

  } finally {
    ours.dispose()
    await engine.dispose()
  }

  notes.push(
    `reference U-Net (${REFERENCE_UNET.parameters} parameters), batch ${BATCH} of ${SIZE}³×1, softmax cross-entropy on the logits, Adam(${LEARNING_RATE}); step = forward + backward + Adam update + reading the loss; predict = model.predict of the batch (softmax) + reading it`,
    'paired: each baseline run sits between runs of ours (or alternates with them), and its ratio uses those runs of ours, so load swings on the shared machine hit both sides',
    `${wasmLabel}: ${threads > 1 ? 'the threaded SIMD build of tfjs-backend-wasm (src/engine/backends/threadedWasm.ts), as the engine runs it; the stock kernels are timed on the same build (their Conv3D loops do not use its thread pool)' : 'the plain build (VOXLOOP_WASM_THREADS=1 or one core)'}; native im2col (src/engine/kernels/native/im2col.c)`,
    'stock wasm: Conv3DBackpropInputV2 is wrong (fills only the first depth slice; docs/KERNELS.md), so its step does less work than a correct one and its gradients are unusable: its time is a lower bound of what a correct stock step would cost',
    `load average (1/5/15 min) on ${os.cpus().length} cores shared with other work: ${loads.join('; ')}`
  )
  return { name: 'unet-reference', rows, targets, notes, environment: { tfjs: tf.version.tfjs, runs: RUNS } }
}

export const bench: Bench = {
  name: 'unet-reference',
  description: 'Reference 3D U-Net (88,522 params, batch 2 of 32³, Adam): train step and predict per backend vs stock tfjs and PyTorch CPU, paired runs',
  run
}
