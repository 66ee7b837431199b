/**
 * The GPU host protocol end to end in one process: the host (serveGpuHost, as in the desktop app's
 * GPU window) on one end of a MessageChannel, the engine's client on the other, both on the cpu
 * backend so that results can be compared exactly with the engine thread's own. Chromium's WebGPU
 * under the same host is tested in test/e2e/gpuHostWindow.browser.spec.ts.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../src/engine/backends/activateBackend'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import { GpuHostClient, type ClientEndpoint } from '../../../../src/engine/gpuHost/GpuHostClient'
import { activeGpuHost, remoteTilePredictor, setActiveGpuHost } from '../../../../src/engine/gpuHost/activeGpuHost'
import { GpuHostReplySchema, type GpuHostReply, type GpuHostRequest } from '../../../../src/engine/gpuHost/gpuHostProtocol'
import { remoteStepper } from '../../../../src/engine/gpuHost/remoteStepper'
import { serveGpuHost, type GpuHostDevice } from '../../../../src/engine/gpuHost/serveGpuHost'
import { withFlipTta } from '../../../../src/engine/infer/flipTta'
import { slidingWindowPredict, type PatchPredictor } from '../../../../src/engine/infer/slidingWindow'
import { buildUNet3d } from '../../../../src/engine/model'
import { buildPlainUNet2d } from '../../../../src/engine/model/buildPlainUNet2d'
import { createOptimizer } from '../../../../src/engine/train/optimizers'
import { openStepper } from '../../../../src/engine/train/parallel/openStepper'
import { localStepper, stepModel, type TrainingStepper } from '../../../../src/engine/train/trainStep'
import { VoxloopError } from '../../../../src/shared/errors'
import { createRandom } from '../../../../src/shared/random'
import { DEFAULT_LOSS } from '../../../../src/shared/training'

const OPTIONS = { inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 1, seed: 21 }
const EDGE = 8

beforeAll(async () => {
  await activateBackend('cpu')
})

/** A host on the cpu backend whose "GPU errors" the test queues. */
interface TestHost {
  client: GpuHostClient
  /** The host's end, to close it or to send raw replies. */
  hostPort: MessagePort
  /** The client's end, to send raw requests past the client. */
  clientPort: MessagePort
  gpuErrors: string[]
  activations: number
}

const hosts: TestHost[] = []

function startHost(): TestHost {
  const { port1, port2 } = new MessageChannel()
  const gpuErrors: string[] = []
  const host: TestHost = { client: null as unknown as GpuHostClient, hostPort: port2, clientPort: port1, gpuErrors, activations: 0 }
  const device: GpuHostDevice = {
    probe: async () => ({ adapter: { name: 'Test GPU', vendor: 'test', architecture: 'cpu', software: true, maxBufferBytes: 2 ** 30 }, reason: 'found Test GPU' }),
    activate: async () => {
      host.activations += 1
    },
    takeErrors: () => gpuErrors.splice(0, gpuErrors.length)
  }
  serveGpuHost({ post: (reply, transfer) => port2.postMessage(reply, transfer), onMessage: (listener) => port2.on('message', listener) }, device)
  const endpoint: ClientEndpoint = {
    post: (request: GpuHostRequest) => port1.postMessage(request),
    onMessage: (listener) => port1.on('message', listener),
    onClose: (listener) => port1.on('close', listener),
    close: () => port1.close()
  }
  host.client = new GpuHostClient(endpoint)
  hosts.push(host)
  return host
}

afterEach(() => {
  setActiveGpuHost(null)
  for (const host of hosts.splice(0)) {
    host.clientPort.close()
    host.hostPort.close()
  }
})

/** A batch of `size` random 8³ patches with three classes in blocks. */
function batchOf(size: number, seed: number, step = 0): Batch {
  const random = createRandom(seed)
  const voxels = EDGE ** 3
  const image = new Float32Array(size * voxels)
  const label = new Uint8Array(size * voxels)
  for (let i = 0; i < image.length; i++) {
    const z = Math.floor((i % voxels) / (EDGE * EDGE))
    label[i] = z < 3 ? 0 : z < 6 ? 1 : 2
    image[i] = (label[i] as number) + 0.5 * (random.next() - 0.5)
  }
  return { image, label, shape: [size, EDGE, EDGE, EDGE, 1], step, samples: [] }
}

