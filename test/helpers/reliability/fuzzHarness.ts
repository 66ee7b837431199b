/**
 * Seeded fuzzing of import with real NIfTI files whose header and extension bytes are mutated, and
 * the properties that matter to anyone using the project, inside Voxloop or out: no file crashes or
 * stalls the import, every file is imported or refused with a reason, every image Voxloop stored
 * loads in nibabel (one Python process checks them all), and holds the voxels of its source.
 * Used by importDatasetFuzz.test.ts (300 files) and `npm run bench -- reliability` (2,000 or more).
 *
 * Sources, each a real header with real extensions: nibabel's example_nifti2 (NIfTI-2, two comment
 * extensions), MSD hippocampus_001 with example4d's two comment extensions spliced in (NIfTI-1),
 * and NIFTI-Reader-JS's with_extension header (big-endian, a Mango XML extension) over small data.
 *
 * Each batch of one source's files is a folder imported in one call (as a user would) by a child
 * process (fuzzChild.ts), into its own project. A batch whose import throws, stalls for `timeoutMs`
 * or kills the process (an abort in zlib, an allocation failure) is counted and imported again a
 * file at a time in fresh children: a file that stalls is stopped after `timeoutMs`, one that kills
 * the process costs that file only, both are counted, and the batch goes on from the next file.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createRandom, type Random } from '../../../src/shared/random'
import { sharedDataMissing, sharedDataPath } from '../sharedData'
import type { FuzzBatchFile } from './fuzzChild'
import type { CaseOutcome } from './fuzzWorker'
import { readLines } from './childIo'

const CHILD = path.join(__dirname, 'fuzzChild.ts')
const FUZZ_PYTHON = '/usr/bin/python3'

/** Why nibabel cannot check the stored files here, or null when it can. */
export function nibabelUnavailable(): string | null {
  const probe = spawnSync(FUZZ_PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${FUZZ_PYTHON} cannot run (${probe.error.message})`
  if (probe.status !== 0) return `${FUZZ_PYTHON} -c "import nibabel" failed (install python3-nibabel): ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

/** Why the fuzz cannot run at all here (its source files are missing), or null. */
export const fuzzSourcesMissing: string | null = sharedDataMissing

/** Loads every file given on stdin (one JSON list) in full; prints {path: error or null}. */
const NIBABEL_SCRIPT = String.raw`
import sys, json, warnings
import numpy as np
import nibabel as nib
warnings.simplefilter('ignore')
result = {}
for path in json.load(sys.stdin):
    try:
        img = nib.load(path)
        np.asanyarray(img.dataobj)
        result[path] = None
    except Exception as e:
        result[path] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(result))
`

interface Source {
  name: string
  /** Decompressed bytes of a single-file NIfTI with extensions. */
  bytes: Uint8Array
  version: 1 | 2
  littleEndian: boolean
}

function gunzipIfNeeded(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? Uint8Array.from(gunzipSync(bytes)) : Uint8Array.from(bytes)
}

async function loadSources(): Promise<Source[]> {
  const nifti2 = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nibabel', 'example_nifti2.nii.gz')))
  // NIfTI-1: a real image with real extensions (example4d's two comments, bytes 352–416) spliced in.
  const hippo = gunzipIfNeeded(await readFile(sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz')))
  const example4d = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz')))
  const extension = example4d.subarray(352, 416)
  const spliced = new Uint8Array(hippo.length + extension.length)
  spliced.set(hippo.subarray(0, 352))
  spliced.set(extension, 352)
  spliced.set(hippo.subarray(352), 416)
  spliced[348] = 1
  new DataView(spliced.buffer).setFloat32(108, 416, true)
  // Big-endian: with_extension's header and Mango extension (vox_offset 736) over a small uint8 grid.
  const mango = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nifti-reader-js', 'with_extension.nii.gz')))
  const dims = [20, 16, 12]
  const bigEndian = new Uint8Array(736 + dims[0] * dims[1] * dims[2])
  bigEndian.set(mango.subarray(0, 736))
  const view = new DataView(bigEndian.buffer)
  view.setInt16(40, 3, false)
  dims.forEach((d, i) => view.setInt16(42 + 2 * i, d, false))
  for (let i = 736; i < bigEndian.length; i++) bigEndian[i] = i % 251
  return [
    { name: 'nifti2', bytes: nifti2, version: 2, littleEndian: true },
    { name: 'nifti1', bytes: spliced, version: 1, littleEndian: true },
    { name: 'big-endian', bytes: bigEndian, version: 1, littleEndian: false }
  ]
}

/** One mutation of the header or extension bytes; returns a short name for the file. */
function mutate(bytes: Uint8Array, source: Source, random: Random): string {
  const le = source.littleEndian
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerBytes = source.version === 1 ? 348 : 540
  const readVoxOffset = (): number => (source.version === 1 ? view.getFloat32(108, le) : Number(view.getBigInt64(168, le)))
  const voxOffset = readVoxOffset()
  const writeVoxOffset = (value: number): void => {
    if (source.version === 1) view.setFloat32(108, value, le)
    else view.setBigInt64(168, BigInt(value), le)
  }
  // Where the extensions are, to aim mutations at their esize/ecode fields.
  const starts: number[] = []
  const areaEnd = Math.min(voxOffset, bytes.length)
  for (let at = headerBytes + 4; at + 8 <= areaEnd; ) {
    starts.push(at)
    const esize = view.getInt32(at, le)
    if (esize < 16) break
    at += esize
  }
  const extensionAt = starts.length > 0 ? random.pick(starts) : headerBytes + 4
  const kind = random.pick(['esize', 'esize', 'ecode', 'ecode', 'flag', 'vox_offset', 'ext-flip', 'ext-flip', 'header-flip'] as const)
  switch (kind) {
    case 'esize': {
      const value = random.pick([0, 8, 12, -16, 24, 48, 2 ** 31 - 1, -(2 ** 31), voxOffset - extensionAt + 16, voxOffset - extensionAt - 8, 16])
      view.setInt32(extensionAt, value, le)
      return `esize@${extensionAt}=${value}`
    }
    case 'ecode': {
      const value = random.pick([2, 1, 7, -1, 44, 46, 1_000_000, 32, 0, 6])
      if (extensionAt === headerBytes + 4 && starts.length > 0) {
        // Make some DICOM claims hold content pydicom cannot decode.
        bytes.set([0x80, 0x81, 0xfe, 0xff], extensionAt + 8)
      }
      view.setInt32(extensionAt + 4, value, le)
      return `ecode@${extensionAt}=${value}`
    }
    case 'flag': {
      const value = random.pick([0, 1, 255])
      bytes[headerBytes] = value
      return `flag=${value}`
    }
    case 'vox_offset': {
      const value = random.pick([0, 100, headerBytes + 4, headerBytes + 12, voxOffset - 16, voxOffset + 16])
      writeVoxOffset(value)
      return `vox_offset=${value}`
    }
    case 'ext-flip': {
      const flips = random.int(1, 6)
      for (let n = 0; n < flips; n++) bytes[random.int(headerBytes, Math.max(headerBytes, areaEnd - 1))] ^= 1 << random.int(0, 7)
      return `ext-flip${flips}`
    }
    case 'header-flip': {
      const flips = random.int(1, 3)
      for (let n = 0; n < flips; n++) bytes[random.int(0, headerBytes - 1)] ^= 1 << random.int(0, 7)
      return `header-flip${flips}`
    }
  }
}

interface FuzzBatch {
  /** Holds exactly `files`, all mutations of one source. */
  dir: string
  files: string[]
}

/**
 * Writes `cases` mutated files, split evenly over the sources (in source order, from one seeded
 * stream: the same seed and count give the same files), `batchSize` to a folder. The mutations are
 * in each file's name, so a failure says what was done to the file.
 */
async function writeFuzzFiles(sources: Source[], cases: number, seed: number, batchSize: number, workDir: string): Promise<FuzzBatch[]> {
  const random = createRandom(seed)
  const batches: FuzzBatch[] = []
  for (const [index, source] of sources.entries()) {
    const count = Math.floor(cases / sources.length) + (index < cases % sources.length ? 1 : 0)
    for (let n = 0; n < count; n++) {
      const bytes = Uint8Array.from(source.bytes)
      const mutations = random.int(1, 3)
      const names: string[] = []
      for (let m = 0; m < mutations; m++) names.push(mutate(bytes, source, random))
      const gz = random.chance(0.5)
      if (n % batchSize === 0) {
        const dir = path.join(workDir, `${source.name}-${String(n / batchSize).padStart(3, '0')}`, 'files')
        await mkdir(dir, { recursive: true })
        batches.push({ dir, files: [] })
      }
      const batch = batches.at(-1)
      if (!batch) throw new Error('unreachable: no batch')
      const stem = `${source.name}-case${String(n).padStart(4, '0')}-${names.join('-').replace(/[^A-Za-z0-9]+/g, '_')}`.slice(0, 120)
      const file = path.join(batch.dir, `${stem}.nii${gz ? '.gz' : ''}`)
      await writeFile(file, gz ? gzipSync(bytes, { level: 1 }) : bytes)
      batch.files.push(file)
    }
  }
  return batches
}

export interface ImportFuzzOptions {
  /** Mutated files to import, split evenly over the three sources. */
  cases: number
  seed: number
  /** An empty folder for the files and projects; the caller removes it. */
  workDir: string
  /** Files per folder, imported in one call by one child process (never mixing sources). Default 250. */
  batch?: number
  /** A file still importing after this long is stopped and counted as a hang. Default 20 s. */
  timeoutMs?: number
  /** Child processes at once. Default: 2, or 1 on a single core. */
  parallel?: number
  /** Compare the stored voxels with the source's for every n-th file. Default 1 (all). */
  voxelCheckEvery?: number
}

export interface FuzzProblem {
  file: string
  detail: string
}

export interface FuzzReport {
  tried: number
  imported: number
  /** Imported with the header repaired (also counted in `imported`). */
  repaired: number
  refused: number
  /** Refusals by the reader's error code and reason (file names and numbers left out), most frequent first. */
  refusals: Record<string, number>
  /** Import threw, accounted for a file wrongly, refused it for a non-VoxloopError, or the process died. */
  crashes: FuzzProblem[]
  /** Files still importing after the timeout. */
  hangs: FuzzProblem[]
  /**
   * Batches whose folder, imported in one call, threw, stalled or killed the process (the batch is
   * then imported a file at a time, which finds the file in `crashes` or `hangs`).
   */
  folderFailures: FuzzProblem[]
  voxelsChecked: number
  /** Stored images whose voxels differ from the source's (repairs touch header bytes only). */
  voxelMismatches: FuzzProblem[]
  /** Stored images nibabel cannot load; null when nibabel is not available (see `nibabelUnavailable`). */
  unreadable: FuzzProblem[] | null
  nibabelUnavailable: string | null
  slowest: { file: string; ms: number } | null
  /** Child processes started (one per batch; more for a batch imported a file at a time). */
  children: number
  outcomes: CaseOutcome[]
  seconds: number
}

/** The harness itself is broken (a child that cannot start, nibabel failing as a whole). */
class HarnessFailure extends Error {}

interface BatchRun {
  outcomes: CaseOutcome[]
  /** Why the import of the batch's folder in one call did not finish cleanly, or null. */
  folderFailure: string | null
  children: number
}

interface ChildRun {
  outcomes: CaseOutcome[]
  /** In file-at-a-time mode, the index of the file started and not finished when the child ended. */
  current: number | null
  ended: 'done' | 'hung' | 'died'
  /** The message when the folder import threw. */
  folderThrew: string | null
  exit: string
  /** How long the unfinished file had run. */
  currentMs: number | null
}

/**
 * One child (`mode`: 'folder', or the first file of file-at-a-time mode); resolves with what it
 * reported and how it ended. It is SIGKILLed after `timeoutMs` without a line of output.
 */
function runChild(batchFile: string, mode: string, projectDir: string, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    // tsx's CommonJS hook alone starts in half the time of `--import tsx` (no ESM loader thread).
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, batchFile, mode, projectDir], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const run: ChildRun = { outcomes: [], current: null, ended: 'died', folderThrew: null, exit: '', currentMs: null }
    let startedAt = 0
    let done = false
    let hung = false
    let stderr = ''
    const stop = (): void => {
      hung = true
      child.kill('SIGKILL')
    }
    // Starting node, tsx and the project is not a file's time, but a child that never starts is broken.
    let timer = setTimeout(stop, 120_000)
    const onLine = (line: string): void => {
      clearTimeout(timer)
      if (line === 'done') {
        done = true
        return
      }
      timer = setTimeout(stop, timeoutMs)
      const start = /^start (\d+)$/.exec(line)
      if (start) {
        run.current = Number(start[1])
        startedAt = performance.now()
      } else if (line.startsWith('result ')) {
        run.outcomes.push(JSON.parse(line.slice('result '.length)) as CaseOutcome)
        run.current = null
      } else if (line.startsWith('folder-threw ')) {
        run.folderThrew = JSON.parse(line.slice('folder-threw '.length)) as string
      }
    }
    readLines(child.stdout, (lines) => lines.forEach(onLine))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      run.exit = `exit ${signal ?? code ?? '?'}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`
      run.ended = done && code === 0 ? 'done' : hung ? 'hung' : 'died'
      if (run.current !== null) run.currentMs = Math.round(performance.now() - startedAt)
      resolve(run)
    })
  })
}

