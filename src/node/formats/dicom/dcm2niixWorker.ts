/**
 * The DICOM converter's worker thread: runs one dcm2niix conversion (dcm2niixCore.ts) off the
 * thread that owns the UI, IPC or HTTP, posts the copying progress, then the result with its
 * output bytes transferred (not copied), and ends.
 *
 * Entry point of its own bundle (out/main/dcm2niixWorker.js); from source it runs under tsx
 * (dcm2niixWorkerEntry.ts).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { runDcm2niixHere } from './dcm2niixCore'
import { DCM2NIIX_WORKER_ROLE, type Dcm2niixWorkerData, type Dcm2niixWorkerMessage } from './dcm2niixWorkerProtocol'

function isWorkerData(data: unknown): data is Dcm2niixWorkerData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === DCM2NIIX_WORKER_ROLE
}

async function main(): Promise<void> {
  const port = parentPort
  if (isMainThread || !port || !isWorkerData(workerData)) throw new Error('dcm2niixWorker runs only as the DICOM converter worker thread')
  const post = (message: Dcm2niixWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)
  try {
    const result = await runDcm2niixHere(workerData.job, (progress) => post({ kind: 'progress', progress }))
    post(
      { kind: 'done', result },
      result.outputs.map((output) => output.bytes.buffer as ArrayBuffer)
    )
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
  }
}

void main()
