/**
 * Intensity normalisation by modality, per channel, once per case (prepareCase) and identically at
 * inference, so a model never depends on a scanner's arbitrary units.
 *
 * - MR / other: z-score per volume. MR units are arbitrary (the hippocampus set holds a case stored
 *   ~100× brighter than its neighbours, with isolated voxels far above the rest), so the statistics
 *   come from the foreground voxels clipped to their 0.5–99.5 percentiles, and by default the output
 *   is clipped there too: a few hot voxels can move neither the mean nor the range.
 * - CT: Hounsfield units are absolute, so a fixed window is clipped and mapped linearly to a fixed
 *   range; `foregroundIntensityWindow` derives a window from labelled voxels over a dataset (as
 *   nnU-Net does) for use as that fixed window at training and inference alike.
 *
 * Every normalisation is recorded as `clamp(x, clip) → (x − offset) · scale`, a plain JSON object
 * that can be stored with a model and checked or re-applied later.
 */
import { VoxloopError } from '../../shared/errors'
import type { Modality } from '../../shared/project'
import type { ChannelsLastImage } from './layout'
import { percentilesInPlace } from './percentile'

export interface ZScoreOptions {
  /**
   * Which voxels the statistics come from. 'nonzero' (default) ignores exact zeros, the padding and
   * background of cropped or skull-stripped MR (falls back to all voxels when none is non-zero);
   * 'all' uses every voxel.
   */
  statisticsFrom: 'nonzero' | 'all'
  /** Percentiles (0–100) of those voxels that bound the statistics. Default [0.5, 99.5]; [0, 100] keeps everything. */
  clipPercentiles: [number, number]
  /** Whether the output is clipped to the same percentiles too (default true), bounding the range. */
  clipOutput: boolean
}

export interface CtWindowOptions {
  /** Window [lower, upper] in HU (or the image's units); default [-1000, 1000]: air to dense bone. */
  windowHu: [number, number]
  /** Range the window maps to; default [-1, 1], so air is −1 and water 0. */
  outputRange: [number, number]
}

export interface NormalizationOptions {
  zScore: ZScoreOptions
  ctWindow: CtWindowOptions
  /**
   * A fixed normalisation per channel (a model's dataset-wide CT scheme, see fingerprint.ts): used
   * as given instead of computing one, whatever the modality.
   */
  fixed?: readonly ChannelNormalization[]
}

export const DEFAULT_NORMALIZATION: Readonly<NormalizationOptions> = Object.freeze<NormalizationOptions>({
  zScore: { statisticsFrom: 'nonzero', clipPercentiles: [0.5, 99.5], clipOutput: true },
  ctWindow: { windowHu: [-1000, 1000], outputRange: [-1, 1] }
})

/** What was applied to one channel: out = (clamp(x, clip[0], clip[1]) − offset) · scale. */
export interface ChannelNormalization {
  kind: 'zscore' | 'window'
  /** Input range clamped to first, or null for none. */
  clip: [number, number] | null
  offset: number
  scale: number
}

export interface NormalizedImage extends ChannelsLastImage {
  normalization: ChannelNormalization[]
}

/** Copies one channel's usable values (finite; non-zero when asked) into a scratch array. */
function channelValues(image: Float32Array, channels: number, channel: number, nonzeroOnly: boolean): Float32Array {
  let count = 0
  for (let v = channel; v < image.length; v += channels) {
    const x = image[v] as number
    if (Number.isFinite(x) && (!nonzeroOnly || x !== 0)) count++
  }
  const out = new Float32Array(count)
  let o = 0
  for (let v = channel; v < image.length; v += channels) {
    const x = image[v] as number
    if (Number.isFinite(x) && (!nonzeroOnly || x !== 0)) out[o++] = x
  }
  return out
}

/** Robust z-score statistics of one channel of a channels-last image. */
export function zScoreNormalization(image: Float32Array, channels: number, channel: number, options: ZScoreOptions = DEFAULT_NORMALIZATION.zScore): ChannelNormalization {
  const [pLow, pHigh] = options.clipPercentiles
  if (!(pLow >= 0 && pLow < pHigh && pHigh <= 100)) {
    throw new VoxloopError('INVALID_ARGUMENT', `clipPercentiles must satisfy 0 ≤ low < high ≤ 100, got [${pLow}, ${pHigh}]`)
  }
  let values = channelValues(image, channels, channel, options.statisticsFrom === 'nonzero')
  if (values.length === 0) values = channelValues(image, channels, channel, false)
  if (values.length === 0) return { kind: 'zscore', clip: null, offset: 0, scale: 1 }
  const [low, high] = percentilesInPlace(values, [pLow, pHigh]) as [number, number]
  // Welford's update: stable for large counts of large values (case 044 reaches 3.6e5).
  let mean = 0
  let m2 = 0
  for (let v = 0; v < values.length; v++) {
    const x = Math.min(high, Math.max(low, values[v] as number))
    const delta = x - mean
    mean += delta / (v + 1)
    m2 += delta * (x - mean)
  }
  const std = Math.sqrt(m2 / values.length)
  // A constant channel has no scale to divide by: centre it and leave its units alone.
  const scale = std > 1e-8 * Math.max(1, Math.abs(mean)) ? 1 / std : 1
  return { kind: 'zscore', clip: options.clipOutput ? [low, high] : null, offset: mean, scale }
}

