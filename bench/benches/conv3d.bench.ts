/**
 * Conv3D throughput on the layer shapes of the reference 3D U-Net (shared/tools/unet_reference_torch.py:
 * batch 2 of 32³ single-channel patches, 8 base filters, two poolings, concatenated skips), for the
 * stock tfjs kernels and this project's (src/engine/kernels), forward and both gradients; plus the
 * im2col tile-budget sweep, the cpu matmul ceiling and the two-core (two wasm workers) measurement
 * that docs/KERNELS.md quotes.
 */
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { isMainThread, MessageChannel, parentPort, Worker, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import {
  conv3dFlops,
  conv3dGeometry,
  registerConv3dKernels,
  type Conv3dKernelOptions,
  unregisterConv3dKernels,
  type Conv3dGeometry
} from '../../src/engine/kernels'
import { type Bench, type BenchReport, type BenchRow, medianMs } from '../report'

const requireHere = createRequire(__filename)
const RUNS = 3
const BATCH = 2
const MiB = 2 ** 20

interface Layer {
  /** Spatial size of the (cubic) input. */
  size: number
  inChannels: number
  outChannels: number
  kernel: number
  /** How many layers of the reference U-Net have this shape. */
  count: number
  /** The first layer's input is data: training never needs its input gradient. */
  first?: boolean
}

// e1a, e1b (+d1b), e2a, e2b (+d2b), bottleneck ×2, d2a (32 upsampled + 16 skip), d1a (16 + 8), head.
const UNET_LAYERS: Layer[] = [
  { size: 32, inChannels: 1, outChannels: 8, kernel: 3, count: 1, first: true },
  { size: 32, inChannels: 8, outChannels: 8, kernel: 3, count: 2 },
  { size: 16, inChannels: 8, outChannels: 16, kernel: 3, count: 1 },
  { size: 16, inChannels: 16, outChannels: 16, kernel: 3, count: 2 },
  { size: 8, inChannels: 16, outChannels: 32, kernel: 3, count: 1 },
  { size: 8, inChannels: 32, outChannels: 32, kernel: 3, count: 1 },
  { size: 16, inChannels: 48, outChannels: 16, kernel: 3, count: 1 },
  { size: 32, inChannels: 24, outChannels: 8, kernel: 3, count: 1 },
  { size: 32, inChannels: 8, outChannels: 2, kernel: 1, count: 1 }
]

type Op = 'fwd' | 'dFilter' | 'dInput'
const OPS: Op[] = ['fwd', 'dFilter', 'dInput']

function label(layer: Layer): string {
  const k = layer.kernel === 3 ? '' : ` k${layer.kernel}`
  return `${layer.size}³×${layer.inChannels}→${layer.outChannels}${k}`
}

interface LayerTensors {
  layer: Layer
  g: Conv3dGeometry
  x: tf.Tensor5D
  filter: tf.Tensor5D
  dy: tf.Tensor5D
}

function makeTensors(layer: Layer, batch: number): LayerTensors {
  const xShape: [number, number, number, number, number] = [batch, layer.size, layer.size, layer.size, layer.inChannels]
  const filterShape: [number, number, number, number, number] = [layer.kernel, layer.kernel, layer.kernel, layer.inChannels, layer.outChannels]
  const g = conv3dGeometry(xShape, filterShape, 1, 'same')
  return {
    layer,
    g,
    x: tf.randomNormal(xShape) as tf.Tensor5D,
    filter: tf.randomNormal(filterShape, 0, 0.1) as tf.Tensor5D,
    dy: tf.randomNormal(g.outShape) as tf.Tensor5D
  }
}

function disposeTensors(t: LayerTensors): void {
  tf.dispose([t.x, t.filter, t.dy])
}

/** One kernel call through the engine, as tf.grad would make it; synchronous on cpu and wasm. */
function runOp(t: LayerTensors, op: Op): void {
  const attrs = { strides: 1, pad: 'same' }
  const out =
    op === 'fwd'
      ? tf.conv3d(t.x, t.filter, 1, 'same')
      : op === 'dFilter'
        ? (tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x: t.x, dy: t.dy }, { ...attrs, filterShape: t.filter.shape }) as tf.Tensor)
        : (tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy: t.dy, filter: t.filter }, { ...attrs, inputShape: t.x.shape }) as tf.Tensor)
  out.dispose()
}

