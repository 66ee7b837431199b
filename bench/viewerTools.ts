/**
 * The viewer bench's tool rows, measured in Node on the code the renderer runs: grow from seeds as
 * the page builds its request (crop, seeds) plus the workers' whole job, and one label-statistics
 * pass. The workers are Node worker threads running the renderer's worker handler (protocol.ts, what
 * grow.worker.ts runs) and the page's side is the app's own (`runGrowOnWorkers`, what
 * GrowWorkerClient runs): same V8 as Chromium's workers, no browser. The app keeps its workers
 * between jobs, so the threads are started (and warmed by a first job) before anything is timed.
 */
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { buildGrowRequest, type GrowRequest, type GrowResult } from '../src/renderer/src/tools/growFromSeeds/kernel'
import { runGrowOnWorkers, type GrowMessage, type GrowPort, type GrowReply, type GrowSplit } from '../src/renderer/src/tools/growFromSeeds/protocol'
import { makeGrid, type VoxelGrid } from '../src/renderer/src/tools/core/grid'
import { labelStatistics } from '../src/renderer/src/tools/statistics/labelStatistics'
import type { Vec3, VoxelArray } from '../src/shared/volume'
import type { BenchRow } from './report'

/** The bench phantom's "lung": (x + 0.35)²/0.04 + (y − 0.1)²/0.09 + z²/0.3 < 1 in [-1, 1]³ coordinates. */
function inLung(grid: VoxelGrid, i: number, j: number, k: number): boolean {
  const [nx, ny, nz] = grid.dims
  const x = (i / nx - 0.5) * 2
  const y = (j / ny - 0.5) * 2
  const z = (k / nz - 0.5) * 2
  return (x + 0.35) ** 2 / 0.04 + (y - 0.1) ** 2 / 0.09 + (z * z) / 0.3 < 1
}

/** Voxel of the phantom at [-1, 1]³ coordinates. */
function voxelAt(grid: VoxelGrid, x: number, y: number, z: number): Vec3 {
  return [Math.round((x / 2 + 0.5) * grid.dims[0]), Math.round((y / 2 + 0.5) * grid.dims[1]), Math.round((z / 2 + 0.5) * grid.dims[2])]
}

/**
 * Seeds as a user paints them: three short strokes inside the lung (label 1) on three axial slices,
 * and a ring of background strokes around it on the same slices. With `corners`, two more background
 * dabs in opposite corners make the box the whole volume (the worst case).
 */
function paintedSeeds(grid: VoxelGrid, corners: boolean): { indices: Uint32Array; values: Uint16Array } {
  const [nx, ny] = grid.dims
  const indices: number[] = []
  const values: number[] = []
  const dab = (ijk: Vec3, value: number, radius = 2): void => {
    for (let dj = -radius; dj <= radius; dj++) {
      for (let di = -radius; di <= radius; di++) {
        const i = ijk[0] + di
        const j = ijk[1] + dj
        if (i < 0 || j < 0 || i >= nx || j >= ny || di * di + dj * dj > radius * radius) continue
        indices.push(i + nx * (j + ny * ijk[2]))
        values.push(value)
      }
    }
  }
  for (const z of [-0.3, 0, 0.3]) {
    for (let t = -0.08; t <= 0.08; t += 0.02) dab(voxelAt(grid, -0.35 + t, 0.1, z), 1)
    for (let a = 0; a < 2 * Math.PI; a += Math.PI / 16) dab(voxelAt(grid, -0.35 + 0.3 * Math.cos(a), 0.1 + 0.42 * Math.sin(a), z), 0)
  }
  if (corners) {
    dab([2, 2, 0], 0)
    dab([nx - 3, ny - 3, grid.dims[2] - 1], 0)
  }
  return { indices: Uint32Array.from(indices), values: Uint16Array.from(values) }
}

/** Two grow-from-seeds workers as the app keeps them: worker threads, one message at a time each. */
class GrowThreads {
  private readonly threads: Worker[]
  private readonly waiting: Array<{ resolve(reply: GrowReply): void; reject(error: Error): void } | null> = [null, null]
  readonly ports: readonly [GrowPort, GrowPort]

