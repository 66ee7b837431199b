/**
 * The grow-from-seeds worker for the bench, as a Node worker thread: the same handler grow.worker.ts
 * runs in the renderer (protocol.ts), the same messages, buffers transferred as postMessage does.
 * Started by bench/viewerTools.ts with tsx loaded (`execArgv: ['--import', 'tsx']`).
 */
import { parentPort } from 'node:worker_threads'
import { createGrowWorkerHandler, type GrowMessage } from '../src/renderer/src/tools/growFromSeeds/protocol'

const port = parentPort
if (!port) throw new Error('bench/growWorkerThread.ts runs as a worker thread (see bench/viewerTools.ts)')
const handle = createGrowWorkerHandler()
port.on('message', (message: GrowMessage) => {
  const { reply, transfer } = handle(message)
  port.postMessage(reply, transfer)
})
