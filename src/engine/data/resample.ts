/**
 * Resampling between grids that cover the same physical box: images linearly, label maps by nearest
 * neighbour, class scores linearly followed by argmax (for mapping predictions back).
 *
 * Grid convention: voxel centres sit at (o + ½)·(nIn / nOut) − ½ in input voxels (“align corners
 * false”), so the outer faces of the first and last voxels coincide on both grids. This makes the
 * forward and backward maps exact inverses up to interpolation and keeps the volume's extent (and so
 * its world position) unchanged; only the voxel size changes: spacing × nIn / nOut. Positions outside
 * [0, n − 1] (the outer half voxel when upsampling) repeat the edge value.
 */
import { VoxloopError } from '../../shared/errors'
import type { Vec3 } from '../../shared/volume'
import { sameShape, voxelCountOfShape, type Shape3 } from './layout'

/**
 * Voxels per axis after resampling from `spacingMm` to `targetSpacingMm` (both [x, y, z] mm; the
 * shape is [D, H, W] = [z, y, x]). Rounds to the nearest count, at least 1, as nnU-Net does.
 */
export function resampledShape(shape: Shape3, spacingMm: Vec3, targetSpacingMm: Vec3): Shape3 {
  for (const s of [...spacingMm, ...targetSpacingMm]) {
    if (!(s > 0) || !Number.isFinite(s)) throw new VoxloopError('INVALID_ARGUMENT', `spacing must be positive mm, got ${s}`)
  }
  const axis = (n: number, from: number, to: number): number => Math.max(1, Math.round((n * from) / to))
  return [axis(shape[0], spacingMm[2], targetSpacingMm[2]), axis(shape[1], spacingMm[1], targetSpacingMm[1]), axis(shape[2], spacingMm[0], targetSpacingMm[0])]
}

/** The voxel size ([x, y, z] mm) that a resample from `fromShape` to `toShape` actually gives. */
export function spacingAfterResample(spacingMm: Vec3, fromShape: Shape3, toShape: Shape3): Vec3 {
  return [(spacingMm[0] * fromShape[2]) / toShape[2], (spacingMm[1] * fromShape[1]) / toShape[1], (spacingMm[2] * fromShape[0]) / toShape[0]]
}

/** Per output index along one axis: the two input neighbours and the weight of the upper one. */
interface LinearAxis {
  lower: Int32Array
  upper: Int32Array
  weight: Float64Array
}

function linearAxis(nIn: number, nOut: number): LinearAxis {
  const lower = new Int32Array(nOut)
  const upper = new Int32Array(nOut)
  const weight = new Float64Array(nOut)
  const scale = nIn / nOut
  for (let o = 0; o < nOut; o++) {
    const x = Math.min(nIn - 1, Math.max(0, (o + 0.5) * scale - 0.5))
    const x0 = Math.floor(x)
    lower[o] = x0
    upper[o] = Math.min(nIn - 1, x0 + 1)
    weight[o] = x - x0
  }
  return { lower, upper, weight }
}

function nearestAxis(nIn: number, nOut: number): Int32Array {
  const index = new Int32Array(nOut)
  const scale = nIn / nOut
  // floor((o + ½)·scale) is the input voxel whose extent contains the output centre.
  for (let o = 0; o < nOut; o++) index[o] = Math.min(nIn - 1, Math.floor((o + 0.5) * scale))
  return index
}

function checkLength(length: number, shape: Shape3, channels: number, what: string): void {
  if (length !== voxelCountOfShape(shape) * channels) {
    throw new VoxloopError('INVALID_ARGUMENT', `${what} holds ${length} values, expected [${shape.join(', ')}] × ${channels}`)
  }
}

/**
 * Visits every output voxel with its 8 input neighbours (channels-last base offsets, already
 * multiplied by `channels`) and trilinear weights. Shared by the image and argmax resamplers so both
 * use exactly the same geometry.
 */
