import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** How to start the converter's worker thread: a bundled script, or code that loads the TypeScript source. */
export type WorkerEntry = { kind: 'file'; file: string } | { kind: 'eval'; code: string }

const here = fileURLToPath(import.meta.url)

/**
 * Built (out/main/*.js, maybe a shared chunk in out/main/chunks): dcm2niixWorker.js beside the main
 * bundles. From source (tests, bench, `tsx`): worker threads do not inherit the transform that
 * runs this .ts file, so the worker registers tsx's CommonJS hook before requiring its source.
 */
export function dcm2niixWorkerEntry(): WorkerEntry {
  if (here.endsWith('.ts')) {
    const requireHere = createRequire(import.meta.url)
    const source = path.join(path.dirname(here), 'dcm2niixWorker.ts')
    return { kind: 'eval', code: `require(${JSON.stringify(requireHere.resolve('tsx/cjs'))}); require(${JSON.stringify(source)})` }
  }
  const dir = path.dirname(here)
  const mainDir = path.basename(dir) === 'chunks' ? path.dirname(dir) : dir
  return { kind: 'file', file: path.join(mainDir, 'dcm2niixWorker.js') }
}
