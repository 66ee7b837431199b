import { readFile } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { VoxloopError } from '../../../shared/errors'
import type { Dcm2niixJob, Dcm2niixProgress, Dcm2niixResult } from './dcm2niixCore'
import type { Dcm2niixFiles } from './dcm2niixPackage'
import { dcm2niixWorkerEntry } from './dcm2niixWorkerEntry'
import { DCM2NIIX_WORKER_ROLE, type Dcm2niixJobMessage, type Dcm2niixWorkerData, type Dcm2niixWorkerMessage } from './dcm2niixWorkerProtocol'
import { webAssembly, type WasmModule } from '../../../shared/webAssemblyApi'

export interface RunDcm2niixOptions {
  /** Stops the conversion (the worker is terminated): rejects with CANCELLED. */
  signal?: AbortSignal
  onProgress?: (progress: Dcm2niixProgress) => void
}

/**
 * The converter compiled once per process (asynchronously, off this thread) and shared by every
 * worker: a fresh compile per run would repeat V8's compiling and optimising (measured here: 20 JPEG
 * 2000 CT slices 2.2–2.9 s with a fresh compile, about 1.0 s from the second run on with the shared
 * module). Holds a few megabytes of machine code for the life of the process.
 */
let compiledConverter: { wasm: string; module: Promise<WasmModule> } | null = null

function compiledModule(wasm: string): Promise<WasmModule> {
  if (compiledConverter?.wasm !== wasm) {
    const module = readFile(wasm).then((bytes) => webAssembly.compile(bytes))
    // A failed compile is not kept: the next conversion tries again (and reports its own failure).
    module.catch(() => {
      if (compiledConverter?.module === module) compiledConverter = null
    })
    compiledConverter = { wasm, module }
  }
  return compiledConverter.module
}

/**
 * How long a spare converter worker waits for a job before it ends, unless keepDcm2niixWarm asked
 * for one at all times. Conversions come in runs (the series chooser lists a folder and then imports
 * it; a user imports folder after folder), and a worker that has run the converter once takes a
 * small series in about half the time of a new one (150 GE EPI files: 0.20 s against 0.37 s in the
 * dicom-import bench, docs/DICOM.md).
 */
export const DCM2NIIX_IDLE_MS = 30_000

/** The spare worker: started and warmed ahead of the next job. */
let spare: { worker: Worker; script: string; timer: NodeJS.Timeout | null; onExit: () => void; onMessage: (message: Dcm2niixWorkerMessage) => void; ready: Promise<boolean> } | null = null
/** Set by keepDcm2niixWarm: a spare always waits, and never times out. */
let keepWarm: Dcm2niixFiles | null = null

function spawnWorker(files: Dcm2niixFiles): Worker {
  const entry = dcm2niixWorkerEntry()
  const workerData: Dcm2niixWorkerData = { role: DCM2NIIX_WORKER_ROLE, files }
  return new Worker(entry.kind === 'file' ? entry.file : entry.code, { eval: entry.kind === 'eval', workerData })
}

/**
 * Starts a spare worker, warms it (a conversion of nothing) and keeps it for the next job. It never
 * keeps the process alive, and ends after DCM2NIIX_IDLE_MS unless keepDcm2niixWarm is in force.
 */
function startSpare(files: Dcm2niixFiles): void {
  if (spare) return
  const worker = spawnWorker(files)
  // The compiled module is awaited off this call: a spare is a hint, never a reason to fail or wait.
  void compiledModule(files.wasm).then(
    (compiled) => {
      const warm: Dcm2niixJobMessage = { kind: 'warm', job: { files, inputs: [], options: [], compiled } }
      worker.postMessage(warm)
    },
    () => undefined
  )
  const timer =
    keepWarm === null
      ? setTimeout(() => {
          if (spare?.worker === worker) spare = null
          void worker.terminate()
        }, DCM2NIIX_IDLE_MS)
      : null
  timer?.unref()
  // A spare that dies while it waits (it should not) is not handed out.
  const onExit = (): void => {
    if (spare?.worker !== worker) return
    if (timer) clearTimeout(timer)
    spare = null
  }
  let warmed: (ready: boolean) => void = () => undefined
  const ready = new Promise<boolean>((resolve) => {
    warmed = resolve
  })
  const onMessage = (message: Dcm2niixWorkerMessage): void => {
    if (message.kind === 'warmed') warmed(true)
  }
  worker.on('message', onMessage)
  worker.once('exit', () => warmed(false))
  worker.once('exit', onExit)
  // Last: a 'message' listener added after unref() refs the worker's port again.
  worker.unref()
  spare = { worker, script: files.script, timer, onExit, onMessage, ready }
}

