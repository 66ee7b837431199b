/**
 * The webgpu backend (issue #16) side by side with wasm in the same run: the reference U-Net of
 * shared/tools/unet_reference_torch.py (buildReferenceUNet, 88,522 parameters), batch 2 of 32³,
 * one training step as the engine runs it and one prediction, then Conv3D GFLOP/s per layer.
 *
 * - wasm: as activateBackend sets it up (the project's Conv3D and reduction kernels, the threaded
 *   build), the step through `openStepper` with the gradient workers runTraining would use;
 * - webgpu: the machine's adapter, as activateBackend would register it (Dawn, the WGSL kernels and
 *   rank-5 fixes), the step on the engine thread (chooseTrainingWorkers gives webgpu one worker).
 *   The step is `trainStep` with the project's loss (Dice + CE), its reads asynchronous.
 *
 * Runs alternate (wasm, webgpu, wasm, …) so that a change in load moves both. With no hardware
 * adapter the figures are correctness-only: SwiftShader emulates the GPU on the CPU, and the
 * target (webgpu ≥ 10× faster than wasm) is not judged. Env: VOXLOOP_BENCH_RUNS (timed steps of
 * each, default 4, after 2 warm-up steps); VK_ICD_FILENAMES picks a Vulkan driver (SwiftShader's is
 * chosen when none is set and Debian's chromium has it).
 */
import { existsSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { activateBackend } from '../../src/engine/backends/activateBackend'
import { dawnGpu, loadDawn, registerWebGpuBackend, requestAdapter, summarizeAdapter, takeGpuErrors } from '../../src/engine/backends/webgpu/dawn'
import type { Batch } from '../../src/engine/data/BatchSampler'
import { registerConv3dBackpropInputGradient, registerWebGpuKernels } from '../../src/engine/kernels'
import { buildReferenceUNet } from '../../src/engine/model'
import { openStepper, type OpenedStepper } from '../../src/engine/train/parallel/openStepper'
import { chooseTrainingWorkers } from '../../src/engine/train/parallel/trainingWorkers'
import { stepModel } from '../../src/engine/train/trainStep'
import { createRandom } from '../../src/shared/random'
import { loadAverage } from '../benchCommon'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

const RUNS = Math.max(1, Math.floor(Number(process.env.VOXLOOP_BENCH_RUNS ?? 4)))
const WARMUP = 2
const BATCH = 2
const SIZE = 32
const SEED = 20_240_611
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
const SPEEDUP_TARGET = 10

type Backend = 'wasm' | 'webgpu'

function syntheticBatch(): Batch {
  const random = createRandom(SEED)
  const voxels = BATCH * SIZE ** 3
  const image = Float32Array.from({ length: voxels }, () => random.normal())
  const label = Uint8Array.from({ length: voxels }, (_, v) => (v % 97 < 30 ? 1 : 0))
  return { image, label, shape: [BATCH, SIZE, SIZE, SIZE, 1], step: 0, samples: [] }
}

async function use(backend: Backend): Promise<void> {
  if (tf.getBackend() === backend) return
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not switch to ${backend}`)
  await tf.ready()
}

/** The model, Adam and the engine's stepper on one backend (created while it is current). */
interface Session {
  backend: Backend
  model: tf.LayersModel
  optimizer: tf.Optimizer
  opened: OpenedStepper
  x: tf.Tensor5D
}

async function openSession(backend: Backend): Promise<Session> {
  await use(backend)
  const model = buildReferenceUNet({ seed: SEED, inputShape: [SIZE, SIZE, SIZE] })
  const optimizer = tf.train.adam(1e-3)
  const { workers } = chooseTrainingWorkers(backend, BATCH)
  const opened = await openStepper(stepModel(model), optimizer, workers)
  return { backend, model, optimizer, opened, x: tf.tensor5d(syntheticBatch().image, [BATCH, SIZE, SIZE, SIZE, 1]) }
}

function failOnGpuErrors(what: string): void {
  const errors = takeGpuErrors()
  if (errors.length > 0) throw new Error(`${what}: the GPU reported ${errors.length} error(s): ${errors[0] ?? ''}`)
}

async function timedStep(session: Session, batch: Batch): Promise<number> {
  await use(session.backend)
  const start = performance.now()
  await session.opened.stepper.step(batch)
  const ms = performance.now() - start
  failOnGpuErrors(`${session.backend} step`)
  return ms
}

async function timedPredict(session: Session): Promise<{ ms: number; probabilities: Float32Array }> {
  await use(session.backend)
  const start = performance.now()
  const y = session.model.predict(session.x) as tf.Tensor
  const probabilities = (await y.data()) as Float32Array
  const ms = performance.now() - start
  y.dispose()
  failOnGpuErrors(`${session.backend} prediction`)
  return { ms, probabilities }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return ((sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN) + (sorted[Math.floor(sorted.length / 2)] ?? Number.NaN)) / 2
}

/** One Conv3D layer of the reference U-Net: its input shape (batch 2) and its kernel's values. */
interface ConvLayer {
  name: string
  input: [number, number, number, number, number]
  kernelShape: [number, number, number, number, number]
  kernel: Float32Array
  flops: number
}

/**
 * The values are read with await data() and each backend gets its own copy: tfjs moves a tensor to
 * another backend through a synchronous read, which webgpu cannot do in Node.
 */
async function convLayers(model: tf.LayersModel): Promise<ConvLayer[]> {
  const layers: ConvLayer[] = []
  for (const layer of model.layers.filter((l) => l.getClassName() === 'Conv3D')) {
    const shape = (layer.input as tf.SymbolicTensor).shape
    const input = [BATCH, ...shape.slice(1)] as [number, number, number, number, number]
    const weight = layer.getWeights()[0] as tf.Tensor5D
    const kernelShape = weight.shape
    const [kd, kh, kw, cin, cout] = kernelShape
    // 'same', stride 1 in the reference U-Net: as many outputs as input voxels; 2 flops per multiply-add.
    const flops = 2 * BATCH * input[1] * input[2] * input[3] * kd * kh * kw * cin * cout
    layers.push({ name: layer.name, input, kernelShape, kernel: (await weight.data()) as Float32Array, flops })
  }
  return layers
}

async function convSeconds(backend: Backend, layer: ConvLayer): Promise<number> {
  await use(backend)
  const x = tf.randomNormal(layer.input, 0, 1, 'float32', 5) as tf.Tensor5D
  const w = tf.tensor5d(layer.kernel, layer.kernelShape)
  const once = async (): Promise<number> => {
    const start = performance.now()
    const y = tf.conv3d(x, w, 1, 'same')
    await y.data()
    y.dispose()
    return (performance.now() - start) / 1000
  }
  await once()
  const runs: number[] = []
  for (let i = 0; i < Math.max(2, RUNS); i++) runs.push(await once())
  tf.dispose([x, w])
  failOnGpuErrors(`${backend} conv3d ${layer.name}`)
  return median(runs)
}

async function webGpuAdapter(): Promise<{ adapter: GPUAdapter | null; reason: string }> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
  process.env.XDG_RUNTIME_DIR ??= '/tmp'
  const dawn = loadDawn()
  if (!dawn.ok) return { adapter: null, reason: dawn.reason }
  const adapter = await requestAdapter(dawnGpu(dawn.module))
  return adapter ? { adapter, reason: 'found' } : { adapter: null, reason: 'no WebGPU adapter (no Vulkan/D3D12/Metal driver)' }
}

async function run(): Promise<BenchReport> {
  const wasm = await activateBackend('wasm')
  const { adapter, reason } = await webGpuAdapter()
  if (!adapter) {
    return {
      name: 'webgpu',
      rows: [],
      targets: [{ description: `webgpu train step ≥ ${SPEEDUP_TARGET}× faster than wasm (no adapter: ${reason})`, met: null }],
      notes: [`nothing measured: ${reason}`]
    }
  }
  const summary = summarizeAdapter(adapter)
  registerWebGpuBackend(adapter)
  await use('webgpu')
  registerConv3dBackpropInputGradient()
  registerWebGpuKernels()
  const loadBefore = loadAverage()
  console.log(`  adapter: ${summary.name} (${summary.vendor}, ${summary.architecture}${summary.software ? ', software' : ''}); wasm: ${wasm.reason}`)

  const batch = syntheticBatch()
  const sessions = { wasm: await openSession('wasm'), webgpu: await openSession('webgpu') }
  const steps: Record<Backend, number[]> = { wasm: [], webgpu: [] }
  const predictions: Record<Backend, number[]> = { wasm: [], webgpu: [] }
  // The first prediction, before any step changes the weights: the two backends must agree.
  const first = { wasm: await timedPredict(sessions.wasm), webgpu: await timedPredict(sessions.webgpu) }
  const difference = first.wasm.probabilities.reduce((max, p, i) => Math.max(max, Math.abs(p - (first.webgpu.probabilities[i] ?? Number.NaN))), 0)
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const backend of ['wasm', 'webgpu'] as const) {
      const ms = await timedStep(sessions[backend], batch)
      const predicted = await timedPredict(sessions[backend])
      if (i >= WARMUP) {
        steps[backend].push(ms)
        predictions[backend].push(predicted.ms)
      }
      console.log(`  ${backend} ${i < WARMUP ? 'warm-up' : 'run'} ${i + 1}: step ${ms.toFixed(0)} ms, predict ${predicted.ms.toFixed(0)} ms, load ${loadAverage()}`)
    }
  }
  const workers = sessions.wasm.opened.workers
  for (const session of Object.values(sessions)) {
    await session.opened.stepper.dispose()
    session.optimizer.dispose()
    session.x.dispose()
  }

  const rows: BenchRow[] = [
    { name: 'wasm train step', value: median(steps.wasm) / 1000, unit: 's', note: `${workers} gradient worker(s); runs ${steps.wasm.map((v) => v.toFixed(0)).join(', ')} ms` },
    { name: 'webgpu train step', value: median(steps.webgpu) / 1000, unit: 's', baselineOf: 'wasm train step', note: `engine thread; runs ${steps.webgpu.map((v) => v.toFixed(0)).join(', ')} ms` },
    { name: 'wasm predict', value: median(predictions.wasm) / 1000, unit: 's' },
    { name: 'webgpu predict', value: median(predictions.webgpu) / 1000, unit: 's', baselineOf: 'wasm predict' },
    { name: 'max |p(webgpu) − p(wasm)|, first prediction', value: difference, unit: '' }
  ]
  await use('webgpu')
  for (const layer of await convLayers(sessions.webgpu.model)) {
    const wasmSeconds = await convSeconds('wasm', layer)
    const gpuSeconds = await convSeconds('webgpu', layer)
    const shape = `${layer.input.slice(1, 4).join('×')}, ${layer.kernelShape[3]}→${layer.kernelShape[4]}`
    rows.push({ name: `conv3d ${layer.name} wasm`, value: layer.flops / wasmSeconds / 1e9, unit: 'GFLOP/s', note: shape })
    rows.push({ name: `conv3d ${layer.name} webgpu`, value: layer.flops / gpuSeconds / 1e9, unit: 'GFLOP/s', baselineOf: `conv3d ${layer.name} wasm`, note: shape })
  }
  for (const session of Object.values(sessions)) session.model.dispose()

  const speedup = median(steps.wasm) / median(steps.webgpu)
  const targets: BenchTarget[] = [
    {
      description: summary.software
        ? `webgpu train step ≥ ${SPEEDUP_TARGET}× faster than wasm: not judged, ${summary.name} is a software adapter (CPU emulation; ${speedup.toFixed(2)}× here)`
        : `webgpu train step ≥ ${SPEEDUP_TARGET}× faster than wasm on this machine (got ${speedup.toFixed(2)}×)`,
      met: summary.software ? null : speedup >= SPEEDUP_TARGET
    },
    { description: `webgpu's first prediction equals wasm's within 1e-4 (max difference ${difference.toExponential(2)})`, met: difference <= 1e-4 }
  ]
  return {
    name: 'webgpu',
    rows,
    targets,
    notes: [
      `reference U-Net, batch ${BATCH} of ${SIZE}³, Dice + CE, Adam 1e-3; ${RUNS} timed steps and predictions of each backend after ${WARMUP} warm-up, alternating; medians`,
      `adapter ${summary.name} (${summary.vendor}, ${summary.architecture}, max buffer ${(summary.maxBufferBytes / 1024 ** 3).toFixed(1)} GiB${summary.software ? ', software: correctness only' : ''}); load average before ${loadBefore}, after ${loadAverage()}`
    ],
    environment: { tfjs: tf.version.tfjs, adapter: summary.name, runs: RUNS }
  }
}

export const bench: Bench = {
  name: 'webgpu',
  description: 'the reference U-Net train step and prediction on the webgpu backend side by side with wasm, and Conv3D GFLOP/s per layer',
  run
}
