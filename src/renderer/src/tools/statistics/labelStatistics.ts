/**
 * ROI statistics per label, as ITK-SNAP's and Slicer's segment statistics give them: voxel count,
 * volume in mL (voxel count × the voxel's mm³ / 1000, from the header's spacing), and the mean,
 * standard deviation, minimum and maximum of the image inside the label (HU for CT: the image data
 * already has the file's scl_slope/scl_inter applied).
 *
 * One pass over the volume. The accumulator takes the volume in index ranges so that the workspace
 * can spread a 512×512×300 pass over several short tasks instead of freezing the page for its
 * ~0.3 s; `labelStatistics` runs it in one go.
 *
 * Numerics: sums are of (value − the first value seen in that label), so that a label whose mean is
 * large next to its spread (CT bone near 1000 HU, sd 50) loses no digits to cancellation; the sd is
 * the population one (divide by n), as Slicer's segment statistics report it.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray, VoxelArray } from '../../../../shared/volume'
import { assertArrayFitsGrid, gridVoxelCount, type VoxelGrid } from '../core/grid'

/** What the statistics read: the open case's live label map, the image channel on show, and the grid. */
export interface StatisticsSource {
  labels: LabelArray
  image: VoxelArray
  grid: VoxelGrid
}

export interface LabelStatistic {
  label: number
  voxelCount: number
  /** Voxel count × voxel volume (mm³) / 1000. */
  volumeMl: number
  /** Intensity mean, population standard deviation, minimum and maximum over the label's voxels. */
  mean: number
  sd: number
  min: number
  max: number
}

export class LabelStatisticsAccumulator {
  private readonly count: Float64Array
  private readonly shift: Float64Array
  private readonly sum: Float64Array
  private readonly sumSquares: Float64Array
  private readonly min: Float64Array
  private readonly max: Float64Array

  constructor(
    private readonly labels: LabelArray,
    private readonly image: VoxelArray,
    private readonly grid: VoxelGrid
  ) {
    assertArrayFitsGrid(grid, labels, 'label map')
    assertArrayFitsGrid(grid, image, 'image channel')
    const size = labels instanceof Uint16Array ? 65536 : 256
    this.count = new Float64Array(size)
    this.shift = new Float64Array(size)
    this.sum = new Float64Array(size)
    this.sumSquares = new Float64Array(size)
    this.min = new Float64Array(size).fill(Number.POSITIVE_INFINITY)
    this.max = new Float64Array(size).fill(Number.NEGATIVE_INFINITY)
  }

  get voxelCount(): number {
    return this.labels.length
  }

  /** Adds voxels [from, to) (background, label 0, is skipped). */
  add(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= this.labels.length && from <= to)) {
      throw new VoxloopError('INVALID_ARGUMENT', `statistics range [${from}, ${to}) is outside the ${this.labels.length} voxels`)
    }
    const { labels, image, count, shift, sum, sumSquares, min, max } = this
    for (let index = from; index < to; index++) {
      const label = labels[index]
      if (label === 0) continue
      const value = image[index]
      if (count[label] === 0) shift[label] = value
      count[label]++
      const d = value - shift[label]
      sum[label] += d
      sumSquares[label] += d * d
      if (value < min[label]) min[label] = value
      if (value > max[label]) max[label] = value
    }
  }

  /** One row per label present (ascending), background excluded. */
  result(): LabelStatistic[] {
    const [sx, sy, sz] = this.grid.spacing
    const voxelMl = (sx * sy * sz) / 1000
    const rows: LabelStatistic[] = []
    for (let label = 1; label < this.count.length; label++) {
      const n = this.count[label]
      if (n === 0) continue
      const meanOffset = this.sum[label] / n
      const variance = Math.max(0, this.sumSquares[label] / n - meanOffset * meanOffset)
      rows.push({
        label,
        voxelCount: n,
        volumeMl: n * voxelMl,
        mean: this.shift[label] + meanOffset,
        sd: Math.sqrt(variance),
        min: this.min[label],
        max: this.max[label]
      })
    }
    return rows
  }
}

/** Statistics of every label in one pass (see the module comment). */
export function labelStatistics(labels: LabelArray, image: VoxelArray, grid: VoxelGrid): LabelStatistic[] {
  const accumulator = new LabelStatisticsAccumulator(labels, image, grid)
  accumulator.add(0, gridVoxelCount(grid))
  return accumulator.result()
}

/** Voxels per slice of work when the pass is spread over tasks (~10 ms each on this class of machine). */
export const STATISTICS_CHUNK_VOXELS = 4 * 1024 * 1024

/**
 * Runs the pass in chunks, yielding between them through `yieldToPage` (a macrotask in the app), so
 * that pointer events and frames get through. `isCancelled` is checked between chunks: a newer edit
 * makes the pass stop early and resolve null.
 */
export async function labelStatisticsInSlices(
  labels: LabelArray,
  image: VoxelArray,
  grid: VoxelGrid,
  options: { yieldToPage: () => Promise<void>; isCancelled: () => boolean; chunkVoxels?: number }
): Promise<LabelStatistic[] | null> {
  const accumulator = new LabelStatisticsAccumulator(labels, image, grid)
  const total = gridVoxelCount(grid)
  const chunk = Math.max(1, Math.floor(options.chunkVoxels ?? STATISTICS_CHUNK_VOXELS))
  for (let from = 0; from < total; from += chunk) {
    if (options.isCancelled()) return null
    accumulator.add(from, Math.min(total, from + chunk))
    if (from + chunk < total) await options.yieldToPage()
  }
  return options.isCancelled() ? null : accumulator.result()
}
