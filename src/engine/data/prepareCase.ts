/**
 * One case, made ready for training or inference once: resampled to the target spacing, normalised
 * for its modality, laid out channels-last, with its foreground voxels indexed per class; plus what
 * is needed to put a prediction back on the original grid.
 */
import { VoxloopError } from '../../shared/errors'
import type { Modality } from '../../shared/project'
import type { LabelVolume, Vec3, Volume } from '../../shared/volume'
import { buildForegroundIndex, type ForegroundIndex } from './foregroundIndex'
import { channelsLastFromVolume, dimsFromShape, labelMapFromLabelVolume, sameShape, shapeFromDims, type Shape3 } from './layout'
import { applyTurn, canonicalTurn, IDENTITY_TURN, turnedVec3, type CanonicalTurn } from './reorient'
import { normalizeIntensitiesInPlace, type ChannelNormalization, type NormalizationOptions } from './normalize'
import { resampledShape, resampleArgmax, resampleLinear, resampleNearest, spacingAfterResample } from './resample'

export interface PrepareCaseOptions {
  /** Voxel size to resample to, in mm, [x, y, z] order like VolumeHeader.spacing; null keeps the image's grid. */
  targetSpacing: Vec3 | null
  /** Chooses the normalisation: CT → window, MR and other → robust z-score. */
  modality: Modality
  /** Overrides of DEFAULT_NORMALIZATION. */
  normalization?: Partial<NormalizationOptions>
  /** Carried along for logs and for the batch sampler's fingerprint; default ''. */
  id?: string
  /**
   * Turn the case to RAS axis order first (reorient.ts), so that files stored LPS, RAS or any other
   * way look the same to the network; results go back onto the input's grid. Default true.
   */
  canonical?: boolean
}

/** The grid of the source volume, for mapping results back. */
export interface OriginalGrid {
  shape: Shape3
  /** [x, y, z] mm. */
  spacingMm: Vec3
  /** The turn to canonical (RAS) axis order that was applied before resampling. */
  turn: CanonicalTurn
  /** The source grid's shape after that turn (what results are resampled back to before turning back). */
  canonicalShape: Shape3
}

export interface PreparedCase {
  id: string
  /** Channels-last normalised intensities, index c + C*(w + W*(h + H*d)). */
  image: Float32Array
  /** Label map on the same grid, or null for an unlabelled case. */
  label: Uint8Array | null
  shape: Shape3
  channels: number
  /** Actual voxel size after resampling, [x, y, z] mm (the target up to rounding of the voxel counts). */
  spacingMm: Vec3
  /** Labelled voxels per class; null without a label. */
  foreground: ForegroundIndex | null
  /** Lowest normalised value per channel ("nothing": air, background), used to pad patches. */
  padValues: number[]
  /** What normalisation was applied per channel; store it with a model to check inference inputs. */
  normalization: ChannelNormalization[]
  original: OriginalGrid
}

