/**
 * The wasm reduction, copy and broadcast kernels (src/engine/kernels, registerReductionKernels)
 * against the stock tfjs-backend-wasm kernels they replace:
 *
 *   - single kernels on the shapes of a 32³ batch-2 U-Net step (Sum over batch and space, Mean over
 *     space, rank-5 transpose and slice, the channel split/concat of skips, instance-norm broadcasts);
 *   - whole training steps, stock and ours alternating step by step so both see the same machine
 *     load: the default training model (buildUNet3d depth 3, 8 filters, 1 unit; Dice + cross-entropy;
 *     Adam) and the reference U-Net (buildReferenceUNet; softmax cross-entropy on the logits; Adam);
 *   - profiled steps of each, kernel time by kernel name (inclusive: our kernels' internal
 *     BatchMatMul calls count to them; median over the steps), for the rows docs/KERNELS.md quotes.
 *
 * Conv3D runs on the project's kernels (registerConv3dKernels) in every variant.
 * Env: VOXLOOP_BENCH_RUNS (timed steps per variant, default 3).
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerConv3dKernels, registerReductionKernels, unregisterReductionKernels } from '../../src/engine/kernels'
import { buildReferenceUNet, buildUNet3d } from '../../src/engine/model'
import { crossEntropyLoss, diceCrossEntropyLoss } from '../../src/engine/train/losses'
import { loadAverage, lowerMedian } from '../benchCommon'
import { type Bench, type BenchReport, type BenchRow } from '../report'

const requireHere = createRequire(__filename)
const RUNS = Math.max(1, Number(process.env.VOXLOOP_BENCH_RUNS ?? 3))
const SHAPE: [number, number, number, number, number] = [2, 32, 32, 32, 1]

type Variant = 'stock' | 'ours'

function use(variant: Variant): void {
  if (variant === 'ours') registerReductionKernels('wasm')
  else unregisterReductionKernels('wasm')
}

// ---------------------------------------------------------------------------------------------
// Single kernels

interface KernelCase {
  name: string
  inputs: number[][]
  run: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]
  /** Stock runs: the rank-5 slice takes ~0.5 s a call. */
  stockRuns?: number
}

const U8 = [2, 32, 32, 32, 8]
const KERNEL_CASES: KernelCase[] = [
  { name: 'Sum [2,32,32,32,3] over batch+space', inputs: [[2, 32, 32, 32, 3]], run: (x) => tf.sum(x, [0, 1, 2, 3]) },
  { name: 'Sum [2,32,32,32,8] over batch+space', inputs: [U8], run: (x) => tf.sum(x, [0, 1, 2, 3]) },
  { name: 'Sum [2,32,32,32,16] over batch+space', inputs: [[2, 32, 32, 32, 16]], run: (x) => tf.sum(x, [0, 1, 2, 3]) },
  { name: 'Sum [2,16,16,16,32] over batch+space', inputs: [[2, 16, 16, 16, 32]], run: (x) => tf.sum(x, [0, 1, 2, 3]) },
  { name: 'Sum [2,32,32,32,8] over space', inputs: [U8], run: (x) => tf.sum(x, [1, 2, 3]) },
  { name: 'Mean [2,32,32,32,8] over space, keepDims', inputs: [U8], run: (x) => tf.mean(x, [1, 2, 3], true) },
  { name: 'Mean [2,32,32,32,16] over space, keepDims', inputs: [[2, 32, 32, 32, 16]], run: (x) => tf.mean(x, [1, 2, 3], true) },
  { name: 'Transpose [2,32,32,32,8] perm [4,0,1,2,3]', inputs: [U8], run: (x) => tf.transpose(x, [4, 0, 1, 2, 3]) },
  { name: 'Slice [2,32,32,32,16] channels 8–15', inputs: [[2, 32, 32, 32, 16]], run: (x) => tf.slice(x, [0, 0, 0, 0, 8], [2, 32, 32, 32, 8]), stockRuns: 1 },
  { name: 'SplitV [65536,16] → 2 × [65536,8]', inputs: [[65536, 16]], run: (x) => tf.split(x, [8, 8], 1) },
  { name: 'Concat 2 × [2,32,32,32,8] along channels', inputs: [U8, U8], run: (a, b) => tf.concat([a as tf.Tensor, b as tf.Tensor], -1) },
  { name: 'Multiply [2,1,1,1,8] · [2,32,32,32,8]', inputs: [[2, 1, 1, 1, 8], U8], run: (a, b) => tf.mul(a as tf.Tensor, b as tf.Tensor) },
  { name: 'Sub [2,32,32,32,8] − [2,1,1,1,8]', inputs: [U8, [2, 1, 1, 1, 8]], run: (a, b) => tf.sub(a as tf.Tensor, b as tf.Tensor) },
  { name: 'Multiply [2,32,32,32,8] · [8]', inputs: [U8, [8]], run: (a, b) => tf.mul(a as tf.Tensor, b as tf.Tensor) }
]

