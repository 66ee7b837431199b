/**
 * The GPU host's side of gpuHostProtocol.ts: it holds one model at a time and answers the engine's
 * requests one after another, in the order they came. It knows nothing of where it runs: the desktop
 * app's hidden window gives it Chromium's WebGPU (window/main.ts), the tests give it the
 * cpu backend in Node. Free of Node.
 *
 * It never keeps the engine waiting without an answer: a request it cannot read, a model it does not
 * hold, arrays of the wrong size, an exception and a GPU error are each answered with 'failed', and
 * the next request is served as usual.
 */
import * as tf from '@tensorflow/tfjs'
import type { GpuAdapterSummary } from '../../shared/backends'
import { firstLineOf, VoxloopError } from '../../shared/errors'
import { withFlipTta } from '../infer/flipTta'
// The engine's custom layers (InstanceNormalization, UpSampling3D, …) register themselves on import.
import '../model/layers'
import { batchLossFunction, releaseAbandonedTape } from '../train/batchLoss'
import { type GPU_HOST_FAILURE_CODES, GpuHostRequestSchema, replyTransferables, type GpuHostReply, type GpuHostRequest } from './gpuHostProtocol'

export interface HostEndpoint {
  post(reply: GpuHostReply, transfer: ArrayBuffer[]): void
  onMessage(listener: (data: unknown) => void): void
}

/** Where the host computes. */
export interface GpuHostDevice {
  /** The adapter the host would compute on, or null and why there is none. */
  probe(): Promise<{ adapter: GpuAdapterSummary | null; reason: string }>
  /** Switches TensorFlow.js to the device's backend with the engine's kernels; called once, before the first model. */
  activate(): Promise<void>
  /** The GPU errors reported since the last call (and forgets them): a GPU error is an event, not an exception. */
  takeErrors(): string[]
}

interface HeldModel {
  key: number
  model: tf.LayersModel
  variables: tf.Variable[]
  numClasses: number
  loss: Extract<GpuHostRequest, { kind: 'load' }>['loss']
  /** Whether the weights were loaded (a model loaded for training gets them with each step). */
  weighted: boolean
}

type Handled = Exclude<GpuHostReply, { kind: 'failed' }>

class HostFailure extends Error {
  constructor(
    readonly code: (typeof GPU_HOST_FAILURE_CODES)[number],
    message: string,
    readonly details?: string[]
  ) {
    super(message)
  }
}

const elementsOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

function checkLengths(what: string, arrays: readonly Float32Array[], expected: readonly tf.Variable[] | readonly tf.LayerVariable[]): void {
  if (arrays.length !== expected.length) throw new HostFailure('INVALID_ARGUMENT', `${what}: ${arrays.length} arrays for a model with ${expected.length}`)
  arrays.forEach((array, i) => {
    const variable = expected[i] as tf.Variable | tf.LayerVariable
    const size = elementsOf(variable.shape as number[])
    if (array.length !== size) throw new HostFailure('INVALID_ARGUMENT', `${what}: array ${i} (${variable.name}) has ${array.length} values, the model's has ${size}`)
  })
}