export function prepareCase(image: Volume, label: LabelVolume | null, options: PrepareCaseOptions): PreparedCase {
  const inputShape = shapeFromDims(image.header.dims)
  const inputSpacing: Vec3 = [...image.header.spacing]
  let inputLabels: Uint8Array | null = null
  if (label) {
    if (!sameShape(shapeFromDims(label.header.dims), inputShape)) {
      throw new VoxloopError('GRID_MISMATCH', `label dims ${label.header.dims.join('×')} differ from image dims ${image.header.dims.join('×')}`)
    }
    inputLabels = labelMapFromLabelVolume(label)
  }
  const turn = options.canonical === false ? IDENTITY_TURN : canonicalTurn(image.header.rasFromIjk)
  const canonicalDims = turnedVec3(image.header.dims, turn)
  // From here on the case is in canonical axis order; `original` keeps how to go back.
  const originalShape = shapeFromDims(canonicalDims)
  const originalSpacing = turnedVec3(inputSpacing, turn)
  const labelMap = inputLabels ? applyTurn(inputLabels, image.header.dims, 1, turn) : null
  const turned: Volume = { header: { ...image.header, dims: canonicalDims, spacing: originalSpacing }, data: applyTurn(image.data, image.header.dims, image.header.channels, turn) }
  const source = channelsLastFromVolume(turned)
  const shape = options.targetSpacing ? resampledShape(originalShape, originalSpacing, options.targetSpacing) : originalShape
  // Resample before normalising: the statistics then describe exactly what the network sees, and a
  // large volume is normalised at the (usually smaller) training resolution.
  const resampled = { image: resampleLinear(source.image, source.channels, originalShape, shape), shape, channels: source.channels }
  const normalization = normalizeIntensitiesInPlace(resampled, options.modality, options.normalization)
  const resampledLabel = labelMap ? resampleNearest(labelMap, originalShape, shape) : null
  return {
    id: options.id ?? '',
    image: resampled.image,
    label: resampledLabel,
    shape,
    channels: source.channels,
    spacingMm: spacingAfterResample(originalSpacing, originalShape, shape),
    foreground: resampledLabel ? buildForegroundIndex(resampledLabel) : null,
    padValues: channelMinima(resampled.image, source.channels),
    normalization,
    original: { shape: inputShape, spacingMm: inputSpacing, turn, canonicalShape: originalShape }
  }
}

function channelMinima(image: Float32Array, channels: number): number[] {
  const out = new Array<number>(channels).fill(Infinity)
  for (let v = 0; v < image.length; v += channels) {
    for (let c = 0; c < channels; c++) if ((image[v + c] as number) < (out[c] as number)) out[c] = image[v + c] as number
  }
  return out.map((x) => (Number.isFinite(x) ? x : 0))
}

type GridPair = Pick<PreparedCase, 'shape' | 'original'>

/**
 * Class scores [D, H, W, K] (probabilities or logits) on the prepared grid → label map on the
 * original grid (index i + nx*(j + ny*k), i.e. a LabelVolume's data): linear resampling, then argmax.
 */
export function predictionToOriginalGrid(scores: Float32Array, classes: number, prepared: GridPair): Uint8Array {
  return turnBack(resampleArgmax(scores, classes, prepared.shape, prepared.original.canonicalShape), 1, prepared)
}

/** A label map on the prepared grid → the original grid, by nearest neighbour. */
export function labelMapToOriginalGrid(labelMap: Uint8Array, prepared: GridPair): Uint8Array {
  return turnBack(resampleNearest(labelMap, prepared.shape, prepared.original.canonicalShape), 1, prepared)
}

/**
 * Any channels-last float map on the prepared grid (e.g. uncertainty) → the original grid, linearly.
 * Channels-last on one channel is the same as a plain volume; several channels come back channels-last.
 */
export function valuesToOriginalGrid(values: Float32Array, channels: number, prepared: GridPair): Float32Array {
  const resampled = resampleLinear(values, channels, prepared.shape, prepared.original.canonicalShape)
  if (channels === 1) return turnBack(resampled, 1, prepared)
  // Channels-last: turn each voxel's run of channels as one unit by turning channel planes.
  const voxels = resampled.length / channels
  const planar = new Float32Array(resampled.length)
  for (let v = 0; v < voxels; v++) for (let c = 0; c < channels; c++) planar[c * voxels + v] = resampled[c + channels * v] as number
  const back = turnBack(planar, channels, prepared)
  const out = new Float32Array(back.length)
  for (let v = 0; v < voxels; v++) for (let c = 0; c < channels; c++) out[c + channels * v] = back[c * voxels + v] as number
  return out
}

/** Undoes the canonical turn of a NIfTI-ordered array on the canonical source grid. */
function turnBack<T extends Uint8Array | Float32Array>(data: T, channels: number, prepared: GridPair): T {
  return applyTurn(data, dimsFromShape(prepared.original.canonicalShape), channels, prepared.original.turn, true)
}