/** Median ms of one kernel call, fresh inputs every call (no warm cache of the inputs). */
function timeKernel(c: KernelCase, runs: number): number {
  const times: number[] = []
  for (let i = 0; i <= runs; i++) {
    const xs = c.inputs.map((shape) => tf.randomNormal(shape))
    const start = performance.now()
    tf.dispose(c.run(...xs))
    const ms = performance.now() - start
    if (i > 0) times.push(ms) // the first call warms up (setup, JIT)
    tf.dispose(xs)
  }
  return lowerMedian(times)
}

function kernelRows(): BenchRow[] {
  const rows: BenchRow[] = []
  for (const c of KERNEL_CASES) {
    use('stock')
    const stock = timeKernel(c, c.stockRuns ?? 5)
    use('ours')
    const ours = timeKernel(c, 5)
    const stockName = `${c.name}: stock wasm`
    rows.push({ name: stockName, value: stock, unit: 'ms' })
    rows.push({ name: `${c.name}: ours`, value: ours, unit: 'ms', baselineOf: stockName })
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Training steps

interface StepModel {
  label: string
  step: () => number
  dispose: () => void
}

function defaultModelStep(): StepModel {
  const model = buildUNet3d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 8, residualUnits: 1, seed: 1 })
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const optimizer = tf.train.adam(1e-3)
  const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 3)
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform(SHAPE.slice(0, 4), 0, 3, 'int32', 4), 3).toFloat())
  return {
    label: 'default U-Net (depth 3, 8 filters, 1 unit; Dice+CE; Adam)',
    step: () =>
      tf.tidy(() => {
        const cost = optimizer.minimize(() => diceCrossEntropyLoss(y, model.apply(x, { training: true }) as tf.Tensor), true, variables)
        return (cost as tf.Scalar).dataSync()[0] as number
      }),
    dispose: () => {
      tf.dispose([x, y])
      optimizer.dispose()
      model.dispose()
    }
  }
}

function referenceModelStep(): StepModel {
  const model = buildReferenceUNet({ seed: 1 })
  const logits = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').output as tf.SymbolicTensor })
  const variables = logits.trainableWeights.map((w) => w.read() as tf.Variable)
  const optimizer = tf.train.adam(1e-3)
  const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 3)
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform(SHAPE.slice(0, 4), 0, 2, 'int32', 4), 2).toFloat())
  return {
    label: 'reference U-Net (88,522 params; softmax CE on logits; Adam)',
    step: () =>
      tf.tidy(() => {
        const cost = optimizer.minimize(
          () => crossEntropyLoss(y, logits.apply(x, { training: true }) as tf.Tensor, { predictions: 'logits' }),
          true,
          variables
        )
        return (cost as tf.Scalar).dataSync()[0] as number
      }),
    dispose: () => {
      tf.dispose([x, y])
      optimizer.dispose()
      model.dispose()
    }
  }
}

/**
 * Kernel ms per step by kernel name, counting only calls the engine makes (inclusive), median over
 * `runs` steps per name.
 */
function profileSteps(step: () => number, runs: number): Map<string, number> {
  let byName = new Map<string, number>()
  let depth = 0
  const originals = tf.getKernelsForBackend('wasm') as KernelConfig[]
  for (const config of originals) {
    const inner = config.kernelFunc
    tf.unregisterKernel(config.kernelName, 'wasm')
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        depth++
        const start = performance.now()
        try {
          return inner(args)
        } finally {
          const ms = performance.now() - start
          depth--
          if (depth === 0) byName.set(config.kernelName, (byName.get(config.kernelName) ?? 0) + ms)
        }
      }
    })
  }
  const perStep: Map<string, number>[] = []
  try {
    for (let i = 0; i < runs; i++) {
      byName = new Map()
      step()
      perStep.push(byName)
    }
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, 'wasm')
      tf.registerKernel(config)
    }
  }
  const names = new Set(perStep.flatMap((m) => [...m.keys()]))
  return new Map([...names].map((name) => [name, lowerMedian(perStep.map((m) => m.get(name) ?? 0))]))
}