export function serveGpuHost(endpoint: HostEndpoint, device: GpuHostDevice): void {
  let held: HeldModel | null = null
  let activated: Promise<void> | null = null
  let queue: Promise<void> = Promise.resolve()

  const activate = (): Promise<void> => {
    activated ??= device.activate()
    return activated
  }

  const modelFor = (key: number): HeldModel => {
    if (held?.key !== key) throw new HostFailure('INVALID_ARGUMENT', `model ${key} is not loaded here (${held ? `model ${held.key} is` : 'none is'})`)
    return held
  }

  async function load(request: Extract<GpuHostRequest, { kind: 'load' }>): Promise<Handled> {
    await activate()
    if (held) {
      held.model.dispose()
      held = null
    }
    const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(request.modelTopology) as tf.io.ModelJSON['modelTopology'] })
    try {
      const output = model.outputs[0]?.shape
      const classes = output?.[output.length - 1]
      if (classes !== request.numClasses) throw new HostFailure('INVALID_ARGUMENT', `the model has ${String(classes)} output classes, the request says ${request.numClasses}`)
      if (request.weights) {
        const weights = request.weights
        checkLengths('weights', weights, model.weights)
        tf.tidy(() => model.setWeights(weights.map((w, i) => tf.tensor(w, (model.weights[i] as tf.LayerVariable).shape as number[]))))
      }
    } catch (error) {
      model.dispose()
      throw error
    }
    held = { key: request.key, model, variables: model.trainableWeights.map((w) => w.read() as tf.Variable), numClasses: request.numClasses, loss: request.loss, weighted: request.weights !== null }
    return { kind: 'loaded', id: request.id, key: request.key }
  }

  async function step(request: Extract<GpuHostRequest, { kind: 'step' }>): Promise<Handled> {
    const target = modelFor(request.key)
    const [b, d, h, w, c] = request.shape
    checkLengths('weights', request.weights, target.variables)
    if (request.image.length !== b * d * h * w * c) throw new HostFailure('INVALID_ARGUMENT', `the image has ${request.image.length} values for shape [${request.shape.join(', ')}]`)
    if (request.labels.length !== b * d * h * w) throw new HostFailure('INVALID_ARGUMENT', `the labels have ${request.labels.length} values for shape [${request.shape.join(', ')}]`)
    tf.tidy(() => target.variables.forEach((v, i) => v.assign(tf.tensor(request.weights[i] as Float32Array, v.shape))))
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap }
    try {
      result = tf.tidy(() => tf.variableGrads(batchLossFunction(target.model, target.numClasses, { image: request.image, label: request.labels, shape: request.shape }, target.loss), target.variables))
    } catch (error) {
      releaseAbandonedTape()
      throw error
    }
    const gradients = target.variables.map((v) => result.grads[v.name] as tf.Tensor)
    try {
      const loss = (await result.value.data())[0] as number
      // Copies that own their buffers, so the reply can transfer them.
      const arrays = await Promise.all(gradients.map(async (g) => ((await g.data()) as Float32Array).slice()))
      return { kind: 'stepped', id: request.id, loss, gradients: arrays }
    } finally {
      tf.dispose([result.value, ...gradients])
    }
  }

  async function predict(request: Extract<GpuHostRequest, { kind: 'predict' }>): Promise<Handled> {
    const target = modelFor(request.key)
    if (!target.weighted) throw new HostFailure('INVALID_ARGUMENT', `model ${request.key} was loaded without weights (for training), not to predict`)
    const [b, d, h, w, c] = request.shape
    if (request.input.length !== b * d * h * w * c) throw new HostFailure('INVALID_ARGUMENT', `the input has ${request.input.length} values for shape [${request.shape.join(', ')}]`)
    const output = tf.tidy(() => {
      const plain = (x: tf.Tensor5D): tf.Tensor5D => target.model.predict(x) as tf.Tensor5D
      const predictor = request.mirrorAxes.length ? withFlipTta(plain, request.mirrorAxes) : plain
      return predictor(tf.tensor5d(request.input, [b, d, h, w, c]))
    })
    try {
      const expected = [b, d, h, w, target.numClasses]
      if (output.shape.join() !== expected.join()) throw new HostFailure('ENGINE_FAILED', `the model returned shape [${output.shape.join(', ')}], expected [${expected.join(', ')}]`)
      return { kind: 'predicted', id: request.id, probabilities: ((await output.data()) as Float32Array).slice() }
    } finally {
      output.dispose()
    }
  }

  async function handle(request: GpuHostRequest): Promise<Handled> {
    switch (request.kind) {
      case 'probe': {
        const { adapter, reason } = await device.probe()
        return { kind: 'probed', id: request.id, adapter, reason }
      }
      case 'load':
        return load(request)
      case 'step':
        return step(request)
      case 'predict':
        return predict(request)
    }
  }

  async function serveOne(data: unknown): Promise<void> {
    const parsed = GpuHostRequestSchema.safeParse(data)
    if (!parsed.success) {
      const id = typeof data === 'object' && data !== null && Number.isInteger((data as { id?: unknown }).id) ? Math.max(0, (data as { id: number }).id) : 0
      const issue = parsed.error.issues[0]
      endpoint.post({ kind: 'failed', id, code: 'INVALID_ARGUMENT', message: `malformed request: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'unreadable'}` }, [])
      return
    }
    const request = parsed.data
    // GPU errors reported during the work (or before it) fail it, whatever it returned or threw.
    const gpuFailed = (): GpuHostReply | null => {
      const errors = device.takeErrors()
      return errors.length ? { kind: 'failed', id: request.id, code: 'GPU_ERROR', message: (errors[0] as string).trim().split('\n')[0] as string, details: errors } : null
    }
    let reply: GpuHostReply
    try {
      reply = await handle(request)
      // Read back first: by then the GPU has validated everything the work submitted.
      reply = gpuFailed() ?? reply
    } catch (error) {
      const failed = gpuFailed()
      if (failed) reply = failed
      else if (error instanceof HostFailure) reply = { kind: 'failed', id: request.id, code: error.code, message: error.message }
      else if (error instanceof VoxloopError && error.code === 'INVALID_ARGUMENT') reply = { kind: 'failed', id: request.id, code: 'INVALID_ARGUMENT', message: error.message }
      else reply = { kind: 'failed', id: request.id, code: 'ENGINE_FAILED', message: `${request.kind} failed in the GPU host: ${firstLineOf(error)}` }
    }
    endpoint.post(reply, replyTransferables(reply))
  }

  endpoint.onMessage((data) => {
    // Only posting can still throw here (a closed port): nobody is left to answer, so it is logged.
    queue = queue.then(() => serveOne(data)).catch((error: unknown) => console.error(`voxloop GPU host: could not answer: ${firstLineOf(error)}`))
  })
}
