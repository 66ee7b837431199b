/**
 * The engine process: all TensorFlow.js work runs here, never on a thread that owns UI or IPC.
 * Started by main through src/main/engine (utilityProcess in the app, fork in serve mode and CLI).
 */
import { parseBackendPreference, type BackendReport } from '../shared/backends'
import type { EngineEvents, EngineMethod, EngineMethods, MainToEngine } from '../shared/engineProtocol'
import { serializeError, VoxloopError } from '../shared/errors'
import { activateBackend } from './backends/activateBackend'
import { connectToParent, type ParentPort } from './parentPort'
import { PredictionRunner } from './infer/PredictionRunner'
import { checkVersionOnnx, exportVersionOnnx } from './model/onnx/exportVersionOnnx'
import { TrainingRunner } from './train/TrainingRunner'

type Handlers = { [M in EngineMethod]: (...args: EngineMethods[M]['args']) => Promise<EngineMethods[M]['result']> }

function buildHandlers(backend: BackendReport, port: ParentPort): Handlers {
  const emit = <E extends keyof EngineEvents>(name: E, payload: EngineEvents[E]): void => port.send({ kind: 'event', name, payload })
  const training = new TrainingRunner(emit)
  const prediction = new PredictionRunner()
  return {
    'engine:backend': async () => backend,
    'engine:ping': async (value: number) => ({ echo: value }),
    'train:start': (request) => training.train(request),
    'train:cancel': async (runId) => training.cancel(runId),
    'model:evaluate': (request) => training.evaluate(request),
    'model:exportOnnx': (request) => exportVersionOnnx(request),
    'model:checkOnnx': (request) => checkVersionOnnx(request),
    'infer:predictCase': (request) => prediction.predict(request),
    'infer:cancel': async () => prediction.cancel(),
    'infer:release': async () => prediction.release()
  }
}

function serve(port: ParentPort, handlers: Handlers): void {
  port.onMessage((message: MainToEngine) => {
    if (message.kind !== 'call') return
    const handler = handlers[message.method] as ((...args: unknown[]) => Promise<unknown>) | undefined
    if (!handler) {
      port.send({ kind: 'result', id: message.id, ok: false, error: serializeError(new VoxloopError('UNKNOWN_CHANNEL', `Unknown engine method ${message.method}`)) })
      return
    }
    handler(...message.args).then(
      (value) => port.send({ kind: 'result', id: message.id, ok: true, value }),
      (error: unknown) => port.send({ kind: 'result', id: message.id, ok: false, error: serializeError(error) })
    )
  })
}

function readBackendArg(argv: readonly string[]): string | undefined {
  const arg = argv.find((a) => a.startsWith('--backend='))
  return arg?.slice('--backend='.length)
}

async function main(): Promise<void> {
  const port = connectToParent()
  try {
    const preference = parseBackendPreference(readBackendArg(process.argv))
    const backend = await activateBackend(preference)
    serve(port, buildHandlers(backend, port))
    port.send({ kind: 'ready', backend })
  } catch (error) {
    port.send({ kind: 'startFailed', error: serializeError(error) })
  }
}

void main()
