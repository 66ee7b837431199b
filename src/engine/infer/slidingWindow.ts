/**
 * Whole-volume prediction with a patch-sized network: patches tile the volume with overlap, run in
 * batches, and their class probabilities are blended with a Gaussian weight that trusts patch
 * centres more than edges (where the network saw less context), as nnU-Net does. The result is a
 * probability map [D, H, W, K] channels-last on the volume's grid; every voxel's weights sum to 1.
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { extractPatchInto } from '../data/extractPatch'
import { checkedOnGpu, PREDICT_ON_ANOTHER_BACKEND, type GpuWork } from '../backends/webgpu/gpuErrors'
import type { RemoteTilePredictor } from '../gpuHost/activeGpuHost'
import { voxelCountOfShape, type ChannelsLastImage, type Shape3 } from '../data/layout'

/** NDHWC patches in, NDHWK class probabilities out (same spatial shape). */
export type PatchPredictor = (batch: tf.Tensor5D) => tf.Tensor5D

export interface SlidingWindowOptions {
  /** [D, H, W] voxels the network takes. */
  patchShape: Shape3
  /** Share of a patch's edge that overlaps its neighbour, [0, 0.95]; default 0.5. */
  overlap?: number
  /** Patches per forward pass, ≥ 1; default 2. Memory grows with it, speed a little. */
  batchSize?: number
  /** Gaussian σ as a fraction of each patch edge, > 0; default 1/8 (nnU-Net). */
  sigmaFraction?: number
  /** Image value per channel outside the volume (patches at the border, volumes smaller than a patch); default 0. */
  padValues?: readonly number[]
  /** Awaited between batches: yields to the event loop, and may throw to abort (cancel). */
  betweenBatches?: () => Promise<void>
  /**
   * Computes the tile batches instead of `predictor`: the desktop app's GPU window (activeGpuHost.ts).
   * Each batch's probabilities must have the shape `predictor`'s would; they are checked.
   */
  remote?: RemoteTilePredictor | null
  /**
   * Passes of the whole tiling, each with the tile grid moved by a margin [d, h, w]: the tiles are
   * spread over the volume padded by the margin on every side (gridShiftMargins). Each pass is
   * blended and normalised on its own, then the passes are averaged. Default [[0, 0, 0]], one pass.
   */
  gridShifts?: readonly Shape3[]
}

export const DEFAULT_OVERLAP = 0.5
export const DEFAULT_SIGMA_FRACTION = 1 / 8

/**
 * Patch origins along one axis: evenly spread from 0 to `volume − patch` with steps of at most
 * patch·(1 − overlap). A volume shorter than the patch gets one patch centred on it (padded).
 */
export function tileOrigins(volume: number, patch: number, overlap: number): number[] {
  if (!(Number.isInteger(volume) && volume >= 1 && Number.isInteger(patch) && patch >= 1)) {
    throw new VoxloopError('INVALID_ARGUMENT', `tiling needs positive integer sizes, got volume ${volume}, patch ${patch}`)
  }
  if (!(overlap >= 0 && overlap <= 0.95)) throw new VoxloopError('INVALID_ARGUMENT', `overlap must be 0–0.95, got ${overlap}`)
  if (volume <= patch) return [Math.floor((volume - patch) / 2)]
  const maxStep = Math.max(1, Math.floor(patch * (1 - overlap)))
  const count = Math.ceil((volume - patch) / maxStep) + 1
  return Array.from({ length: count }, (_, i) => Math.round((i * (volume - patch)) / (count - 1)))
}

/**
 * Every patch origin [d, h, w] for a volume, d slowest. With a margin, the origins tile the volume
 * padded by that many voxels on each side of each axis (in the volume's coordinates, so some are
 * negative): the same coverage with the grid moved.
 */
