/**
 * How fast and how lean readNifti loads a realistic 256³ int16 .nii.gz, against the floor (reading
 * the file and gunzipSync alone, which does no parsing and returns untyped bytes) and against nibabel.
 * Memory is measured in fresh child processes so that earlier runs' garbage does not blur it.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readNifti } from '../../src/node/formats/nifti'
import { encodeNiftiHeader, NIFTI1_MIN_VOX_OFFSET } from '../../src/node/formats/nifti/niftiHeaderCodec'
import { type Bench, type BenchReport, type BenchRow, medianMs } from '../report'

const SIZE = 256
const RUNS = 9
const PYTHON = '/usr/bin/python3'
const MEMORY_PROBE_FLAG = '--nifti-load-memory-probe'

/** mulberry32: seeded, so every run benchmarks the same bytes. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A head-like phantom: an ellipsoid of tissue made of smooth separable Gaussian blobs plus noise, in
 * faintly noisy air, like the background of an MR scan. Compresses about like a real scan (roughly
 * 2–3×), unlike a constant or purely random volume.
 */
function phantom(): Int16Array {
  const random = mulberry32(20240611)
  const n = SIZE
  const data = new Int16Array(n * n * n)
  const blobs = Array.from({ length: 12 }, () => {
    const axis = (): Float64Array => {
      const centre = n * (0.25 + 0.5 * random())
      const width = n * (0.05 + 0.15 * random())
      return Float64Array.from({ length: n }, (_, x) => Math.exp(-(((x - centre) / width) ** 2)))
    }
    return { amplitude: 200 + 1000 * random(), gx: axis(), gy: axis(), gz: axis() }
  })
  const c = (n - 1) / 2
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const row = n * (j + n * k)
      for (let i = 0; i < n; i++) {
        const r2 = ((i - c) / (0.45 * n)) ** 2 + ((j - c) / (0.48 * n)) ** 2 + ((k - c) / (0.42 * n)) ** 2
        if (r2 > 1) {
          data[row + i] = Math.floor(6 * random())
          continue
        }
        let v = 300
        for (const b of blobs) v += b.amplitude * b.gx[i] * b.gy[j] * b.gz[k]
        data[row + i] = Math.round(v + 48 * (random() - 0.5))
      }
    }
  }
  return data
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function writePhantom(file: string): { compressedBytes: number; voxelBytes: number } {
  const voxels = phantom()
  const header = encodeNiftiHeader({
    niftiVersion: 1,
    littleEndian: true,
    magic: 'n+1',
    dim: [3, SIZE, SIZE, SIZE, 1, 1, 1, 1],
    intentCode: 0,
    intentName: '',
    datatypeCode: 4,
    bitpix: 16,
    pixdim: [1, 1, 1, 1, 0, 0, 0, 0],
    voxOffset: NIFTI1_MIN_VOX_OFFSET,
    sclSlope: 1,
    sclInter: 0,
    description: 'voxloop bench phantom',
    qformCode: 0,
    sformCode: 1,
    quaternB: 0,
    quaternC: 0,
    quaternD: 0,
    qoffsetX: 0,
    qoffsetY: 0,
    qoffsetZ: 0,
    srowX: [1, 0, 0, -128],
    srowY: [0, 1, 0, -128],
    srowZ: [0, 0, 1, -128],
    xyztUnits: 10
  })
  const compressed = gzipSync(Buffer.concat([header, new Uint8Array(voxels.buffer)]))
  writeFileSync(file, compressed)
  return { compressedBytes: compressed.length, voxelBytes: voxels.byteLength }
}

interface MemoryProbe {
  peakRssGrowth: number
  retainedArrayBuffers: number
}

/**
 * Runs in a child process: one read, reporting peak RSS growth and the memory still held after.
 * The peak is the larger of RSS sampled every millisecond during the read (readNifti leaves the
 * event loop free) and the process's maxRSS if the read raised it (gunzipSync blocks sampling);
 * maxRSS alone would also count start-up peaks from before the read.
 */
async function memoryProbe(mode: string, file: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage()
  const maxRssBefore = process.resourceUsage().maxRSS * 1024
  let sampledPeak = before.rss
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())
  }, 1)
  let held: unknown
  if (mode === 'readNifti') held = await readNifti(file)
  else held = gunzipSync(readFileSync(file))
  clearInterval(sampler)
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())
  const maxRssAfter = process.resourceUsage().maxRSS * 1024
  const peak = Math.max(sampledPeak, maxRssAfter > maxRssBefore ? maxRssAfter : 0)
  // Collect the read's garbage (input buffers) so that only what the result keeps alive remains.
  gc?.()
  const after = process.memoryUsage()
  const probe: MemoryProbe = { peakRssGrowth: peak - before.rss, retainedArrayBuffers: after.arrayBuffers - before.arrayBuffers }
  process.stdout.write(`${JSON.stringify(probe)}\n`)
  if (held === undefined) process.exitCode = 1
}

function measureMemory(mode: 'readNifti' | 'gunzipSync', file: string): MemoryProbe {
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, MEMORY_PROBE_FLAG, mode, file], {
    encoding: 'utf8'
  })
  if (child.status !== 0) throw new Error(`memory probe failed: ${child.stderr}`)
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as MemoryProbe
}

/**
 * A persistent Python process that loads the file with nibabel once per line it receives and
 * answers with the time taken inside Python, so that its runs interleave with ours (a shared
 * machine's load then hits every contender alike) and interpreter start is excluded.
 */