const PROFILED = ['Sum', 'Mean', 'Multiply', 'Sub', 'Add', 'Concat', 'SplitV', 'Transpose', 'Slice']

async function stepRows(make: () => StepModel, short: string): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const target = make()
  const times: Record<Variant, number[]> = { stock: [], ours: [] }
  const losses: Record<Variant, number[]> = { stock: [], ours: [] }
  try {
    for (const variant of ['stock', 'ours'] as const) {
      use(variant)
      target.step() // warm-up
    }
    // Alternate, so a change in background load hits both variants alike.
    for (let i = 0; i < RUNS; i++) {
      for (const variant of ['stock', 'ours'] as const) {
        use(variant)
        const start = performance.now()
        losses[variant].push(target.step())
        times[variant].push(performance.now() - start)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    const profiles = {} as Record<Variant, Map<string, number>>
    for (const variant of ['stock', 'ours'] as const) {
      use(variant)
      profiles[variant] = profileSteps(target.step, RUNS)
    }
    const stockName = `${short} step: stock wasm`
    const rows: BenchRow[] = [
      { name: stockName, value: lowerMedian(times.stock), unit: 'ms', note: `runs ${times.stock.map((t) => t.toFixed(0)).join(' ')}` },
      { name: `${short} step: ours`, value: lowerMedian(times.ours), unit: 'ms', baselineOf: stockName, note: `runs ${times.ours.map((t) => t.toFixed(0)).join(' ')}` },
      { name: `${short} step: speed-up`, value: lowerMedian(times.stock) / lowerMedian(times.ours), unit: '×' }
    ]
    for (const name of PROFILED) {
      const stock = profiles.stock.get(name) ?? 0
      const ours = profiles.ours.get(name) ?? 0
      if (stock < 0.5 && ours < 0.5) continue
      const kernelStock = `${short} step, ${name} kernels: stock`
      rows.push({ name: kernelStock, value: stock, unit: 'ms' })
      rows.push({ name: `${short} step, ${name} kernels: ours`, value: ours, unit: 'ms', baselineOf: kernelStock })
    }
    const total = (profile: Map<string, number>): number => [...profile.values()].reduce((a, b) => a + b, 0)
    const top = (profile: Map<string, number>): string =>
      [...profile.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, ms]) => `${name} ${ms.toFixed(0)}`)
        .join(', ')
    const notes = [
      `${target.label}: losses stock ${losses.stock.map((l) => l.toFixed(5)).join(' ')}, ours ${losses.ours.map((l) => l.toFixed(5)).join(' ')} (one model, stepping on)`,
      `${short} profiled steps, median kernel ms (total ${total(profiles.stock).toFixed(0)}) stock: ${top(profiles.stock)}`,
      `${short} profiled steps, median kernel ms (total ${total(profiles.ours).toFixed(0)}) ours: ${top(profiles.ours)}`
    ]
    return { rows, notes }
  } finally {
    target.dispose()
  }
}

async function run(): Promise<BenchReport> {
  setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise')
  await tf.ready()
  registerConv3dKernels('wasm')
  const loadBefore = loadAverage()
  const rows: BenchRow[] = []
  const notes: string[] = []
  try {
    rows.push(...kernelRows())
    for (const [make, short] of [
      [defaultModelStep, 'default U-Net'],
      [referenceModelStep, 'reference U-Net']
    ] as const) {
      const result = await stepRows(make, short)
      rows.push(...result.rows)
      notes.push(...result.notes)
    }
  } finally {
    registerReductionKernels('wasm')
  }
  notes.push(`load average before ${loadBefore}, after ${loadAverage()} (2 shared cores: compare ratios, not absolute ms)`)
  notes.push(`step rows: median of ${RUNS}, stock and ours alternating step by step, batch 2 of 32³, Conv3D on the project kernels`)
  return { name: 'reductions', rows, notes, environment: { tfjs: tf.version.tfjs } }
}

export const bench: Bench = {
  name: 'reductions',
  description: 'wasm Sum/Mean/Transpose/Slice/SplitV/Concat/broadcast kernels vs stock, and U-Net training steps before/after',
  run
}