function forEachTrilinear(
  fromShape: Shape3,
  toShape: Shape3,
  channels: number,
  visit: (out: number, offsets: Int32Array, weights: Float64Array) => void
): void {
  const [, hIn, wIn] = fromShape
  const ad = linearAxis(fromShape[0], toShape[0])
  const ah = linearAxis(fromShape[1], toShape[1])
  const aw = linearAxis(fromShape[2], toShape[2])
  const offsets = new Int32Array(8)
  const weights = new Float64Array(8)
  let out = 0
  for (let d = 0; d < toShape[0]; d++) {
    const d0 = ad.lower[d] as number
    const d1 = ad.upper[d] as number
    const td = ad.weight[d] as number
    for (let h = 0; h < toShape[1]; h++) {
      const hLo = ah.lower[h] as number
      const hHi = ah.upper[h] as number
      const r00 = (hLo + hIn * d0) * wIn
      const r01 = (hHi + hIn * d0) * wIn
      const r10 = (hLo + hIn * d1) * wIn
      const r11 = (hHi + hIn * d1) * wIn
      const th = ah.weight[h] as number
      const wd0h0 = (1 - td) * (1 - th)
      const wd0h1 = (1 - td) * th
      const wd1h0 = td * (1 - th)
      const wd1h1 = td * th
      for (let w = 0; w < toShape[2]; w++, out++) {
        const w0 = aw.lower[w] as number
        const w1 = aw.upper[w] as number
        const tw = aw.weight[w] as number
        offsets[0] = (r00 + w0) * channels
        offsets[1] = (r00 + w1) * channels
        offsets[2] = (r01 + w0) * channels
        offsets[3] = (r01 + w1) * channels
        offsets[4] = (r10 + w0) * channels
        offsets[5] = (r10 + w1) * channels
        offsets[6] = (r11 + w0) * channels
        offsets[7] = (r11 + w1) * channels
        weights[0] = wd0h0 * (1 - tw)
        weights[1] = wd0h0 * tw
        weights[2] = wd0h1 * (1 - tw)
        weights[3] = wd0h1 * tw
        weights[4] = wd1h0 * (1 - tw)
        weights[5] = wd1h0 * tw
        weights[6] = wd1h1 * (1 - tw)
        weights[7] = wd1h1 * tw
        visit(out, offsets, weights)
      }
    }
  }
}

/**
 * Trilinear resampling of a channels-last image. Returns `image` itself (no copy) when the shapes
 * already match, which is the case whenever the spacing already equals the target.
 */
export function resampleLinear(image: Float32Array, channels: number, fromShape: Shape3, toShape: Shape3): Float32Array {
  checkLength(image.length, fromShape, channels, 'image')
  if (sameShape(fromShape, toShape)) return image
  const out = new Float32Array(voxelCountOfShape(toShape) * channels)
  forEachTrilinear(fromShape, toShape, channels, (o, offsets, weights) => {
    for (let c = 0; c < channels; c++) {
      let sum = 0
      for (let k = 0; k < 8; k++) sum += (weights[k] as number) * (image[(offsets[k] as number) + c] as number)
      out[o * channels + c] = sum
    }
  })
  return out
}

/** Nearest-neighbour resampling of a label map (values are copied, never blended). Same array when shapes match. */
export function resampleNearest(label: Uint8Array, fromShape: Shape3, toShape: Shape3): Uint8Array {
  checkLength(label.length, fromShape, 1, 'label map')
  if (sameShape(fromShape, toShape)) return label
  const [, hIn, wIn] = fromShape
  const nd = nearestAxis(fromShape[0], toShape[0])
  const nh = nearestAxis(fromShape[1], toShape[1])
  const nw = nearestAxis(fromShape[2], toShape[2])
  const out = new Uint8Array(voxelCountOfShape(toShape))
  let o = 0
  for (let d = 0; d < toShape[0]; d++) {
    for (let h = 0; h < toShape[1]; h++) {
      const row = ((nh[h] as number) + hIn * (nd[d] as number)) * wIn
      for (let w = 0; w < toShape[2]; w++, o++) out[o] = label[row + (nw[w] as number)] as number
    }
  }
  return out
}

/**
 * Class scores [D, H, W, K] on `fromShape` → label map on `toShape`: each class is interpolated
 * linearly and the largest wins, without materialising the resampled K-channel array. Resampling
 * probabilities rather than labels gives smooth boundaries when the prediction grid is coarser.
 */
export function resampleArgmax(scores: Float32Array, classes: number, fromShape: Shape3, toShape: Shape3): Uint8Array {
  checkLength(scores.length, fromShape, classes, 'class scores')
  if (classes < 1 || classes > 256) throw new VoxloopError('INVALID_ARGUMENT', `classes must be 1–256, got ${classes}`)
  const out = new Uint8Array(voxelCountOfShape(toShape))
  forEachTrilinear(fromShape, toShape, classes, (o, offsets, weights) => {
    let best = 0
    let bestScore = -Infinity
    for (let c = 0; c < classes; c++) {
      let sum = 0
      for (let k = 0; k < 8; k++) sum += (weights[k] as number) * (scores[(offsets[k] as number) + c] as number)
      if (sum > bestScore) {
        bestScore = sum
        best = c
      }
    }
    out[o] = best
  })
  return out
}