async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`)
  await tf.ready()
}

function setUpWasm(): void {
  setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
}

/** The conv work of one U-Net training step: every layer's forward, filter and input gradient. */
function trainStepConvs(layers: LayerTensors[]): void {
  for (const t of layers) {
    for (let i = 0; i < t.layer.count; i++) {
      runOp(t, 'fwd')
      runOp(t, 'dFilter')
      if (!t.layer.first) runOp(t, 'dInput')
    }
  }
}

function trainStepFlops(layers: readonly Layer[], batch: number): number {
  let flops = 0
  for (const layer of layers) {
    const t = makeShapeOnly(layer, batch)
    flops += layer.count * conv3dFlops(t) * (layer.first ? 2 : 3)
  }
  return flops
}

function makeShapeOnly(layer: Layer, batch: number): Conv3dGeometry {
  const k = layer.kernel
  return conv3dGeometry([batch, layer.size, layer.size, layer.size, layer.inChannels], [k, k, k, layer.inChannels, layer.outChannels], 1, 'same')
}

// ---------------------------------------------------------------------------------------------
// Two-core measurement: wasm has no threads under Node, so the only way to use the second core is
// a second wasm instance. Data parallelism (each worker runs half the batch, gradients are summed)
// needs no synchronisation inside a step, so it is the best case for a worker split; this measures it.

interface WorkerRequest {
  kind: 'step'
  batch: number
}

interface WorkerReply {
  kind: 'ready' | 'done'
  ms: number
}

const WORKER_ROLE = 'voxloop-conv3d-bench-worker'

function isBenchWorker(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === WORKER_ROLE
}

async function runWorker(): Promise<void> {
  const port = parentPort
  if (!port) return
  setUpWasm()
  await useBackend('wasm')
  registerConv3dKernels('wasm')
  const byBatch = new Map<number, LayerTensors[]>()
  port.on('message', (request: WorkerRequest) => {
    let layers = byBatch.get(request.batch)
    if (!layers) {
      layers = UNET_LAYERS.map((layer) => makeTensors(layer, request.batch))
      byBatch.set(request.batch, layers)
      trainStepConvs(layers) // warm-up: XNNPACK operators and heap growth
    }
    const start = performance.now()
    trainStepConvs(layers)
    port.postMessage({ kind: 'done', ms: performance.now() - start } satisfies WorkerReply)
  })
  port.postMessage({ kind: 'ready', ms: 0 } satisfies WorkerReply)
}

if (!isMainThread && isBenchWorker(workerData)) void runWorker()

class BenchWorker {
  private readonly worker: Worker
  private pending: ((reply: WorkerReply) => void) | null = null
  readonly ready: Promise<void>

  constructor() {
    // Workers do not inherit tsx's ESM hooks; its CommonJS hook lets the worker load this .ts file.
    const code = `require(${JSON.stringify(requireHere.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)})`
    this.worker = new Worker(code, { eval: true, workerData: { role: WORKER_ROLE } })
    this.ready = new Promise((resolve, reject) => {
      this.pending = () => resolve()
      this.worker.once('error', reject)
    })
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending
      this.pending = null
      pending?.(reply)
    })
  }

  step(batch: number): Promise<number> {
    return new Promise((resolve) => {
      this.pending = (reply) => resolve(reply.ms)
      this.worker.postMessage({ kind: 'step', batch } satisfies WorkerRequest)
    })
  }

  terminate(): Promise<number> {
    return this.worker.terminate()
  }
}

async function medianOf(runs: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let i = 0; i < runs; i++) values.push(await measure())
  values.sort((a, b) => a - b)
  return values[Math.floor(values.length / 2)] ?? Number.NaN
}

async function twoCoreRows(): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const workers = [new BenchWorker(), new BenchWorker()]
  try {
    await Promise.all(workers.map((w) => w.ready))
    const [a, b] = workers as [BenchWorker, BenchWorker]
    await a.step(BATCH)
    await Promise.all([a.step(BATCH / 2), b.step(BATCH / 2)])
    const oneWorker = await medianOf(RUNS, () => timed(() => a.step(BATCH)))
    const halfAlone = await medianOf(RUNS, () => timed(() => a.step(BATCH / 2)))
    const bothHalves = (): Promise<number[]> => Promise.all([a.step(BATCH / 2), b.step(BATCH / 2)])
    const twoWorkers = await medianOf(RUNS, () => timed(bothHalves))
    // Data parallelism exchanges the gradients once per step: the reference U-Net has 88,522 parameters.
    const gradients = new Float32Array(88_522)
    const exchange = await medianOf(RUNS, () => timed(() => roundTrip(gradients)))
    // Splitting one kernel across workers instead would move its operands every call (separate wasm
    // heaps): the input of the biggest layer, 2×32³×24 floats.
    const activation = new Float32Array(BATCH * 32 ** 3 * 24)
    const perKernelCopy = await medianOf(RUNS, () => timed(() => roundTrip(activation)))
    const rows: BenchRow[] = [
      { name: 'two-core: U-Net step convs, 1 wasm worker, batch 2', value: oneWorker, unit: 'ms' },
      {
        name: 'two-core: U-Net step convs, 1 wasm worker, batch 1',
        value: halfAlone,
        unit: 'ms',
        note: 'alone; the ideal two-worker time'
      },
      { name: 'two-core: U-Net step convs, 2 wasm workers × batch 1', value: twoWorkers, unit: 'ms' },
      { name: 'two-core: speed-up of 2 workers over 1', value: oneWorker / twoWorkers, unit: '×' },
      { name: 'two-core: gradient exchange (88,522 float32, round trip)', value: exchange, unit: 'ms' },
      {
        name: 'two-core: one 2×32³×24 activation to a worker and back',
        value: perKernelCopy,
        unit: 'ms',
        note: 'per kernel call, if a kernel were split'
      }
    ]
    return { rows, notes: [`two-core rows measured with load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} on ${os.cpus().length} cores`] }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await run()
  return performance.now() - start
}

function roundTrip(values: Float32Array): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel()
    port2.on('message', (data: Float32Array) => port2.postMessage(data))
    port1.once('message', () => {
      port1.close()
      port2.close()
      resolve()
    })
    port1.postMessage(values)
  })
}

// ---------------------------------------------------------------------------------------------

function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6
}

const OP_NAME: Record<Op, string> = { fwd: 'forward', dFilter: 'filter grad', dInput: 'input grad' }

interface Variant {
  backend: 'wasm' | 'cpu'
  /**
   * direct: the project's kernels as registered by default (the direct kernels at stride 1, the
   * native im2col elsewhere); im2col: im2col everywhere (native); im2col-js: with the JS im2col.
   */
  kind: 'stock' | 'direct' | 'im2col' | 'im2col-js'
}

const KIND_OPTIONS: Record<Exclude<Variant['kind'], 'stock'>, Conv3dKernelOptions> = {
  direct: {},
  im2col: { conv: 'im2col' },
  'im2col-js': { im2col: 'js' }
}

/** What each of our variants is compared with: the next simpler one. */
const BASELINE_KIND: Record<Variant['kind'], Variant['kind']> = { direct: 'im2col', im2col: 'im2col-js', 'im2col-js': 'stock', stock: 'stock' }

function rowName(v: Variant, op: Op, layer: Layer): string {
  return `${v.backend} ${v.kind} ${OP_NAME[op]} ${label(layer)}`
}

function isOurs(v: Variant): boolean {
  return v.kind !== 'stock'
}

async function kernelRows(v: Variant): Promise<{ rows: BenchRow[]; stepMs: number; predictMs: number }> {
  await useBackend(v.backend)
  if (v.kind !== 'stock') registerConv3dKernels(v.backend, KIND_OPTIONS[v.kind])
  else if (v.backend === 'wasm') unregisterConv3dKernels('wasm')
  const rows: BenchRow[] = []
  let stepMs = 0
  let predictMs = 0
  for (const layer of UNET_LAYERS) {
    const t = makeTensors(layer, BATCH)
    try {
      for (const op of OPS) {
        const ms = await medianMs(RUNS, () => runOp(t, op))
        const row: BenchRow = { name: rowName(v, op, layer), value: gflops(conv3dFlops(t.g), ms), unit: 'GFLOP/s' }
        if (isOurs(v)) row.baselineOf = rowName({ ...v, kind: BASELINE_KIND[v.kind] }, op, layer)
        if (v.backend === 'wasm' && v.kind === 'stock' && op !== 'fwd') row.note = 'wrong results'
        rows.push(row)
        if (op !== 'dInput' || !layer.first) stepMs += layer.count * ms
        if (op === 'fwd') predictMs += layer.count * ms
      }
    } finally {
      disposeTensors(t)
    }
  }
  return { rows, stepMs, predictMs }
}

/** The default tile budget against smaller and larger ones, on the two biggest layers. */
async function tileSweepRows(): Promise<BenchRow[]> {
  await useBackend('wasm')
  const rows: BenchRow[] = []
  const budgets = [1, 4, 8, 16, 64]
  for (const layer of [UNET_LAYERS[7], UNET_LAYERS[6]] as Layer[]) {
    const t = makeTensors(layer, BATCH)
    try {
      for (const op of OPS) {
        const baseline = `wasm im2col ${OP_NAME[op]} ${label(layer)}, tile 8 MiB`
        for (const mib of budgets) {
          registerConv3dKernels('wasm', { conv: 'im2col', maxScratchBytes: mib * MiB })
          runOp(t, op)
          const ms = await medianMs(RUNS, () => runOp(t, op))
          const name = `wasm im2col ${OP_NAME[op]} ${label(layer)}, tile ${mib} MiB`
          rows.push({ name, value: gflops(conv3dFlops(t.g), ms), unit: 'GFLOP/s', ...(mib === 8 ? {} : { baselineOf: baseline }) })
        }
      }
    } finally {
      disposeTensors(t)
    }
  }
  registerConv3dKernels('wasm')
  return rows
}

/**
 * The ceiling of im2col on cpu: the cpu backend's BatchMatMul alone, at the forward GEMM's shape
 * [positions, patch]·[patch, outC], against the stock cpu Conv3D. If the bare GEMM is not faster,
 * im2col (which adds the column copy) cannot be.
 */
async function cpuGemmRows(): Promise<BenchRow[]> {
  await useBackend('cpu')
  const rows: BenchRow[] = []
  for (const layer of [UNET_LAYERS[1], UNET_LAYERS[3], UNET_LAYERS[5]] as Layer[]) {
    const g = makeShapeOnly(layer, BATCH)
    const a = tf.randomNormal([g.outPositions, g.patchSize])
    const b = tf.randomNormal([g.patchSize, g.outChannels])
    try {
      const ms = await medianMs(RUNS, () => tf.matMul(a, b).dispose())
      rows.push({
        name: `cpu BatchMatMul only, GEMM of ${label(layer)}`,
        value: gflops(conv3dFlops(g), ms),
        unit: 'GFLOP/s',
        baselineOf: rowName({ backend: 'cpu', kind: 'stock' }, 'fwd', layer),
        note: 'upper bound for im2col on cpu'
      })
    } finally {
      tf.dispose([a, b])
    }
  }
  return rows
}

async function run(): Promise<BenchReport> {
  setUpWasm()
  const stepFlops = trainStepFlops(UNET_LAYERS, BATCH)
  let predictFlops = 0
  for (const layer of UNET_LAYERS) predictFlops += layer.count * conv3dFlops(makeShapeOnly(layer, BATCH))

  const rows: BenchRow[] = []
  const totals: BenchRow[] = []
  for (const v of [
    { backend: 'wasm', kind: 'stock' },
    { backend: 'wasm', kind: 'im2col-js' },
    { backend: 'wasm', kind: 'im2col' },
    { backend: 'wasm', kind: 'direct' },
    { backend: 'cpu', kind: 'stock' }
  ] as Variant[]) {
    const result = await kernelRows(v)
    rows.push(...result.rows)
    const baselineKind = BASELINE_KIND[v.kind]
    const base = isOurs(v) ? { baselineOf: `${v.backend} ${baselineKind} U-Net train-step convs` } : {}
    totals.push({
      name: `${v.backend} ${v.kind} U-Net train-step convs`,
      value: gflops(stepFlops, result.stepMs),
      unit: 'GFLOP/s',
      note: `${result.stepMs.toFixed(0)} ms per step`,
      ...base
    })
    totals.push({
      name: `${v.backend} ${v.kind} U-Net predict convs`,
      value: gflops(predictFlops, result.predictMs),
      unit: 'GFLOP/s',
      note: `${result.predictMs.toFixed(0)} ms per batch`,
      ...(isOurs(v) ? { baselineOf: `${v.backend} ${baselineKind} U-Net predict convs` } : {})
    })
  }
  registerConv3dKernels('wasm')
  rows.push(...totals)
  rows.push(...(await tileSweepRows()))
  rows.push(...(await cpuGemmRows()))
  const twoCore = await twoCoreRows()
  rows.push(...twoCore.rows)

  return {
    name: 'conv3d',
    rows,
    notes: [
      `batch ${BATCH}, 'same' padding, stride 1, median of ${RUNS}; GFLOP/s = 2·positions·patch·outC / time for every op`,
      'wasm direct: the project kernels as the engine registers them (src/engine/kernels/native/conv3d_direct.c for stride 1 with a multiple of 4 output channels, im2col otherwise), baseline im2col everywhere; wasm im2col: with the native im2col (native/im2col.c), baseline the JS im2col (im2col-js), whose baseline is stock; plain wasm build, one thread (the threaded build is measured in unet-reference)',
      'stock wasm gradients give wrong results (see test/unit/engine/kernels/stockWasmBackprop.test.ts): their speed is not comparable work',
      ...twoCore.notes
    ],
    environment: { tfjs: tf.version.tfjs }
  }
}

export const bench: Bench = {
  name: 'conv3d',
  description: 'Conv3D forward and gradients, stock tfjs vs the project kernels (im2col, direct), on the reference U-Net layer shapes',
  run
}