const copyOf = (b: Batch): Batch => ({ ...b, image: b.image.slice(), label: b.label.slice() })

async function runSteps(make: (target: ReturnType<typeof stepModel>, optimizer: tf.Optimizer) => Promise<TrainingStepper>, batches: Batch[], build: () => tf.LayersModel): Promise<{ losses: number[]; weights: Float32Array[]; tensors: number[] }> {
  const model = build()
  const target = stepModel(model)
  const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.01, momentum: 0 })
  const stepper = await make(target, optimizer.optimizer)
  try {
    const losses: number[] = []
    const tensors: number[] = []
    for (const batch of batches) {
      losses.push(await stepper.step(batch))
      tensors.push(tf.memory().numTensors)
    }
    return { losses, tensors, weights: target.variables.map((v) => Float32Array.from(v.dataSync())) }
  } finally {
    await stepper.dispose()
    optimizer.dispose()
    model.dispose()
  }
}

function worstDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0
  a.forEach((values, v) => values.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - ((b[v] as Float32Array)[i] as number))))))
  return worst
}

async function ask(port: MessagePort, message: unknown): Promise<GpuHostReply> {
  const reply = new Promise<unknown>((resolve) => port.once('message', resolve))
  port.postMessage(message)
  return GpuHostReplySchema.parse(await reply)
}

describe('training steps through the GPU host', () => {
  it('the same losses and weights as the engine thread over 3 Adam steps (residual U-Net, instance norm)', async () => {
    const host = startHost()
    const batches = [batchOf(2, 1, 0), batchOf(2, 2, 1), batchOf(2, 3, 2)]
    const build = (): tf.LayersModel => buildUNet3d(OPTIONS)
    const local = await runSteps(async (t, o) => localStepper(t, o), batches.map(copyOf), build)
    const remote = await runSteps((t, o) => remoteStepper(host.client, t, o), batches.map(copyOf), build)
    expect(remote.losses).toEqual(local.losses)
    expect(worstDifference(remote.weights, local.weights)).toBe(0)
    // The loss fell, so the gradients were real.
    expect(local.losses[2]).toBeLessThan(local.losses[0] as number)
    // Nothing accumulates from step to step (the host's model lives in this process too).
    expect(new Set(remote.tensors.slice(1)).size).toBe(1)
    expect(host.activations).toBe(1)
  }, 120_000)

  it('deep supervision in 2D (two outputs): the host computes the same weighted loss', async () => {
    const host = startHost()
    const build = (): tf.LayersModel => buildPlainUNet2d({ inputChannels: 1, numClasses: 3, depth: 3, baseFilters: 4, deepSupervision: true, seed: 5 })
    const slices = (b: Batch): Batch => ({ ...b, shape: [b.shape[0], 1, 16, 32, 1] })
    const batches = [slices(batchOf(2, 7, 0)), slices(batchOf(2, 8, 1))]
    const local = await runSteps(async (t, o) => localStepper(t, o), batches.map(copyOf), build)
    const remote = await runSteps((t, o) => remoteStepper(host.client, t, o), batches.map(copyOf), build)
    expect(remote.losses).toEqual(local.losses)
    expect(worstDifference(remote.weights, local.weights)).toBe(0)
  }, 120_000)

  it('openStepper hands the steps to the active GPU host, with one worker', async () => {
    const host = startHost()
    setActiveGpuHost(host.client)
    const model = buildUNet3d(OPTIONS)
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.01, momentum: 0 })
    const opened = await openStepper(stepModel(model), optimizer.optimizer, 2)
    expect(opened.workers).toBe(1)
    expect(opened.fallback).toBeNull()
    // The host holds the model now: a step with the wrong key is refused by name.
    const refused = await ask(host.clientPort, { kind: 'predict', id: 99, key: 42, input: new Float32Array(EDGE ** 3), shape: [1, EDGE, EDGE, EDGE, 1], mirrorAxes: [] })
    expect(refused).toMatchObject({ kind: 'failed', id: 99, code: 'INVALID_ARGUMENT', message: 'model 42 is not loaded here (model 1 is)' })
    await opened.stepper.dispose()
    optimizer.dispose()
    model.dispose()
  })

  it("a GPU error during a step fails it with GPU_ERROR, Dawn's wording, the step and what to do next", async () => {
    const host = startHost()
    const model = buildUNet3d(OPTIONS)
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.01, momentum: 0 })
    const target = stepModel(model)
    const stepper = await remoteStepper(host.client, target, optimizer.optimizer)
    const before = target.variables.map((v) => Float32Array.from(v.dataSync()))
    host.gpuErrors.push('Out of memory\n - While calling [Device].CreateBuffer')
    const failure = await stepper.step(batchOf(2, 1, 11)).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(VoxloopError)
    expect((failure as VoxloopError).code).toBe('GPU_ERROR')
    expect((failure as VoxloopError).message).toBe('the GPU reported an error at step 12: Out of memory; the run can resume from its last checkpoint on another backend (--backend wasm)')
    expect((failure as VoxloopError).details).toEqual({ gpuErrors: ['Out of memory\n - While calling [Device].CreateBuffer'] })
    // Nothing of the failed step was applied; the next one runs.
    expect(worstDifference(target.variables.map((v) => Float32Array.from(v.dataSync())), before)).toBe(0)
    await expect(stepper.step(batchOf(2, 2, 12))).resolves.toBeGreaterThan(0)
    optimizer.dispose()
    model.dispose()
  })

  it('a host that goes away fails the waiting step, and every later request, with GPU_ERROR', async () => {
    const host = startHost()
    const model = buildUNet3d(OPTIONS)
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.01, momentum: 0 })
    const stepper = await remoteStepper(host.client, stepModel(model), optimizer.optimizer)
    const waiting = stepper.step(batchOf(2, 1, 4))
    host.hostPort.close()
    await expect(waiting).rejects.toThrow(/^the GPU window closed at step 5; the run can resume from its last checkpoint on another backend/)
    expect(host.client.open).toBe(false)
    await expect(stepper.step(batchOf(2, 1, 5))).rejects.toMatchObject({ code: 'GPU_ERROR' })
    optimizer.dispose()
    model.dispose()
  })
})

