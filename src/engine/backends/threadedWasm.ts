import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { webAssembly, type WasmImports, type WasmInstance, type WasmModule } from '../../shared/webAssemblyApi'

/**
 * tfjs-backend-wasm ships a threaded SIMD build (Emscripten pthreads on worker_threads) but never
 * uses it under Node: its WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false there (tfjs issue
 * 3830), its loader hands the pthread workers a Blob URL that Node's Worker cannot open, and its C
 * side caps the thread pool at half of `emscripten_num_logical_cores()` (one thread on two cores).
 * This module loads that build itself: the worker script is written to a private temp directory,
 * the core count the pool is sized from is the one asked for, and the result is registered as the
 * 'wasm' backend, so every wasm kernel (stock and ours) runs on it unchanged. XNNPACK then splits
 * each matmul (the bulk of the Conv3D kernels) across the threads. See docs/KERNELS.md.
 */

const requireAtRuntime = createRequire(import.meta.url)

const BUILD = 'tfjs-backend-wasm-threaded-simd'
/** The C side caps its pool here (tfjs-backend-wasm backend.cc `max_num_threads`). */
export const MAX_WASM_THREADS = 8

interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number
}

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend
  setThreadsCount(count: number): void
  getThreadsCount(): number
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>

export interface ThreadedWasm {
  /** Threads in the XNNPACK pool, as the loaded module reports it. */
  threads: number
}

/** Threads the engine asks for: all cores (at most MAX_WASM_THREADS), or VOXLOOP_WASM_THREADS. */
export function wantedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VOXLOOP_WASM_THREADS
  const cores = os.cpus().length
  const asked = raw === undefined || raw === '' ? cores : Number(raw)
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`VOXLOOP_WASM_THREADS must be a whole number ≥ 1, got "${raw}"`)
  return Math.min(asked, MAX_WASM_THREADS)
}

/** The Emscripten worker script as a file Node's Worker can run (the package keeps it as a JS string). */
function writeWorkerScript(dir: string): string {
  const { wasmWorkerContents } = requireAtRuntime(`@tensorflow/tfjs-backend-wasm/wasm-out/${BUILD}.worker.js`) as { wasmWorkerContents: string }
  // The string holds "\n" escapes that a template literal turned into real newlines inside JS
  // string literals; tfjs's own loader escapes them back the same way before making its Blob.
  const file = path.join(dir, `${BUILD}.worker.js`)
  fs.writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'), { mode: 0o600 })
  return file
}

async function loadThreadedModule(threads: number): Promise<EmscriptenModule> {
  const mainScript = requireAtRuntime.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${BUILD}.js`)
  const outDir = path.dirname(mainScript)
  const factory = requireAtRuntime(mainScript) as ModuleFactory
  const compiled = await webAssembly.compile(fs.readFileSync(path.join(outDir, `${BUILD}.wasm`)))
  // mkdtemp: a fresh directory only this user can write, so nobody can plant the script we run.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'voxloop-wasm-'))
  try {
    const workerScript = writeWorkerScript(scratch)
    return await factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? workerScript : path.join(outDir, file)),
      // The pthread workers evaluate the main script by path (fs.readFileSync) before they start.
      mainScriptUrlOrBlob: mainScript,
      instantiateWasm(imports: WasmImports, receive: (instance: WasmInstance, module: WasmModule) => void) {
        // backend.cc sizes its pool from half of this at static-init time; report twice the wanted threads.
        const env = imports.env ?? {}
        env.emscripten_num_logical_cores = () => 2 * threads
        // Synchronous, so that a failure rejects this factory call instead of escaping unhandled.
        const instance = new webAssembly.Instance(compiled, { ...imports, env })
        receive(instance, compiled)
        return instance.exports
      }
    })
  } finally {
    // The module resolves only after every pooled worker has loaded both scripts.
    fs.rmSync(scratch, { recursive: true, force: true })
  }
}

let installed: Promise<ThreadedWasm> | null = null

/**
 * Replaces the 'wasm' backend's factory with one on the threaded build. Call before the backend is
 * first initialised (a backend already initialised is removed and re-created on the next
 * setBackend). Idempotent: later calls return the first result, whatever `threads` they ask.
 */
export function installThreadedWasm(threads: number): Promise<ThreadedWasm> {
  installed ??= (async () => {
    const wasm = requireAtRuntime('@tensorflow/tfjs-backend-wasm') as WasmPackage
    const module = await loadThreadedModule(threads)
    Object.assign(module, {
      tfjs: {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, [])
      }
    })
    wasm.setThreadsCount(threads)
    if (tf.findBackend('wasm') || tf.findBackendFactory('wasm')) tf.removeBackend('wasm')
    tf.registerBackend('wasm', () => new wasm.BackendWasm(module), 2)
    // Initialise now so that the thread count is known (BackendWasm creates the pool).
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm module loaded but the backend did not initialise')
    return { threads: wasm.getThreadsCount() }
  })()
  return installed
}