export function tilePositions(volumeShape: Shape3, patchShape: Shape3, overlap = DEFAULT_OVERLAP, margin: Shape3 = [0, 0, 0]): Shape3[] {
  const [ds, hs, ws] = [0, 1, 2].map((axis) => {
    const m = margin[axis] as number
    if (!(Number.isInteger(m) && m >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `a tiling margin must be a non-negative integer, got ${m}`)
    return tileOrigins((volumeShape[axis] as number) + 2 * m, patchShape[axis] as number, overlap).map((o) => o - m)
  }) as [number[], number[], number[]]
  const out: Shape3[] = []
  for (const d of ds) for (const h of hs) for (const w of ws) out.push([d, h, w])
  return out
}

/**
 * Separable Gaussian over a patch, peak 1 at the centre, index w + W·(h + H·d). Values that would
 * underflow to 0 are raised to the smallest positive one, so that every voxel a patch covers gets
 * some weight (a voxel covered only by patch corners must not divide 0 by 0).
 */
export function gaussianWeights(patchShape: Shape3, sigmaFraction = DEFAULT_SIGMA_FRACTION): Float32Array {
  if (!(sigmaFraction > 0)) throw new VoxloopError('INVALID_ARGUMENT', `sigmaFraction must be > 0, got ${sigmaFraction}`)
  const axes = patchShape.map((n) => {
    const centre = (n - 1) / 2
    const sigma = n * sigmaFraction
    return Float64Array.from({ length: n }, (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)))
  }) as [Float64Array, Float64Array, Float64Array]
  const [pd, ph, pw] = patchShape
  const weights = new Float32Array(pd * ph * pw)
  let peak = 0
  for (let d = 0, o = 0; d < pd; d++) {
    for (let h = 0; h < ph; h++) {
      const dh = (axes[0][d] as number) * (axes[1][h] as number)
      for (let w = 0; w < pw; w++, o++) {
        const value = dh * (axes[2][w] as number)
        weights[o] = value
        if (value > peak) peak = value
      }
    }
  }
  let smallest = Infinity
  for (let i = 0; i < weights.length; i++) {
    weights[i] = (weights[i] as number) / peak
    if ((weights[i] as number) > 0 && (weights[i] as number) < smallest) smallest = weights[i] as number
  }
  for (let i = 0; i < weights.length; i++) if ((weights[i] as number) === 0) weights[i] = smallest
  return weights
}

/** Adds weight·probabilities of one patch into the volume's sums, for the voxels inside the volume. */
function accumulatePatch(
  probabilities: Float32Array,
  weights: Float32Array,
  origin: Shape3,
  patchShape: Shape3,
  volumeShape: Shape3,
  classes: number,
  sums: Float32Array,
  weightSums: Float32Array
): void {
  const [pd, ph, pw] = patchShape
  const [D, H, W] = volumeShape
  const w0 = Math.max(0, -origin[2])
  const w1 = Math.min(pw, W - origin[2])
  for (let d = Math.max(0, -origin[0]); d < Math.min(pd, D - origin[0]); d++) {
    for (let h = Math.max(0, -origin[1]); h < Math.min(ph, H - origin[1]); h++) {
      const patchRow = pw * (h + ph * d)
      const volumeRow = origin[2] + W * (origin[1] + h + H * (origin[0] + d))
      for (let w = w0; w < w1; w++) {
        const weight = weights[patchRow + w] as number
        const v = volumeRow + w
        weightSums[v] = (weightSums[v] as number) + weight
        for (let k = 0, src = (patchRow + w) * classes, dst = v * classes; k < classes; k++) {
          sums[dst + k] = (sums[dst + k] as number) + weight * (probabilities[src + k] as number)
        }
      }
    }
  }
}

async function remoteTiles(remote: RemoteTilePredictor, input: Float32Array, shape: [number, number, number, number, number], classes: number, work: GpuWork): Promise<Float32Array> {
  const probabilities = await remote(input, shape, work)
  const expected = voxelCountOfShape([shape[1], shape[2], shape[3]]) * shape[0] * classes
  if (probabilities.length !== expected) throw new VoxloopError('GPU_ERROR', `the GPU window returned ${probabilities.length} probabilities for a tile batch of ${expected} ${work.at}; ${work.then}`)
  return probabilities
}

/**
 * Class probabilities [D, H, W, K] (channels-last Float32Array) for the whole image. Tensors are
 * created and disposed per batch; the sums live in plain arrays, so tf.memory() is unchanged after.
 */
