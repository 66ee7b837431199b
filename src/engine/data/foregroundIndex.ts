/**
 * Where each class lies in a label map, computed once per case so that foreground-centred patch
 * draws are O(1) instead of a scan of the whole volume per patch.
 */
import type { Random } from '../../shared/random'
import { type Shape3 } from './layout'

export interface ForegroundIndex {
  /** Class ids > 0 present in the label map, ascending. */
  readonly classes: readonly number[]
  /** voxelsByClass[n]: label-map indices (w + W*(h + H*d)) of the voxels of classes[n], ascending. */
  readonly voxelsByClass: readonly Uint32Array[]
}

/** Two passes (count, then fill) so each class gets one exactly-sized array. */
export function buildForegroundIndex(label: Uint8Array): ForegroundIndex {
  const counts = new Uint32Array(256)
  for (let v = 0; v < label.length; v++) counts[label[v] as number]++
  const classes: number[] = []
  const voxelsByClass: Uint32Array[] = []
  const slot = new Int16Array(256).fill(-1)
  for (let k = 1; k < 256; k++) {
    if ((counts[k] as number) > 0) {
      slot[k] = classes.length
      classes.push(k)
      voxelsByClass.push(new Uint32Array(counts[k] as number))
    }
  }
  const filled = new Uint32Array(classes.length)
  for (let v = 0; v < label.length; v++) {
    const s = slot[label[v] as number] as number
    if (s >= 0) (voxelsByClass[s] as Uint32Array)[(filled[s] as number)++] = v
  }
  return { classes, voxelsByClass }
}

export function foregroundVoxelCount(index: ForegroundIndex): number {
  return index.voxelsByClass.reduce((sum, voxels) => sum + voxels.length, 0)
}

/**
 * The labelled voxels of a case as the batch sampler reads them: per class a count and the i-th
 * voxel on demand, so that they can live in memory (a ForegroundIndex) or in a preprocessed-cache
 * file read one voxel at a time (src/engine/train/preprocessed), holding nothing per voxel.
 */
export interface ForegroundLocations {
  /** Class ids > 0 present in the label map, ascending. */
  readonly classes: readonly number[]
  /** How many voxels classes[n] has (≥ 1). */
  countOf(n: number): number
  /** Label-map index (w + W*(h + H*d)) of the i-th voxel of classes[n], ascending in i. */
  voxelOf(n: number, i: number): number
}

export function foregroundLocationsOf(index: ForegroundIndex): ForegroundLocations {
  return {
    classes: index.classes,
    countOf: (n) => (index.voxelsByClass[n] as Uint32Array).length,
    voxelOf: (n, i) => (index.voxelsByClass[n] as Uint32Array)[i] as number
  }
}

function isForegroundIndex(index: ForegroundIndex | ForegroundLocations): index is ForegroundIndex {
  return 'voxelsByClass' in index
}

/**
 * A random labelled voxel as [d, h, w]: first a class, uniformly among `allowedClasses` present in the
 * case (all present classes when omitted; as in nnU-Net, so small structures are seen as often as large
 * ones), then a voxel of it. Null when the case holds none of those classes. The same draws (one
 * pick, one int) whether the voxels are in memory or read from a file, so both give the same voxel.
 */
export function randomForegroundVoxel(
  index: ForegroundIndex | ForegroundLocations,
  shape: Shape3,
  random: Random,
  allowedClasses?: readonly number[]
): Shape3 | null {
  const locations = isForegroundIndex(index) ? foregroundLocationsOf(index) : index
  let candidates: number[] = []
  if (allowedClasses) {
    for (let n = 0; n < locations.classes.length; n++) if (allowedClasses.includes(locations.classes[n] as number)) candidates.push(n)
  } else {
    candidates = locations.classes.map((_, n) => n)
  }
  if (candidates.length === 0) return null
  const n = random.pick(candidates)
  const v = locations.voxelOf(n, random.int(0, locations.countOf(n) - 1))
  const w = v % shape[2]
  const rest = (v - w) / shape[2]
  const h = rest % shape[1]
  return [(rest - h) / shape[1], h, w]
}