describe('prediction tiles through the GPU host', () => {
  it('the sliding window gives the same probabilities with the host as on the engine thread, with and without mirror passes', async () => {
    const host = startHost()
    setActiveGpuHost(host.client)
    const model = buildUNet3d(OPTIONS)
    const random = createRandom(3)
    const shape: [number, number, number] = [12, 10, 9]
    const image = { image: Float32Array.from({ length: 12 * 10 * 9 }, () => random.next() - 0.5), shape, channels: 1 }
    const plain: PatchPredictor = (x) => model.predict(x) as tf.Tensor5D
    for (const mirrors of [[], [[], [1], [3]]]) {
      const predictor = mirrors.length ? withFlipTta(plain, mirrors) : plain
      const local = await slidingWindowPredict(image, predictor, 3, { patchShape: [EDGE, EDGE, EDGE], batchSize: 2 })
      const remote = await slidingWindowPredict(image, predictor, 3, { patchShape: [EDGE, EDGE, EDGE], batchSize: 2, remote: await remoteTilePredictor(model, 3, mirrors) })
      let worst = 0
      local.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - (remote[i] as number)))))
      expect(worst).toBeLessThan(1e-6)
    }
    expect(activeGpuHost()).toBe(host.client)
    model.dispose()
  })

  it('without an active host there is no remote predictor: the engine computes', async () => {
    const model = buildUNet3d(OPTIONS)
    await expect(remoteTilePredictor(model, 3, [])).resolves.toBeNull()
    model.dispose()
  })

  it("a model loaded for training (without weights) is refused for prediction", async () => {
    const host = startHost()
    const model = buildUNet3d(OPTIONS)
    const key = await host.client.load(model, 3, DEFAULT_LOSS, false, { at: 'at load', then: 'retry' })
    await expect(host.client.predict(key, new Float32Array(EDGE ** 3), [1, EDGE, EDGE, EDGE, 1], [], { at: 'at tile batch 1 of 1', then: 'retry' })).rejects.toThrow(
      `the GPU window failed at tile batch 1 of 1: model ${key} was loaded without weights (for training), not to predict`
    )
    model.dispose()
  })
})

