/**
 * A gradient worker of data-parallel training (a worker thread of the engine process). It owns a
 * wasm backend with the project's kernels and a replica of the model; per step it takes the
 * current weights and its shard of the batch and returns its share of the batch gradient
 * (shardedLoss.ts), exchanging loss statistics with the other workers through the barrier.
 *
 * Entry point of its own bundle (out/main/gradientWorker.js); from source it runs under tsx
 * (gradientWorkerEntry.ts).
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { firstLineOf } from '../../../shared/errors'
import { activateBackend } from '../../backends/activateBackend'
// The custom layers (InstanceNormalization, UpSampling3D, …) register themselves on import.
import '../../model/layers'
import { outputsOf, supervisionTargets, supervisionWeights } from '../deepSupervision'
import { oneHotLabels } from '../losses'
import { lossFromStatistics, packStatistics, readShardStatistics, shardStatisticTensors, shardSurrogateLoss, statisticsLength, sumPackedStatistics, type ShardStatistics } from '../shardedLoss'
import { predictionModel } from '../../model/predictionModel'
import { arriveAndWait, failBarrier, GRADIENT_WORKER_ROLE, type GradientWorkerData, type GradientWorkerMessage, type GradientWorkerRequest, type PredictRequest, type StepRequest } from './gradientWorkerProtocol'

interface Replica {
  variables: tf.Variable[]
  model: tf.LayersModel
}

function assignWeights(variables: readonly tf.Variable[], weights: readonly Float32Array[]): void {
  tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(weights[i] as Float32Array, v.shape))))
}

/** The replica's full-resolution output for the tiles, as the engine thread's predictionModel gives it. */
async function runPredict(replica: Replica, request: PredictRequest): Promise<Float32Array> {
  if (request.weights) assignWeights(replica.variables, request.weights)
  const output = tf.tidy(() => predictionModel(replica.model).predict(tf.tensor5d(request.image, request.shape)) as tf.Tensor)
  try {
    // Copied (slice) so that its buffer can be transferred.
    return ((await output.data()) as Float32Array).slice()
  } finally {
    output.dispose()
  }
}

async function runStep(data: GradientWorkerData, replica: Replica, request: StepRequest): Promise<{ loss: number; gradients: Float32Array[] }> {
  const { variables, model } = replica
  assignWeights(variables, request.weights)
  const [b, d, h, w] = request.shape
  const length = statisticsLength(data.numClasses)
  const statistics = new Float64Array(data.statistics)
  let totals: ShardStatistics[] = []
  let weights: number[] = []
  const gradientTensors = tf.tidy(() => {
    const x = tf.tensor5d(request.image, request.shape)
    const y = oneHotLabels(request.labels, [b, d, h, w], data.numClasses)
    const { grads } = tf.variableGrads(() => {
      const outputs = outputsOf(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[])
      const targets = supervisionTargets(y, request.labels, outputs)
      weights = supervisionWeights(outputs.map((output) => output.shape))
      // Output-major records: output o's shards are records o·workers … o·workers + shards − 1.
      // Read synchronously (readShardStatistics): the exchange happens inside the gradient tape.
      const tensors = outputs.map((output, o) => {
        const stats = shardStatisticTensors(targets[o] as tf.Tensor, output, { loss: data.loss })
        packStatistics(readShardStatistics(stats, output.size / data.numClasses), statistics, (o * data.workers + data.index) * length)
        return stats
      })
      arriveAndWait(data.control, request.shards)
      totals = outputs.map((_, o) => sumPackedStatistics(statistics.subarray(o * data.workers * length), data.numClasses, request.shards))
      return tf.addN(tensors.map((stats, o) => tf.mul(shardSurrogateLoss(stats, totals[o] as ShardStatistics, { loss: data.loss }), weights[o] as number))) as tf.Scalar
    }, variables)
    return variables.map((v) => grads[v.name] as tf.Tensor)
  })
  let gradients: Float32Array[]
  try {
    // Tensors leave the tidy, not typed arrays (tidy walks what it returns, typed arrays element by
    // element: 140 ms a step on the default U-Net); copied (slice) so that their buffers can be transferred.
    gradients = await Promise.all(gradientTensors.map(async (g) => ((await g.data()) as Float32Array).slice()))
  } finally {
    tf.dispose(gradientTensors)
  }
  return { loss: lossOf(totals, weights, data), gradients }
}

// `totals` is assigned inside the gradient closure, which TypeScript's flow analysis cannot see.
function lossOf(totals: readonly ShardStatistics[], weights: readonly number[], data: GradientWorkerData): number {
  if (totals.length === 0) throw new Error('the step ended before the statistics exchange')
  return totals.reduce((sum, total, o) => sum + (weights[o] as number) * lossFromStatistics(total, { loss: data.loss }), 0)
}

async function serve(data: GradientWorkerData, port: MessagePort): Promise<void> {
  const send = (message: GradientWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)
  let replica: Replica
  try {
    // The parent sets VOXLOOP_WASM_THREADS in this worker's environment.
    await activateBackend('wasm')
    const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(data.modelTopology) as tf.io.ModelJSON['modelTopology'] })
    replica = { model, variables: model.trainableWeights.map((weight) => weight.read() as tf.Variable) }
  } catch (error) {
    send({ kind: 'failed', message: `could not start: ${firstLineOf(error)}` })
    return
  }
  const answer = async (request: GradientWorkerRequest): Promise<void> => {
    try {
      if (request.kind === 'predict') {
        const probabilities = await runPredict(replica, request)
        send({ kind: 'predict', probabilities }, [probabilities.buffer as ArrayBuffer])
      } else {
        const { loss, gradients } = await runStep(data, replica, request)
        send({ kind: 'step', loss, gradients }, gradients.map((g) => g.buffer as ArrayBuffer))
      }
    } catch (error) {
      failBarrier(data.control)
      send({ kind: 'failed', message: firstLineOf(error) })
    }
  }
  // One request at a time: the engine thread sends the next one only after every worker replied.
  port.on('message', (request: GradientWorkerRequest) => void answer(request))
  send({ kind: 'ready' })
}

const data = workerData as Partial<GradientWorkerData> | null
if (!isMainThread && parentPort && data?.role === GRADIENT_WORKER_ROLE) void serve(data as GradientWorkerData, parentPort)