/**
 * The batch's folder in one import; when that does not finish cleanly (a throw, a stall, a dead
 * process), the batch again a file at a time in fresh children, to find the file(s) at fault.
 */
async function runBatch(batch: FuzzBatch, checkVoxels: boolean[], timeoutMs: number): Promise<BatchRun> {
  const work = path.dirname(batch.dir)
  const batchFile = path.join(work, 'batch.json')
  const description: FuzzBatchFile = { dir: batch.dir, files: batch.files, checkVoxels, singlesDir: path.join(work, 'single') }
  await writeFile(batchFile, JSON.stringify(description))
  const { files } = batch
  const folder = await runChild(batchFile, 'folder', path.join(work, 'project-folder'), timeoutMs)
  if (folder.ended === 'done' && folder.folderThrew === null && folder.outcomes.length === files.length) {
    return { outcomes: folder.outcomes, folderFailure: null, children: 1 }
  }
  const run: BatchRun = {
    outcomes: [],
    folderFailure:
      folder.folderThrew !== null
        ? `import threw: ${folder.folderThrew}`
        : folder.ended === 'hung'
          ? `no progress for ${timeoutMs} ms; stopped`
          : folder.ended === 'died'
            ? `the import process died: ${folder.exit}`
            : `${folder.outcomes.length} results for ${files.length} files`,
    children: 1
  }
  let first = 0
  while (first < files.length) {
    // A new project after each death: the dead child's may be half-written, and is not what is tested.
    const result = await runChild(batchFile, String(first), path.join(work, `project-${run.children}`), timeoutMs)
    run.children++
    run.outcomes.push(...result.outcomes)
    if (result.ended === 'done') break
    const why = result.ended === 'hung' ? `still importing after ${timeoutMs} ms; stopped` : `the import process died: ${result.exit}`
    if (result.current !== null) {
      run.outcomes.push({ kind: result.ended, file: files[result.current] ?? '?', ms: result.currentMs ?? timeoutMs, error: why })
      first = result.current + 1
    } else if (result.outcomes.length > 0) {
      // Between files (or closing the project): blamed on the file before, which left something behind.
      run.outcomes.push({ kind: result.ended, file: result.outcomes.at(-1)?.file ?? '?', ms: 0, error: `after this file: ${why}` })
      first += result.outcomes.length
    } else {
      throw new HarnessFailure(`the fuzz child made no progress from file ${first} of ${batchFile}: ${why}`)
    }
  }
  return run
}

