/**
 * Runs the engine's real loaders (backend probe, the plain wasm backend, the threaded wasm build) and
 * the DICOM converter's (dcm2niix's wasm build, which the main process runs in a worker thread) from
 * source and prints, as JSON, every file they read from disk: modules (Node's CommonJS loader reads
 * them with fs.readFileSync) and data such as the .wasm binaries. The packaging test checks that the
 * installers hold every one of them. Usage: node --import tsx traceRuntimeFiles.ts
 */
import fs from 'node:fs'
import path from 'node:path'

const read = new Set<string>()

// tsx turns on Node's source-map support, which reads every module's .map file; the installed app
// runs without it (and with the NODE_OPTIONS fuse off, nothing can turn it on), so do the same.
process.setSourceMapsEnabled(false)

function record(file: unknown): void {
  if (typeof file === 'string') read.add(path.resolve(file))
  else if (file instanceof URL && file.protocol === 'file:') read.add(path.resolve(file.pathname))
}

// Wrapped before anything of tfjs loads, so that the loader's own reads are seen.
const readFileSync = fs.readFileSync
fs.readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  record(file)
  return (readFileSync as (file: fs.PathOrFileDescriptor, ...rest: unknown[]) => unknown)(file, ...rest)
}) as typeof fs.readFileSync
const readFile = fs.readFile
fs.readFile = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  record(file)
  return (readFile as (file: fs.PathOrFileDescriptor, ...rest: unknown[]) => unknown)(file, ...rest)
}) as typeof fs.readFile
const readFilePromise = fs.promises.readFile
fs.promises.readFile = ((file: Parameters<typeof readFilePromise>[0], ...rest: unknown[]) => {
  record(file)
  return (readFilePromise as (file: unknown, ...rest: unknown[]) => unknown)(file, ...rest)
}) as typeof fs.promises.readFile

async function main(): Promise<void> {
  const tf = await import('@tensorflow/tfjs')
  const { probeBackends } = await import('../../../src/engine/backends/probeBackends')
  // 'wasm': the tensorflow bindings are optional and machine-specific; asarUnpack covers them.
  const probes = await probeBackends('wasm')
  if (!probes.find((p) => p.id === 'wasm')?.available) throw new Error(`wasm backend unavailable: ${JSON.stringify(probes)}`)
  // The plain build first (what setWasmPaths points at), then the threaded one that replaces it.
  if (!(await tf.setBackend('wasm'))) throw new Error('the plain wasm backend did not initialise')
  tf.square(tf.tensor1d([1, 2])).dataSync()
  const { installThreadedWasm } = await import('../../../src/engine/backends/threadedWasm')
  await installThreadedWasm(2)
  tf.square(tf.tensor1d([1, 2])).dataSync()
  // On this thread (a worker's reads would not pass through the wrappers above); with no input it
  // loads and starts the converter, finds no DICOM and prints into its log, not onto stdout.
  const { runDcm2niixHere } = await import('../../../src/node/formats/dicom/dcm2niixCore')
  const { dcm2niixFiles } = await import('../../../src/node/formats/dicom/dcm2niixPackage')
  await runDcm2niixHere({ files: dcm2niixFiles(), inputs: [], options: [] })
  process.stdout.write(JSON.stringify([...read].sort()))
  // The threaded build's worker pool would keep the process alive.
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error))
  process.exit(1)
})