class NibabelTimer {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly lines: AsyncIterator<string>

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    child.stderr.resume() // a full stderr pipe would block Python
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  }

  /** A timer, or why there is none (no Python, no nibabel). */
  static async start(file: string): Promise<{ timer: NibabelTimer; version: string } | string> {
    const probe = spawnSync(PYTHON, ['-c', 'import nibabel, numpy; print(nibabel.__version__)'], { encoding: 'utf8' })
    if (probe.error) return `${PYTHON} not runnable: ${probe.error.message}`
    if (probe.status !== 0) return `nibabel unavailable: ${probe.stderr.trim().split('\n').pop() ?? ''}`
    const script = [
      'import sys, time',
      'import numpy as np, nibabel as nib',
      'p = sys.argv[1]',
      'for _ in sys.stdin:',
      '    t = time.perf_counter(); a = np.asanyarray(nib.load(p).dataobj); ms = (time.perf_counter() - t) * 1000',
      '    assert a.shape == (256, 256, 256)',
      '    print(ms, flush=True)'
    ].join('\n')
    const timer = new NibabelTimer(spawn(PYTHON, ['-c', script, file]))
    await timer.once() // warm-up: imports and page cache
    return { timer, version: probe.stdout.trim() }
  }

  async once(): Promise<number> {
    this.child.stdin.write('go\n')
    const line = await this.lines.next()
    if (line.done) throw new Error('nibabel timer exited early')
    return Number(line.value)
  }

  stop(): void {
    this.child.stdin.end()
  }
}

async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-nifti-'))
  try {
    const file = path.join(dir, 'phantom-256-int16.nii.gz')
    const { compressedBytes, voxelBytes } = writePhantom(file)
    const decompressedBytes = voxelBytes + NIFTI1_MIN_VOX_OFFSET

    // Warm the page cache and the JIT for both contenders before timing.
    gunzipSync(readFileSync(file))
    await readNifti(file)
    const nibabelTimer = await NibabelTimer.start(file)
    // Interleaved single runs, so that load from other processes on a shared machine hits all.
    const floorTimes: number[] = []
    const readTimes: number[] = []
    const nibabelTimes: number[] = []
    try {
      for (let r = 0; r < RUNS; r++) {
        floorTimes.push(await medianMs(1, () => gunzipSync(readFileSync(file))))
        readTimes.push(await medianMs(1, () => readNifti(file)))
        if (typeof nibabelTimer !== 'string') nibabelTimes.push(await nibabelTimer.timer.once())
      }
    } finally {
      if (typeof nibabelTimer !== 'string') nibabelTimer.timer.stop()
    }
    const floorMs = median(floorTimes)
    const readMs = median(readTimes)
    const nibabel = typeof nibabelTimer === 'string' ? nibabelTimer : { ms: median(nibabelTimes), version: nibabelTimer.version }
    const memory = measureMemory('readNifti', file)
    const floorMemory = measureMemory('gunzipSync', file)

    const floorName = 'readFileSync + gunzipSync (floor)'
    const rows: BenchRow[] = [
      { name: 'compressed file size', value: compressedBytes / 2 ** 20, unit: 'MiB', note: `${(decompressedBytes / compressedBytes).toFixed(2)}× compression` },
      { name: floorName, value: floorMs, unit: 'ms', note: `median of ${RUNS}, interleaved` },
      { name: 'readNifti → Int16Array', value: readMs, unit: 'ms', baselineOf: floorName, note: `median of ${RUNS}, interleaved` }
    ]
    const notes: string[] = []
    if (typeof nibabel === 'string') notes.push(`nibabel row skipped: ${nibabel}`)
    else rows.push({ name: `nibabel ${nibabel.version} asanyarray(dataobj)`, value: nibabel.ms, unit: 'ms', baselineOf: floorName, note: `median of ${RUNS}, interleaved, timed inside Python` })
    rows.push(
      { name: 'readNifti peak RSS growth / decompressed', value: memory.peakRssGrowth / decompressedBytes, unit: '×', note: `${(memory.peakRssGrowth / 2 ** 20).toFixed(1)} MiB, child process` },
      { name: 'readNifti retained ArrayBuffers / decompressed', value: memory.retainedArrayBuffers / decompressedBytes, unit: '×' },
      { name: 'gunzipSync peak RSS growth / decompressed', value: floorMemory.peakRssGrowth / decompressedBytes, unit: '×', note: 'for comparison' }
    )
    notes.push(`${SIZE}³ int16 phantom (smooth blobs + noise), ${(decompressedBytes / 2 ** 20).toFixed(1)} MiB decompressed`)
    return {
      name: 'nifti-load',
      rows,
      targets: [
        { description: 'readNifti within 1.2× of the gunzip floor', met: readMs <= 1.2 * floorMs },
        { description: 'readNifti faster than nibabel', met: typeof nibabel === 'string' ? null : readMs < nibabel.ms },
        { description: 'readNifti peak extra memory < 2× decompressed size', met: memory.peakRssGrowth < 2 * decompressedBytes }
      ],
      notes,
      environment: { voxels: `${SIZE}x${SIZE}x${SIZE}`, python: typeof nibabel === 'string' ? 'n/a' : PYTHON }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const bench: Bench = {
  name: 'nifti-load',
  description: 'readNifti of a 256³ int16 .nii.gz vs gunzipSync alone and nibabel; peak memory',
  run
}

if (require.main === module && process.argv.includes(MEMORY_PROBE_FLAG)) {
  const [mode, file] = process.argv.slice(process.argv.indexOf(MEMORY_PROBE_FLAG) + 1)
  memoryProbe(mode, file).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
