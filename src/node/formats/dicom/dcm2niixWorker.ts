/**
 * The DICOM converter's worker thread: runs dcm2niix conversions (dcm2niixCore.ts) off the thread
 * that owns the UI, IPC or HTTP, one job at a time as they arrive, posting the copying progress, then
 * the result with its output bytes transferred (not copied). It loads the converter's JavaScript as
 * soon as it starts, and a spare worker started ahead of its job (runDcm2niix's prewarm) runs a
 * 'warm' conversion of nothing, so that the first real job finds that code run once already.
 *
 * Entry point of its own bundle (out/main/dcm2niixWorker.js); from source it runs under tsx
 * (dcm2niixWorkerEntry.ts).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { preloadDcm2niix, runDcm2niixHere } from './dcm2niixCore'
import { DCM2NIIX_WORKER_ROLE, type Dcm2niixJobMessage, type Dcm2niixWorkerData, type Dcm2niixWorkerMessage } from './dcm2niixWorkerProtocol'

function isWorkerData(data: unknown): data is Dcm2niixWorkerData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === DCM2NIIX_WORKER_ROLE
}

function isJob(message: unknown): message is Dcm2niixJobMessage {
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined
  return kind === 'job' || kind === 'warm'
}

const port = parentPort
if (isMainThread || !port || !isWorkerData(workerData)) throw new Error('dcm2niixWorker runs only as the DICOM converter worker thread')
const post = (message: Dcm2niixWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)
// A loader that fails to load fails the first job, with its message, rather than the thread's start.
try {
  preloadDcm2niix(workerData.files)
} catch {
  // Reported by the job that needs it.
}
let queue = Promise.resolve()
port.on('message', (message: unknown) => {
  if (!isJob(message)) return
  queue = queue.then(async () => {
    if (message.kind === 'warm') {
      // Nothing to report: a real job that follows fails on its own if the converter cannot run.
      await runDcm2niixHere(message.job).catch(() => undefined)
      post({ kind: 'warmed' })
      return
    }
    try {
      const result = await runDcm2niixHere(message.job, (progress) => post({ kind: 'progress', progress }))
      post(
        { kind: 'done', result },
        result.outputs.map((output) => output.bytes.buffer as ArrayBuffer)
      )
    } catch (error) {
      post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  })
})