function takeWorker(files: Dcm2niixFiles): Worker {
  const waiting = spare
  if (waiting && waiting.script === files.script) {
    spare = null
    if (waiting.timer) clearTimeout(waiting.timer)
    waiting.worker.off('exit', waiting.onExit)
    waiting.worker.off('message', waiting.onMessage)
    waiting.worker.ref()
    return waiting.worker
  }
  return spawnWorker(files)
}

/** The thread id of the spare worker, or null: for tests and diagnostics. */
export function spareDcm2niixWorker(): number | null {
  return spare?.worker.threadId ?? null
}

/** Resolves true once the spare worker has warmed up, false when there is none or it ended first. */
export function spareDcm2niixReady(): Promise<boolean> {
  return spare?.ready ?? Promise.resolve(false)
}

/** Ends the spare worker now, if any, and stops keeping one (the next conversion starts a new worker). */
export async function endSpareDcm2niixWorker(): Promise<void> {
  keepWarm = null
  const waiting = spare
  if (!waiting) return
  spare = null
  if (waiting.timer) clearTimeout(waiting.timer)
  await waiting.worker.terminate()
}

/**
 * Starts a spare worker and compiles the converter ahead of a conversion that is likely to follow (a
 * folder about to be searched for DICOM files): both then overlap the search.
 */
export function prewarmDcm2niix(files: Dcm2niixFiles): void {
  void compiledModule(files.wasm).catch(() => undefined)
  startSpare(files)
}

/**
 * For a process that lives on (the desktop app, `voxloop serve`): a warmed spare worker waits at all
 * times, so that an import never pays for starting the converter. It costs one idle thread (its
 * heap is a fresh worker's: every job's worker ends with its job, and a new spare replaces it).
 */
export function keepDcm2niixWarm(files: Dcm2niixFiles): void {
  keepWarm = files
  if (spare?.timer) {
    clearTimeout(spare.timer)
    spare.timer = null
  }
  prewarmDcm2niix(files)
}

/**
 * Runs one dcm2niix conversion in a worker thread (house rule: compute never runs on a thread that
 * owns UI or IPC), the spare one when it waits, and resolves with what it wrote and printed. The
 * worker ends with its job, so the converter's memory (inputs, outputs, wasm heap) is released as a
 * whole; a new spare is started in its place when the process keeps one (keepDcm2niixWarm) or the
 * job succeeded (another may follow: the chooser's import after its list).
 */
export async function runDcm2niix(job: Dcm2niixJob, options: RunDcm2niixOptions = {}): Promise<Dcm2niixResult> {
  if (options.signal?.aborted) throw cancelled(job)
  const compiled = job.compiled ?? (await compiledModule(job.files.wasm))
  return runInWorker({ ...job, compiled }, options)
}

function runInWorker(job: Dcm2niixJob, options: RunDcm2niixOptions): Promise<Dcm2niixResult> {
  const { signal, onProgress } = options
  if (signal?.aborted) return Promise.reject(cancelled(job))
  const worker = takeWorker(job.files)
  return new Promise<Dcm2niixResult>((resolve, reject) => {
    let settled = false
    const finish = (succeeded: boolean, outcome: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      outcome()
      void worker.terminate()
      if (succeeded || keepWarm !== null) startSpare(keepWarm ?? job.files)
    }
    const onAbort = (): void => finish(false, () => reject(cancelled(job)))
    const onMessage = (message: Dcm2niixWorkerMessage): void => {
      if (message.kind === 'progress') onProgress?.(message.progress)
      else if (message.kind === 'done') finish(true, () => resolve(message.result))
      else if (message.kind === 'failed') finish(false, () => reject(new VoxloopError('INTERNAL', `the DICOM converter (dcm2niix) failed: ${message.message}`)))
      // 'warmed': a spare taken before its warm-up ended says so; the job queued behind it.
    }
    const onError = (error: Error): void => finish(false, () => reject(new VoxloopError('INTERNAL', `the DICOM converter (dcm2niix) failed: ${error.message}`, { cause: error })))
    const onExit = (code: number): void => finish(false, () => reject(new VoxloopError('INTERNAL', `the DICOM converter (dcm2niix) stopped (exit ${code}) before it finished`)))
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    const message: Dcm2niixJobMessage = { kind: 'job', job }
    worker.postMessage(message)
  })
}

function cancelled(job: Dcm2niixJob): VoxloopError {
  return new VoxloopError('CANCELLED', `conversion of ${job.inputs.length} DICOM file(s) cancelled`)
}
