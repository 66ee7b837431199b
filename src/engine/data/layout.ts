/**
 * The memory layout of training data, and conversions from and to `Volume`.
 *
 * TensorFlow.js conv3d takes NDHWC tensors, so the engine keeps images channels-last:
 *
 *   image[c + C*(w + W*(h + H*d))]   shape [D, H, W], C channels
 *   label[w + W*(h + H*d)]           shape [D, H, W]
 *
 * with w ↔ voxel i (x), h ↔ j (y), d ↔ k (z). A `Volume` is channel-major with i fastest
 * (i + nx*(j + ny*(k + nz*c))), so for one channel both layouts are the same bytes; only the
 * channel axis moves. Shapes in this folder are always [D, H, W] (= [nz, ny, nx]) and named `shape`;
 * spacings stay in the header's [x, y, z] order and are named `spacingMm`.
 */
import { VoxloopError } from '../../shared/errors'
import type { LabelVolume, Vec3, Volume } from '../../shared/volume'

/** [D, H, W] = [nz, ny, nx] voxels. */
export type Shape3 = [d: number, h: number, w: number]

/** One training example (or patch) in NDHWC order without the batch axis. */
export interface TrainingSample {
  /** Channels-last intensities: index c + C*(w + W*(h + H*d)). */
  image: Float32Array
  /** Class ids 0–255: index w + W*(h + H*d). */
  label: Uint8Array
  shape: Shape3
  channels: number
}

/** A channels-last image without a label (inference input, or a case before its label exists). */
export interface ChannelsLastImage {
  image: Float32Array
  shape: Shape3
  channels: number
}

export const SPATIAL_AXES = ['d', 'h', 'w'] as const
/** 0 = d (z, slices), 1 = h (y, rows), 2 = w (x, columns). */
export type SpatialAxis = 0 | 1 | 2

export function shapeFromDims(dims: Vec3): Shape3 {
  return [dims[2], dims[1], dims[0]]
}

export function dimsFromShape(shape: Shape3): Vec3 {
  return [shape[2], shape[1], shape[0]]
}

export function voxelCountOfShape(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2]
}

/** Position of (d, h, w, c) in a channels-last image. */
export function imageIndex(shape: Shape3, channels: number, d: number, h: number, w: number, c: number): number {
  return c + channels * (w + shape[2] * (h + shape[1] * d))
}

/** Position of (d, h, w) in a label map (or one channel of a channel-major volume). */
export function labelIndex(shape: Shape3, d: number, h: number, w: number): number {
  return w + shape[2] * (h + shape[1] * d)
}

export function sameShape(a: Shape3, b: Shape3): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2]
}

/**
 * A volume's voxels as a new channels-last Float32Array (always a copy, so callers may normalise it
 * in place without touching the volume).
 */
export function channelsLastFromVolume(volume: Volume): ChannelsLastImage {
  const { dims, channels } = volume.header
  const shape = shapeFromDims(dims)
  const n = voxelCountOfShape(shape)
  if (volume.data.length !== n * channels) {
    throw new VoxloopError('INVALID_ARGUMENT', `volume data holds ${volume.data.length} values, expected ${n} × ${channels} channels`)
  }
  return { image: channelsLastFromChannelMajor(volume.data, n, channels), shape, channels }
}

/** Interleaves planar channels: out[c + C*v] = planar[v + n*c]. */
export function channelsLastFromChannelMajor(planar: ArrayLike<number>, voxels: number, channels: number): Float32Array {
  const out = new Float32Array(voxels * channels)
  if (channels === 1) {
    for (let v = 0; v < voxels; v++) out[v] = planar[v] as number
    return out
  }
  for (let c = 0; c < channels; c++) {
    const base = c * voxels
    for (let v = 0; v < voxels; v++) out[c + channels * v] = planar[base + v] as number
  }
  return out
}

/** The inverse of `channelsLastFromChannelMajor`: out[v + n*c] = interleaved[c + C*v]. */
export function channelMajorFromChannelsLast(interleaved: Float32Array, voxels: number, channels: number): Float32Array {
  if (channels === 1) return interleaved.slice()
  const out = new Float32Array(voxels * channels)
  for (let c = 0; c < channels; c++) {
    const base = c * voxels
    for (let v = 0; v < voxels; v++) out[base + v] = interleaved[c + channels * v] as number
  }
  return out
}

/**
 * A label volume as the engine's Uint8Array label map (same voxel order). Returns the volume's own
 * array when it is already Uint8Array; label ids above 255 do not fit the training layout and fail.
 */
export function labelMapFromLabelVolume(label: LabelVolume): Uint8Array {
  if (label.header.channels !== 1) throw new VoxloopError('INVALID_ARGUMENT', `a label map has one channel, not ${label.header.channels}`)
  const { data } = label
  if (data instanceof Uint8Array) return data
  const out = new Uint8Array(data.length)
  for (let v = 0; v < data.length; v++) {
    const value = data[v] as number
    if (value > 255) throw new VoxloopError('INVALID_ARGUMENT', `label ${value} is above 255; training supports at most 255 classes`)
    out[v] = value
  }
  return out
}

/**
 * Per-voxel argmax over K channels-last class scores (probabilities or logits) [D, H, W, K] → label
 * map [D, H, W]. Ties go to the lower class id, so an all-equal voxel is background.
 */
export function argmaxChannelsLast(scores: Float32Array, classes: number): Uint8Array {
  if (classes < 1 || classes > 256 || scores.length % classes !== 0) {
    throw new VoxloopError('INVALID_ARGUMENT', `cannot take the argmax of ${scores.length} scores over ${classes} classes`)
  }
  const voxels = scores.length / classes
  const out = new Uint8Array(voxels)
  for (let v = 0, base = 0; v < voxels; v++, base += classes) {
    let best = 0
    let bestScore = scores[base] as number
    for (let k = 1; k < classes; k++) {
      const score = scores[base + k] as number
      if (score > bestScore) {
        bestScore = score
        best = k
      }
    }
    out[v] = best
  }
  return out
}