export async function slidingWindowPredict(image: ChannelsLastImage, predictor: PatchPredictor, classes: number, options: SlidingWindowOptions): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 2
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `batch size must be a positive integer, got ${batchSize}`)
  if (!(Number.isInteger(classes) && classes >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `classes must be a positive integer, got ${classes}`)
  const shifts = options.gridShifts ?? [[0, 0, 0]]
  if (shifts.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'gridShifts needs at least one margin')
  const passes = shifts.map((margin) => tilePositions(image.shape, options.patchShape, options.overlap ?? DEFAULT_OVERLAP, margin))
  const tileBatches = passes.reduce((n, positions) => n + Math.ceil(positions.length / batchSize), 0)
  let total: Float32Array | null = null
  let batchesBefore = 0
  for (const positions of passes) {
    const pass = await blendedPass(image, predictor, classes, options, positions, batchSize, { before: batchesBefore, of: tileBatches })
    batchesBefore += Math.ceil(positions.length / batchSize)
    if (!total) total = pass
    else for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (pass[i] as number)
  }
  const sums = total as Float32Array
  if (passes.length > 1) for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) / passes.length
  return sums
}

/** One tiling's tiles predicted and blended, normalised by the summed weights per voxel. */
async function blendedPass(
  image: ChannelsLastImage,
  predictor: PatchPredictor,
  classes: number,
  options: SlidingWindowOptions,
  positions: readonly Shape3[],
  batchSize: number,
  batches: { before: number; of: number }
): Promise<Float32Array> {
  const { patchShape } = options
  const { shape, channels } = image
  const weights = gaussianWeights(patchShape, options.sigmaFraction ?? DEFAULT_SIGMA_FRACTION)
  const voxels = voxelCountOfShape(shape)
  const sums = new Float32Array(voxels * classes)
  const weightSums = new Float32Array(voxels)
  const patchVoxels = voxelCountOfShape(patchShape)
  const padding = { mode: 'constant' as const, values: options.padValues ?? new Array<number>(channels).fill(0) }
  const source = { image: image.image, label: null, shape, channels }

  for (let first = 0; first < positions.length; first += batchSize) {
    const batch = positions.slice(first, first + batchSize)
    const input = new Float32Array(batch.length * patchVoxels * channels)
    batch.forEach((origin, b) => {
      extractPatchInto(source, origin, patchShape, padding, input.subarray(b * patchVoxels * channels, (b + 1) * patchVoxels * channels), null)
    })
    // On webgpu, a GPU error during the batch fails it here (gpuErrors.ts) instead of blending zeros or NaN.
    const batchNumber = batches.before + first / batchSize + 1
    const work = { at: `at prediction tile batch ${batchNumber} of ${batches.of}`, then: PREDICT_ON_ANOTHER_BACKEND }
    const tileShape: [number, number, number, number, number] = [batch.length, patchShape[0], patchShape[1], patchShape[2], channels]
    const remote = options.remote
    const probabilities = remote
      ? await remoteTiles(remote, input, tileShape, classes, work)
      : await checkedOnGpu(work, async () => {
          const output = tf.tidy(() => {
            const y = predictor(tf.tensor5d(input, tileShape))
            if (y.shape.join() !== [batch.length, ...patchShape, classes].join()) {
              throw new VoxloopError('INVALID_ARGUMENT', `the predictor returned shape [${y.shape.join(', ')}], expected [${[batch.length, ...patchShape, classes].join(', ')}]`)
            }
            return y
          })
          try {
            return (await output.data()) as Float32Array
          } finally {
            output.dispose()
          }
        })
    batch.forEach((origin, b) => {
      accumulatePatch(probabilities.subarray(b * patchVoxels * classes, (b + 1) * patchVoxels * classes), weights, origin, patchShape, shape, classes, sums, weightSums)
    })
    await options.betweenBatches?.()
  }
  for (let v = 0, o = 0; v < voxels; v++) {
    const norm = 1 / (weightSums[v] as number)
    for (let k = 0; k < classes; k++, o++) sums[o] = (sums[o] as number) * norm
  }
  return sums
}
