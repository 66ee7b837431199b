import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Dcm2niixFiles } from './dcm2niixPackage'
import { webAssembly, type WasmImports, type WasmInstance, type WasmModule } from '../../../shared/webAssemblyApi'

/**
 * One run of dcm2niix's WebAssembly build on the calling thread: the DICOM files are copied into
 * the module's in-memory file system as /in/<n> (n = their index in `job.files`, so every path
 * dcm2niix prints maps back to one input), dcm2niix runs on /in with the job's options and writes
 * into /out, and what it wrote comes back as bytes with everything it printed. No file on disk is
 * written. This blocks its thread for the whole conversion, so the app runs it in a worker thread
 * (dcm2niixWorker.ts); the packaging trace calls it directly to see which files it reads.
 */

export interface Dcm2niixJob {
  files: Dcm2niixFiles
  /** Absolute paths of the DICOM files to convert. */
  inputs: string[]
  /** dcm2niix options; `-o /out` and the input folder are added. */
  options: string[]
  /**
   * The wasm binary already compiled (runDcm2niix keeps one per process and hands it to each worker):
   * instances of one module share its machine code, including what V8 optimised during earlier
   * runs, so only the first conversion pays for compiling and warming up. Without it the binary is
   * read and compiled here.
   */
  compiled?: WasmModule
}

export interface Dcm2niixOutput {
  /** File name dcm2niix gave it in /out, e.g. `4.nii`, `4.json`, `4_e2.nii`. */
  name: string
  bytes: Uint8Array
}

export interface Dcm2niixResult {
  /** dcm2niix's exit status: 0 converted, 2 no DICOM found, others: some or all failed. */
  exitCode: number
  /** Everything it printed (stdout and stderr, in order), one line per entry. */
  log: string[]
  outputs: Dcm2niixOutput[]
}

/** The in-memory file system of an Emscripten module, as far as the runner uses it. */
interface EmscriptenFs {
  mkdir(path: string): void
  writeFile(path: string, data: Uint8Array, options?: { canOwn?: boolean }): void
  readFile(path: string): Uint8Array
  readdir(path: string): string[]
  unlink(path: string): void
}

interface Dcm2niixModule {
  FS: EmscriptenFs
  callMain(args: string[]): number
}

interface ModuleOptions {
  print(line: string): void
  printErr(line: string): void
  wasmBinary?: Uint8Array
  /** Emscripten's hook to instantiate the module itself; resolves with the instance's exports. */
  instantiateWasm?: (imports: WasmImports, receive: (instance: WasmInstance) => WasmInstance['exports']) => Promise<WasmInstance['exports']>
}

type ModuleFactory = (options: ModuleOptions) => Promise<Dcm2niixModule>

const requireAtRuntime = createRequire(import.meta.url)

/**
 * The loader is an ES module (Emscripten's EXPORT_ES6 output) in a package without "type": Node
 * loads it through require(esm), synchronously and without the warning a dynamic import of a
 * typeless package prints, and inside app.asar, where Electron's CommonJS loader reads files.
 */
function loadFactory(script: string): ModuleFactory {
  const loaded = requireAtRuntime(script) as { default?: unknown }
  if (typeof loaded.default !== 'function') throw new Error(`${script} does not export the dcm2niix module factory`)
  return loaded.default as ModuleFactory
}

export interface Dcm2niixProgress {
  /** Input files copied into the converter so far (the conversion itself reports nothing until done). */
  filesRead: number
  total: number
}

/** Loads the converter's JavaScript now (a worker started ahead of its job does this while waiting). */
export function preloadDcm2niix(files: Dcm2niixFiles): void {
  loadFactory(files.script)
}

export async function runDcm2niixHere(job: Dcm2niixJob, onProgress?: (progress: Dcm2niixProgress) => void): Promise<Dcm2niixResult> {
  const factory = loadFactory(job.files.script)
  const log: string[] = []
  const { compiled } = job
  const output = { print: (line: string) => log.push(line), printErr: (line: string) => log.push(line) }
  const module = await factory(
    compiled
      ? { ...output, instantiateWasm: async (imports, receive) => receive(await webAssembly.instantiate(compiled, imports)) }
      : // Handed over rather than found by the loader beside itself: one read, from the path this
        // module chose, which the packaging trace sees.
        { ...output, wasmBinary: readFileSync(job.files.wasm) }
  )
  const fs = module.FS
  fs.mkdir('/in')
  fs.mkdir('/out')
  job.inputs.forEach((file, index) => {
    // The module owns the buffer (no second copy): it is read for this run only.
    fs.writeFile(`/in/${index}`, readFileSync(file), { canOwn: true })
    onProgress?.({ filesRead: index + 1, total: job.inputs.length })
  })
  // Emscripten's exit handler for Node sets process.exitCode to dcm2niix's status (it was written
  // for a command-line run); a conversion result must not become this process's exit status.
  const exitCodeBefore = process.exitCode
  let exitCode: number
  try {
    exitCode = module.callMain(['-o', '/out', ...job.options, '/in'])
  } finally {
    process.exitCode = exitCodeBefore
  }
  const outputs = fs
    .readdir('/out')
    .filter((name) => name !== '.' && name !== '..')
    .sort()
    .map((name) => ({ name, bytes: fs.readFile(`/out/${name}`) }))
  return { exitCode, log, outputs }
}
