/**
 * The viewer bench's tool rows, measured in Node on the code the renderer runs: grow from seeds as
 * the page builds its request (crop, seeds) plus the worker's whole job (`runGrowJob`, the function
 * grow.worker.ts calls), and one label-statistics pass. Same V8 as Chromium's worker, no browser.
 */
import { buildGrowRequest } from '../src/renderer/src/tools/growFromSeeds/kernel'
import { runGrowJob } from '../src/renderer/src/tools/growFromSeeds/protocol'
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

interface GrowFigures {
  boxVoxels: number
  requestMs: number
  workerMs: number
  /** CPU time of this process during the worker job (user + system): the figure a busy machine moves least. */
  workerCpuMs: number
  /** Dice of the grown label 1 against the phantom's lung, inside the box. */
  dice: number
}

function growOnce(image: VoxelArray, grid: VoxelGrid, corners: boolean): GrowFigures {
  const seeds = paintedSeeds(grid, corners)
  const started = performance.now()
  const request = buildGrowRequest(image, grid, seeds, { marginMm: 10, locality: 0 })
  const built = performance.now()
  const cpu = process.cpuUsage()
  const { reply } = runGrowJob({ id: 1, request })
  const done = performance.now()
  const used = process.cpuUsage(cpu)
  if (!reply.ok) throw new Error(`grow from seeds failed: ${reply.error.message}`)
  const { labels, dims, box } = reply.result
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
    dice: (2 * both) / Math.max(1, grown + truth)
  }
}

/** Grow from seeds on a 256×256×200 phantom: the whole-volume box and a box around the painted structure. */
export function growFromSeedsRows(volume: { data: VoxelArray; dims: Vec3; spacing: Vec3 }, label: string): BenchRow[] {
  const grid = makeGrid(volume.dims, volume.spacing)
  const rows: BenchRow[] = []
  for (const [corners, what] of [
    [true, 'whole-volume box'],
    [false, 'box around the seeds + 10 mm']
  ] as const) {
    // Once to warm the JIT (a user's second preview), then the figure.
    growOnce(volume.data, grid, corners)
    const figures = growOnce(volume.data, grid, corners)
    rows.push(
      {
        name: `grow from seeds, ${what}, ${label}: page request + worker job`,
        value: figures.requestMs + figures.workerMs,
        unit: 'ms',
        note: `${(figures.boxVoxels / 1e6).toFixed(1)} M voxels; request ${figures.requestMs.toFixed(0)} ms, worker ${figures.workerMs.toFixed(0)} ms (CPU ${figures.workerCpuMs.toFixed(0)} ms); Dice vs phantom ${figures.dice.toFixed(3)}`
      },
      { name: `grow from seeds, ${what}, ${label}: Dice vs the phantom's structure`, value: figures.dice, unit: '' }
    )
  }
  return rows
}

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
