/**
 * Test-time augmentation by moving the tile grid: the sliding window runs once more with its tiles
 * moved by half the network's downsampling factor along each pooled axis, and the passes are
 * averaged (slidingWindow.ts, `gridShifts`). A U-Net that pools by 2^depth is not shift-equivariant
 * at finer steps than that, so each pass sees the case on another pooling grid: an ensemble of one
 * model that needs no mirroring (which hippocampus-like labels, with a head and a tail, cannot take;
 * mirrorAxes.ts) and no training time.
 *
 * Measured on the cross-validation benches' kept models (docs/TRAINING.md, "Prediction with moved
 * tile grids"): the 8 passes of a 3D network raised held-out Dice on hippocampus over one pass,
 * and the 4 in-plane passes of a 2D network lung Dice on the chest X-rays.
 * The passes multiply prediction time, so a case gets as many as fit in PREDICTION_TILE_BUDGET
 * tile voxels: a small case all of them, a large CT one (as before).
 */
import type { TrainingPlan } from '../../shared/training'
import type { Shape3 } from '../data/layout'
import { architectureOf } from '../model/architectures'
import { DEFAULT_OVERLAP, tilePositions } from './slidingWindow'

/**
 * Tile voxels (tiles × patch voxels, over all passes) a case's prediction may spend on grid passes:
 * 2^23, about 170 tiles of the hippocampus's 32×48×32 patch (8 passes × 8 tiles need 64), or
 * 8 tiles of a 128³ patch.
 */
export const PREDICTION_TILE_BUDGET = 2 ** 23

/**
 * The grid margins for a network whose patch edges are multiples of `divisor` (2^depth on each
 * pooled axis, 1 on the others): [0, 0, 0] first, then every other combination of 0 and divisor/2
 * per pooled axis, the diagonal (all axes moved) second. 8 for a 3D network, 4 for a 2D one.
 */
export function gridShiftMargins(divisor: Shape3): Shape3[] {
  const half = divisor.map((d) => Math.floor(d / 2)) as Shape3
  const options = half.map((h) => (h > 0 ? [0, h] : [0])) as [number[], number[], number[]]
  const all: Shape3[] = []
  for (const d of options[0]) for (const h of options[1]) for (const w of options[2]) all.push([d, h, w])
  const [first, ...rest] = all
  const diagonal = rest.pop()
  return [first as Shape3, ...(diagonal ? [diagonal] : []), ...rest]
}

/**
 * The margins a case's prediction uses: the leading ones of gridShiftMargins(divisor) whose tiles
 * together stay within `budget` tile voxels; always at least the plain pass. A margin whose tiles
 * are those of a pass already chosen is left out: along an axis where the case with its margins is
 * no longer than the patch, one centred tile stands in the same place whatever the margin, and
 * repeating a pass would cost its time and change nothing (the passes come in equal multiples, so
 * the average is the same without them).
 */
export function gridShiftsFor(divisor: Shape3, volumeShape: Shape3, patchShape: Shape3, overlap = DEFAULT_OVERLAP, budget = PREDICTION_TILE_BUDGET): Shape3[] {
  const patchVoxels = patchShape[0] * patchShape[1] * patchShape[2]
  const chosen: Shape3[] = []
  const tilings = new Set<string>()
  let spent = 0
  for (const margin of gridShiftMargins(divisor)) {
    const positions = tilePositions(volumeShape, patchShape, overlap, margin)
    const key = positions.map((p) => p.join(',')).join(';')
    if (tilings.has(key)) continue
    const cost = positions.length * patchVoxels
    if (chosen.length > 0 && spent + cost > budget) break
    chosen.push(margin)
    tilings.add(key)
    spent += cost
  }
  return chosen
}

/**
 * The margins for a model version's plan on a prepared case of `volumeShape`: a 3D network's up to
 * 8, a 2D network's up to 4 (moved in the plane it pools; measured on the 2D bench's kept models,
 * docs/TRAINING.md).
 */
export function gridShiftsOfPlan(plan: Pick<TrainingPlan, 'architecture' | 'model' | 'patchSize'>, volumeShape: Shape3): Shape3[] {
  const network = architectureOf(plan)
  return gridShiftsFor(network.divisorOf(plan.model), volumeShape, plan.patchSize)
}