/** Runs `tasks` with at most `parallel` at once, keeping their order in the result. */
async function pool<T>(tasks: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++
      const task = tasks[index]
      if (task) results[index] = await task()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, tasks.length)) }, worker))
  return results
}

/** nibabel's verdict on each stored file: null when it loads, else the error. */
function loadWithNibabel(files: string[]): Record<string, string | null> {
  if (files.length === 0) return {}
  const run = spawnSync(FUZZ_PYTHON, ['-c', NIBABEL_SCRIPT], { input: JSON.stringify(files), encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000 })
  if (run.status !== 0) throw new HarnessFailure(`nibabel check failed (${run.error?.message ?? `exit ${run.status ?? run.signal ?? '?'}`}): ${run.stderr}`)
  return JSON.parse(run.stdout) as Record<string, string | null>
}

/** The reason without what varies per file (its path, counts, offsets, garbage read as text), to count kinds. */
function reasonKind(file: string, reason: string): string {
  const general = reason
    .split(file)
    .join('<file>')
    .replace(/^<file>: /, '')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/dims [\dx-]+/g, 'dims …')
    // Numbers, but not those that are part of a name (NIfTI-1, dim[0], n+1).
    .replace(/(?<![\w+[-])-?\d[\d,]*(\.\d+)?(e[+-]?\d+)?/gi, 'N')
  return general.length > 110 ? `${general.slice(0, 107)}…` : general
}

