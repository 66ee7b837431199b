/**
 * One case, made ready for training or inference once: resampled to the target spacing, normalised
 * for its modality, laid out channels-last, with its foreground voxels indexed per class; plus what
 * is needed to put a prediction back on the original grid.
 */
import { VoxloopError } from '../../shared/errors'
import type { Modality } from '../../shared/project'
import type { LabelVolume, Vec3, Volume } from '../../shared/volume'
import { buildForegroundIndex, type ForegroundIndex } from './foregroundIndex'
import { channelsLastFromVolume, labelMapFromLabelVolume, sameShape, shapeFromDims, type Shape3 } from './layout'
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
}

/** The grid of the source volume, for mapping results back. */
export interface OriginalGrid {
  shape: Shape3
  /** [x, y, z] mm. */
  spacingMm: Vec3
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
  const originalShape = shapeFromDims(image.header.dims)
  const originalSpacing: Vec3 = [...image.header.spacing]
  let labelMap: Uint8Array | null = null
  if (label) {
    if (!sameShape(shapeFromDims(label.header.dims), originalShape)) {
      throw new VoxloopError('GRID_MISMATCH', `label dims ${label.header.dims.join('×')} differ from image dims ${image.header.dims.join('×')}`)
    }
    labelMap = labelMapFromLabelVolume(label)
  }
  const source = channelsLastFromVolume(image)
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
    original: { shape: originalShape, spacingMm: originalSpacing }
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
  return resampleArgmax(scores, classes, prepared.shape, prepared.original.shape)
}

/** A label map on the prepared grid → the original grid, by nearest neighbour. */
export function labelMapToOriginalGrid(labelMap: Uint8Array, prepared: GridPair): Uint8Array {
  return resampleNearest(labelMap, prepared.shape, prepared.original.shape)
}

/** Any channels-last float map on the prepared grid (e.g. uncertainty) → the original grid, linearly. */
export function valuesToOriginalGrid(values: Float32Array, channels: number, prepared: GridPair): Float32Array {
  return resampleLinear(values, channels, prepared.shape, prepared.original.shape)
}