/** The fixed linear map of a CT window onto the output range. */
export function ctWindowNormalization(options: CtWindowOptions = DEFAULT_NORMALIZATION.ctWindow): ChannelNormalization {
  const [lower, upper] = options.windowHu
  const [outLow, outHigh] = options.outputRange
  if (!(lower < upper) || !(outLow < outHigh)) {
    throw new VoxloopError('INVALID_ARGUMENT', `window [${lower}, ${upper}] and output range [${outLow}, ${outHigh}] must each be increasing`)
  }
  const scale = (outHigh - outLow) / (upper - lower)
  // (x − offset)·scale maps lower → outLow and upper → outHigh.
  return { kind: 'window', clip: [lower, upper], offset: lower - outLow / scale, scale }
}

/** Applies a recorded normalisation to one channel in place; non-finite voxels become the clip's low end (or 0). */
export function applyNormalizationInPlace(image: Float32Array, channels: number, channel: number, n: ChannelNormalization): void {
  const low = n.clip ? n.clip[0] : -Infinity
  const high = n.clip ? n.clip[1] : Infinity
  const fill = n.clip ? (n.clip[0] - n.offset) * n.scale : 0
  for (let v = channel; v < image.length; v += channels) {
    const x = image[v] as number
    image[v] = Number.isFinite(x) ? (Math.min(high, Math.max(low, x)) - n.offset) * n.scale : fill
  }
}

/** The normalisation of every channel of an image for a modality (computed, not applied). */
export function normalizationFor(
  image: ChannelsLastImage,
  modality: Modality,
  options: Partial<NormalizationOptions> = {}
): ChannelNormalization[] {
  if (options.fixed) {
    if (options.fixed.length !== image.channels) {
      throw new VoxloopError('INVALID_ARGUMENT', `the model normalises ${options.fixed.length} channel(s); the image has ${image.channels}`)
    }
    return options.fixed.map((n) => ({ ...n, clip: n.clip ? [...n.clip] : null }))
  }
  const zScore = { ...DEFAULT_NORMALIZATION.zScore, ...options.zScore }
  const ctWindow = { ...DEFAULT_NORMALIZATION.ctWindow, ...options.ctWindow }
  const out: ChannelNormalization[] = []
  for (let c = 0; c < image.channels; c++) {
    out.push(modality === 'CT' ? ctWindowNormalization(ctWindow) : zScoreNormalization(image.image, image.channels, c, zScore))
  }
  return out
}

/** Normalises every channel of `image.image` in place and returns what was applied. */
export function normalizeIntensitiesInPlace(image: ChannelsLastImage, modality: Modality, options: Partial<NormalizationOptions> = {}): ChannelNormalization[] {
  const normalization = normalizationFor(image, modality, options)
  normalization.forEach((n, c) => applyNormalizationInPlace(image.image, image.channels, c, n))
  return normalization
}

/** A normalised copy of `image` (the input is left as it was). */
export function normalizeIntensities(image: ChannelsLastImage, modality: Modality, options: Partial<NormalizationOptions> = {}): NormalizedImage {
  const copy: ChannelsLastImage = { image: image.image.slice(), shape: image.shape, channels: image.channels }
  const normalization = normalizeIntensitiesInPlace(copy, modality, options)
  return { ...copy, normalization }
}

export interface ForegroundWindowOptions {
  /** Percentiles (0–100) of labelled voxels' intensities; default [0.5, 99.5] as in nnU-Net. */
  percentiles: [number, number]
  /** Channel whose intensities are used; default 0. */
  channel: number
  /** At most this many voxels per case (an even stride through the foreground); default 10,000 as in nnU-Net. */
  maxVoxelsPerCase: number
}

/**
 * A dataset-wide intensity window from the voxels labelled > 0 across cases: for CT, a window fitted
 * to the structures being segmented (pass it as `ctWindow.windowHu`). Images and labels are on the
 * same grid, channels-last.
 */
export function foregroundIntensityWindow(
  cases: readonly { image: Float32Array; channels: number; label: Uint8Array }[],
  options: Partial<ForegroundWindowOptions> = {}
): [number, number] {
  const { percentiles, channel, maxVoxelsPerCase } = { percentiles: [0.5, 99.5] as [number, number], channel: 0, maxVoxelsPerCase: 10_000, ...options }
  const picked: number[] = []
  for (const { image, channels, label } of cases) {
    let foreground = 0
    for (let v = 0; v < label.length; v++) if (label[v] !== 0) foreground++
    const stride = Math.max(1, Math.ceil(foreground / maxVoxelsPerCase))
    let seen = 0
    for (let v = 0; v < label.length; v++) {
      if (label[v] === 0) continue
      const x = image[channel + channels * v] as number
      if (seen++ % stride === 0 && Number.isFinite(x)) picked.push(x)
    }
  }
  if (picked.length === 0) throw new VoxloopError('INVALID_ARGUMENT', 'no labelled voxels to derive an intensity window from')
  const [low, high] = percentilesInPlace(Float32Array.from(picked), percentiles) as [number, number]
  return high > low ? [low, high] : [low, low + 1]
}