  constructor() {
    // tsx's CommonJS hooks in the thread, then the worker file (TypeScript, like the rest of the bench).
    const file = path.join(__dirname, 'growWorkerThread.ts')
    this.threads = [0, 1].map((w) => {
      const thread = new Worker("require('tsx/cjs'); require(require('node:worker_threads').workerData)", { eval: true, workerData: file })
      thread.on('message', (reply: GrowReply) => this.settle(w, (waiting) => waiting.resolve(reply)))
      thread.on('error', (error: Error) => this.settle(w, (waiting) => waiting.reject(new Error(`grow worker thread ${w + 1} failed: ${error.message}`))))
      return thread
    })
    this.ports = [(message, transfer) => this.send(0, message, transfer), (message, transfer) => this.send(1, message, transfer)]
  }

  private settle(w: number, action: (waiting: { resolve(reply: GrowReply): void; reject(error: Error): void }) => void): void {
    const waiting = this.waiting[w]
    this.waiting[w] = null
    if (waiting) action(waiting)
  }

  private send(w: number, message: GrowMessage, transfer: ArrayBuffer[]): Promise<GrowReply> {
    return new Promise<GrowReply>((resolve, reject) => {
      this.waiting[w] = { resolve, reject }
      this.threads[w].postMessage(message, transfer)
    })
  }

  close(): Promise<number[]> {
    return Promise.all(this.threads.map((thread) => thread.terminate()))
  }
}

/** How the job is run: the app's path (two workers when the plan says so), or the one-worker path it replaced. */
type GrowPath = 'app' | 'one worker'

interface GrowFigures {
  boxVoxels: number
  requestMs: number
  workerMs: number
  /** CPU time of this process, every thread, during the workers' job (user + system). */
  workerCpuMs: number
  /** How the job was split over two workers, or null when it ran on one. */
  split: GrowSplit | null
  labels: Uint16Array
  /** Dice of the grown label 1 against the phantom's lung, inside the box. */
  dice: number
}

async function runJob(request: GrowRequest, threads: GrowThreads, how: GrowPath): Promise<{ result: GrowResult; split: GrowSplit | null }> {
  if (how === 'app') {
    const outcome = await runGrowOnWorkers(request, threads.ports, 1, { cores: os.availableParallelism() })
    return { result: outcome.result, split: outcome.split ?? null }
  }
  const reply = await threads.ports[0]({ id: 1, kind: 'grow', request }, [request.image.buffer as ArrayBuffer])
  if (!reply.ok) throw new Error(`grow from seeds failed: ${reply.error.message}`)
  if (reply.kind !== 'result') throw new Error(`grow from seeds answered ${reply.kind}`)
  return { result: reply.result, split: null }
}

async function growOnce(image: VoxelArray, grid: VoxelGrid, corners: boolean, threads: GrowThreads, how: GrowPath): Promise<GrowFigures> {
  const seeds = paintedSeeds(grid, corners)
  const started = performance.now()
  const request = buildGrowRequest(image, grid, seeds, { marginMm: 10, locality: 0 })
  const built = performance.now()
  const cpu = process.cpuUsage()
  const { result, split } = await runJob(request, threads, how)
  const { labels, dims, box } = result
  const done = performance.now()
  const used = process.cpuUsage(cpu)
  let both = 0
  let grown = 0
  let truth = 0
  let p = 0
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, p++) {
        const a = labels[p] === 1
        const b = inLung(grid, i + box.minIjk[0], j + box.minIjk[1], k + box.minIjk[2])
        if (a) grown++
        if (b) truth++
        if (a && b) both++
      }
    }
  }
  return {
    boxVoxels: labels.length,
    requestMs: built - started,
    workerMs: done - built,
    workerCpuMs: (used.user + used.system) / 1000,
    split,
    labels,
    dice: (2 * both) / Math.max(1, grown + truth)
  }
}