describe('what the host refuses, and goes on serving', () => {
  it('answers a malformed request with INVALID_ARGUMENT under its id, and the next request as usual', async () => {
    const host = startHost()
    expect(await ask(host.clientPort, { kind: 'step', id: 7, key: 1 })).toMatchObject({ kind: 'failed', id: 7, code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^malformed request: weights: /) as string })
    expect(await ask(host.clientPort, 'not a request')).toMatchObject({ kind: 'failed', id: 0, code: 'INVALID_ARGUMENT' })
    expect(await ask(host.clientPort, { kind: 'predict', id: 8, key: 1, input: [1, 2], shape: [1, 1, 1, 2, 1], mirrorAxes: [] })).toMatchObject({
      kind: 'failed',
      id: 8,
      message: 'malformed request: input: expected a Float32Array'
    })
    expect(await ask(host.clientPort, { kind: 'probe', id: 9 })).toEqual({ kind: 'probed', id: 9, adapter: { name: 'Test GPU', vendor: 'test', architecture: 'cpu', software: true, maxBufferBytes: 2 ** 30 }, reason: 'found Test GPU' })
  })

  it('refuses weights of the wrong count or size, and arrays that do not fit the shape, naming them', async () => {
    const host = startHost()
    const model = buildUNet3d(OPTIONS)
    const topology = JSON.stringify(model.toJSON(null, false))
    const weights = model.weights.map((w) => Float32Array.from(w.read().dataSync()))
    const load = { kind: 'load', key: 3, modelTopology: topology, numClasses: 3, loss: DEFAULT_LOSS }
    expect(await ask(host.clientPort, { ...load, id: 1, weights: weights.slice(1) })).toMatchObject({ code: 'INVALID_ARGUMENT', message: `weights: ${weights.length - 1} arrays for a model with ${weights.length}` })
    const short = weights.map((w, i) => (i === 2 ? w.subarray(1) : w))
    expect(await ask(host.clientPort, { ...load, id: 2, weights: short })).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^weights: array 2 \(.+\) has \d+ values, the model's has \d+$/) as string })
    expect(await ask(host.clientPort, { ...load, id: 3, numClasses: 4, weights })).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'the model has 3 output classes, the request says 4' })
    expect(await ask(host.clientPort, { ...load, id: 4, weights })).toEqual({ kind: 'loaded', id: 4, key: 3 })
    const trainable = model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()))
    const batch = batchOf(2, 1)
    expect(await ask(host.clientPort, { kind: 'step', id: 5, key: 3, weights: trainable, image: batch.image.subarray(1), labels: batch.label, shape: batch.shape })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `the image has ${batch.image.length - 1} values for shape [2, 8, 8, 8, 1]`
    })
    expect(await ask(host.clientPort, { kind: 'step', id: 6, key: 3, weights: trainable, image: batch.image, labels: batch.label.subarray(2), shape: batch.shape })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `the labels have ${batch.label.length - 2} values for shape [2, 8, 8, 8, 1]`
    })
    expect(await ask(host.clientPort, { kind: 'step', id: 7, key: 3, weights: trainable, image: batch.image, labels: batch.label, shape: batch.shape })).toMatchObject({ kind: 'stepped', id: 7 })
    model.dispose()
  })

  it('the client refuses a reply it cannot read: the waiting call fails and the host counts as gone', async () => {
    const host = startHost()
    const probing = host.client.probe(5_000)
    // The host's own answer is already on its way; a forged one first.
    host.hostPort.postMessage({ kind: 'probed', id: 1, adapter: 'a GPU', reason: 'forged' })
    await expect(probing).rejects.toThrow(/^the GPU window sent a malformed reply/)
    expect(host.client.open).toBe(false)
  })
})
