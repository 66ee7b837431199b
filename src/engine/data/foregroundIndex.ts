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
 * A random labelled voxel as [d, h, w]: first a class, uniformly among `allowedClasses` present in the
 * case (all present classes when omitted; as in nnU-Net, so small structures are seen as often as large
 * ones), then a voxel of it. Null when the case holds none of those classes.
 */
export function randomForegroundVoxel(
  index: ForegroundIndex,
  shape: Shape3,
  random: Random,
  allowedClasses?: readonly number[]
): Shape3 | null {
  let candidates: number[] = []
  if (allowedClasses) {
    for (let n = 0; n < index.classes.length; n++) if (allowedClasses.includes(index.classes[n] as number)) candidates.push(n)
  } else {
    candidates = index.classes.map((_, n) => n)
  }
  if (candidates.length === 0) return null
  const voxels = index.voxelsByClass[random.pick(candidates)] as Uint32Array
  const v = voxels[random.int(0, voxels.length - 1)] as number
  const w = v % shape[2]
  const rest = (v - w) / shape[2]
  const h = rest % shape[1]
  return [(rest - h) / shape[1], h, w]
}
