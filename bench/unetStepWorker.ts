/**
 * Worker of bench/benches/unet-reference.bench.ts: one engine worker of a data-parallel training
 * step. Its own wasm backend with the project's kernels (Conv3D, reductions), a replica of the reference U-Net;
 * per request it takes the current weights and its share of the batch, and returns its gradients
 * (softmax cross-entropy on the logits, as the PyTorch twin) and the time it computed.
 *
 * Loaded by `new Worker(code, { eval: true })` with tsx's CommonJS hook (see startUNetStepWorker).
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerConv3dKernels, registerReductionKernels } from '../src/engine/kernels'
import { buildReferenceUNet } from '../src/engine/model'
import { crossEntropyLoss } from '../src/engine/train/losses'

const requireHere = createRequire(__filename)
const ROLE = 'voxloop-unet-step-worker'

export interface GradRequest {
  kind: 'grad'
  /** Trainable weights in model.trainableWeights order. */
  weights: Float32Array[]
  /** [batch, D, H, W, 1] NDHWC image. */
  image: Float32Array
  /** Class index per voxel, batch × D × H × W. */
  labels: Int32Array
  shape: [number, number, number, number, number]
}

export interface GradReply {
  kind: 'grad'
  loss: number
  gradients: Float32Array[]
  /** Time inside the worker: setting weights, forward, backward, reading the gradients. */
  ms: number
}

interface ReadyReply {
  kind: 'ready'
}

/** The logits model of the reference U-Net (same variables as the softmax model). */
export function referenceLogitsModel(seed: number): { model: tf.LayersModel; logits: tf.LayersModel } {
  const model = buildReferenceUNet({ seed })
  const logits = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').output as tf.SymbolicTensor })
  return { model, logits }
}

/** Gradients of the mean softmax cross-entropy over the batch, in `variables` order. */
export function gradientsOf(logits: tf.LayersModel, variables: tf.Variable[], x: tf.Tensor, yOneHot: tf.Tensor): { loss: number; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(
    () => crossEntropyLoss(yOneHot, logits.apply(x, { training: true }) as tf.Tensor, { predictions: 'logits' }),
    variables
  )
  const loss = value.dataSync()[0] as number
  value.dispose()
  return { loss, grads: variables.map((v) => grads[v.name] as tf.Tensor) }
}

async function runWorker(seed: number): Promise<void> {
  const port = parentPort
  if (!port) return
  setWasmPaths(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  if (!(await tf.setBackend('wasm'))) throw new Error('worker: wasm backend failed to initialise')
  await tf.ready()
  registerConv3dKernels('wasm')
  registerReductionKernels('wasm')
  const { logits } = referenceLogitsModel(seed)
  const variables = logits.trainableWeights.map((w) => w.read() as tf.Variable)
  port.on('message', (request: GradRequest) => {
    const start = performance.now()
    tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(request.weights[i] as Float32Array, v.shape))))
    const [b, d, h, w] = request.shape
    const result = tf.tidy(() => {
      const x = tf.tensor5d(request.image, request.shape)
      const y = tf.oneHot(tf.tensor4d(request.labels, [b, d, h, w], 'int32'), 2)
      const { loss, grads } = gradientsOf(logits, variables, x, y)
      return { loss, gradients: grads.map((g) => g.dataSync() as Float32Array) }
    })
    const reply: GradReply = { kind: 'grad', loss: result.loss, gradients: result.gradients, ms: performance.now() - start }
    port.postMessage(reply, result.gradients.map((g) => g.buffer as ArrayBuffer))
  })
  port.postMessage({ kind: 'ready' } satisfies ReadyReply)
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === ROLE) {
  void runWorker((workerData as { seed: number }).seed)
}

/** A worker thread running this file under tsx; resolves once its backend and model are ready. */
export class UNetStepWorker {
  private readonly worker: Worker
  private pending: { resolve: (reply: GradReply) => void; reject: (error: unknown) => void } | null = null
  readonly ready: Promise<void>

  constructor(seed: number) {
    // Workers do not inherit tsx's hooks; its CommonJS hook lets the worker load this .ts file.
    const code = `require(${JSON.stringify(requireHere.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)})`
    this.worker = new Worker(code, { eval: true, workerData: { role: ROLE, seed } })
    let started = false
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('error', (error) => {
        if (!started) reject(error)
        const pending = this.pending
        this.pending = null
        pending?.reject(error)
      })
      this.worker.on('message', (reply: GradReply | ReadyReply) => {
        if (reply.kind === 'ready') {
          started = true
          resolve()
          return
        }
        const pending = this.pending
        this.pending = null
        pending?.resolve(reply)
      })
    })
  }

  /** The image and label buffers are transferred (unusable here afterwards); the weights are copied. */
  gradients(request: GradRequest): Promise<GradReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(request, [request.image.buffer as ArrayBuffer, request.labels.buffer as ArrayBuffer])
    })
  }

  terminate(): Promise<number> {
    return this.worker.terminate()
  }
}