function sameLabels(a: Uint16Array, b: Uint16Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * Grow from seeds on a 256×256×200 phantom: the whole-volume box and a box around the painted
 * structure, each on the app's path (two workers for a big box on a machine with two cores or more),
 * plus the whole-volume box on one worker, the path it replaced, as the baseline. The two paths must
 * give the same labels voxel for voxel; the bench stops if they do not.
 */
export async function growFromSeedsRows(volume: { data: VoxelArray; dims: Vec3; spacing: Vec3 }, label: string): Promise<BenchRow[]> {
  const grid = makeGrid(volume.dims, volume.spacing)
  const rows: BenchRow[] = []
  const threads = new GrowThreads()
  try {
    // Once on each path to warm the JIT in the threads (a user's second preview), then the figures.
    await growOnce(volume.data, grid, true, threads, 'one worker')
    const one = await growOnce(volume.data, grid, true, threads, 'one worker')
    for (const [corners, what] of [
      [true, 'whole-volume box'],
      [false, 'box around the seeds + 10 mm']
    ] as const) {
      await growOnce(volume.data, grid, corners, threads, 'app')
      const figures = await growOnce(volume.data, grid, corners, threads, 'app')
      const name = `grow from seeds, ${what}, ${label}: page request + worker job`
      const { split } = figures
      const cut =
        split === null
          ? 'one worker (box under the split threshold)'
          : `two workers cut at box slice k = ${split.planeK}, ${split.rounds} plane exchanges, computing ${split.workerMilliseconds.map((ms) => ms.toFixed(0)).join(' + ')} ms`
      let identical = ''
      if (corners) {
        if (!sameLabels(figures.labels, one.labels)) throw new Error('grow from seeds: two workers and one gave different labels on the whole-volume box')
        identical = '; labels identical to one worker'
      }
      rows.push(
        {
          name,
          value: figures.requestMs + figures.workerMs,
          unit: 'ms',
          baselineOf: corners ? ONE_WORKER_ROW(label) : undefined,
          note: `${(figures.boxVoxels / 1e6).toFixed(1)} M voxels, ${cut}; request ${figures.requestMs.toFixed(0)} ms, workers ${figures.workerMs.toFixed(0)} ms (CPU, all threads, ${figures.workerCpuMs.toFixed(0)} ms)${identical}; Dice vs phantom ${figures.dice.toFixed(3)}`
        },
        { name: `grow from seeds, ${what}, ${label}: Dice vs the phantom's structure`, value: figures.dice, unit: '' }
      )
      if (corners) {
        rows.push({
          name: ONE_WORKER_ROW(label),
          value: one.requestMs + one.workerMs,
          unit: 'ms',
          note: `the path before two workers; ${(one.boxVoxels / 1e6).toFixed(1)} M voxels; request ${one.requestMs.toFixed(0)} ms, worker ${one.workerMs.toFixed(0)} ms (CPU ${one.workerCpuMs.toFixed(0)} ms); Dice vs phantom ${one.dice.toFixed(3)}`
        })
      }
    }
  } finally {
    await threads.close()
  }
  return rows
}

const ONE_WORKER_ROW = (label: string): string => `grow from seeds, whole-volume box, ${label}: page request + one worker (baseline)`

/** One label-statistics pass (what the workspace spreads over 4 Mi-voxel tasks) on the bench volume. */
export function labelStatisticsRow(volume: { data: VoxelArray; dims: Vec3; spacing: Vec3 }, label: string): BenchRow {
  const grid = makeGrid(volume.dims, volume.spacing)
  const labels = new Uint8Array(volume.data.length)
  // A tenth of the volume labelled, in three labels: statistics cost is per voxel, labelled or not.
  for (let index = 0; index < labels.length; index += 10) labels[index] = 1 + (index % 3)
  labelStatistics(labels, volume.data, grid)
  const started = performance.now()
  labelStatistics(labels, volume.data, grid)
  return { name: `label statistics one pass, ${label}`, value: performance.now() - started, unit: 'ms', note: 'the workspace runs it in 4 Mi-voxel tasks between frames' }
}