function sortedHistogram(keys: string[]): Record<string, number> {
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
}

/** Writes `cases` seeded mutations of the three sources under `workDir`, imports each and checks the results. */
export async function runImportFuzz(options: ImportFuzzOptions): Promise<FuzzReport> {
  if (fuzzSourcesMissing) throw new Error(fuzzSourcesMissing)
  const started = performance.now()
  const timeoutMs = options.timeoutMs ?? 20_000
  const every = options.voxelCheckEvery ?? 1
  const batches = await writeFuzzFiles(await loadSources(), options.cases, options.seed, options.batch ?? 250, options.workDir)
  let offset = 0
  const tasks = batches.map((batch) => {
    const from = offset
    offset += batch.files.length
    const checks = batch.files.map((_, i) => (from + i) % every === 0)
    return () => runBatch(batch, checks, timeoutMs)
  })
  const runs = await pool(tasks, options.parallel ?? Math.min(2, availableParallelism()))
  const outcomes = runs.flatMap((run) => run.outcomes)

  const imported = outcomes.flatMap((o) => (o.kind === 'imported' ? [o] : []))
  const refused = outcomes.flatMap((o) => (o.kind === 'refused' ? [o] : []))
  const nibabelMissing = nibabelUnavailable()
  let unreadable: FuzzProblem[] | null = null
  if (nibabelMissing === null) {
    const verdicts = loadWithNibabel(imported.map((o) => o.stored))
    unreadable = imported.flatMap((o) => {
      const verdict = verdicts[o.stored]
      return verdict === null ? [] : [{ file: o.file, detail: `${o.stored}: ${verdict ?? 'not checked'}` }]
    })
  }
  const slowest = outcomes.reduce<{ file: string; ms: number } | null>((worst, o) => (worst && worst.ms >= o.ms ? worst : { file: o.file, ms: o.ms }), null)
  return {
    tried: offset,
    imported: imported.length,
    repaired: imported.filter((o) => o.repairs.length > 0).length,
    refused: refused.length,
    refusals: sortedHistogram(refused.map((o) => `${o.code}: ${reasonKind(o.file, o.reason)}`)),
    crashes: outcomes.flatMap((o) => (o.kind === 'crashed' || o.kind === 'died' ? [{ file: o.file, detail: o.error }] : [])),
    hangs: outcomes.flatMap((o) => (o.kind === 'hung' ? [{ file: o.file, detail: o.error }] : [])),
    folderFailures: runs.flatMap((run, n) => (run.folderFailure === null ? [] : [{ file: batches[n]?.dir ?? '?', detail: run.folderFailure }])),
    voxelsChecked: imported.filter((o) => o.voxelsChecked).length,
    voxelMismatches: imported.flatMap((o) => (o.voxelProblem === null ? [] : [{ file: o.file, detail: o.voxelProblem }])),
    unreadable,
    nibabelUnavailable: nibabelMissing,
    slowest,
    children: runs.reduce((sum, run) => sum + run.children, 0),
    outcomes,
    seconds: (performance.now() - started) / 1000
  }
}
