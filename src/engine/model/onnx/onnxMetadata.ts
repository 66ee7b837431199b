/**
 * What an exported ONNX model carries besides its graph (ModelProto.metadata_props): everything a
 * hospital's pipeline needs to feed it as Voxloop does and read what comes out. Values are strings
 * (ONNX's rule); structured ones are JSON. docs/ONNX.md explains each key.
 */
import { LEGACY_ARCHITECTURE, type TrainingPlan } from '../../../shared/training'
import type { PostprocessingPlan } from '../../../shared/postprocessing'
import { DEFAULT_NORMALIZATION } from '../../data/normalize'
import { architectureOf } from '../architectures'

export interface OnnxMetadataSource {
  producerVersion: string
  version: string
  bestEpoch: number
  plan: TrainingPlan
  postprocessing: PostprocessingPlan | null
}

/** The input normalisation as data: the plan's record, or for older plans the rule they were trained with. */
function normalizationOf(plan: TrainingPlan): Record<string, unknown> {
  const zScore = DEFAULT_NORMALIZATION.zScore
  const perVolume = {
    scheme: 'per-volume-zscore',
    // prepareCase's robust z-score, computed on each resampled volume per channel.
    statisticsFrom: zScore.statisticsFrom,
    clipPercentiles: zScore.clipPercentiles,
    clipOutput: zScore.clipOutput,
    rule:
      'per channel: take the voxels that are not exactly 0 (all voxels if none is); p_low, p_high = their 0.5th and 99.5th percentiles; ' +
      'mean, sd = mean and population sd of those voxels clamped to [p_low, p_high]; out = (clamp(x, p_low, p_high) − mean) / sd (sd ≤ 1e-8·max(1, |mean|): out = x − mean)'
  }
  const fixedRule = 'per channel c: out = (clamp(x, clip[0], clip[1]) − offset) · scale with channels[c] (clip null: no clamp); non-finite x → (clip[0] − offset) · scale'
  if (plan.normalization?.scheme === 'ct-dataset') return { scheme: 'ct-dataset', channels: plan.normalization.channels, rule: fixedRule, reason: plan.normalization.reason }
  if (plan.normalization) return { ...perVolume, reason: plan.normalization.reason }
  // Runs before plans recorded a normalisation: CT through the fixed default window, other modalities per volume.
  if (plan.modality !== 'CT') return perVolume
  const [lower, upper] = DEFAULT_NORMALIZATION.ctWindow.windowHu
  const [outLow, outHigh] = DEFAULT_NORMALIZATION.ctWindow.outputRange
  const scale = (outHigh - outLow) / (upper - lower)
  return { scheme: 'ct-window', channels: Array.from({ length: plan.inputChannels }, () => ({ kind: 'window', clip: [lower, upper], offset: lower - outLow / scale, scale })), rule: fixedRule }
}

/** The metadata_props of a model version's ONNX export, in a fixed order. */
export function onnxMetadata(source: OnnxMetadataSource): { key: string; value: string }[] {
  const { plan } = source
  const architecture = architectureOf(plan)
  const divisor = architecture.divisorOf(plan.model)
  const classes = [{ index: 0, labelId: 0, name: 'background' }, ...plan.classes.map((c) => ({ index: c.index, labelId: c.labelId, name: c.name }))]
  const [sx, sy, sz] = plan.targetSpacingMm
  return [
    { key: 'voxloop_version', value: source.producerVersion },
    { key: 'model_version', value: source.version },
    { key: 'best_epoch', value: String(source.bestEpoch) },
    { key: 'architecture', value: plan.architecture ?? LEGACY_ARCHITECTURE },
    { key: 'modality', value: plan.modality },
    { key: 'input_channels', value: String(plan.inputChannels) },
    { key: 'classes', value: JSON.stringify(classes) },
    { key: 'target_spacing_mm', value: JSON.stringify(plan.targetSpacingMm) },
    { key: 'normalization', value: JSON.stringify(normalizationOf(plan)) },
    {
      key: 'input_layout',
      value:
        "'image' float32 [batch, D, H, W, C]: the volume turned to RAS axis order (nibabel as_closest_canonical), " +
        'so W runs along x (towards Right), H along y (Anterior), D along z (Superior); C the input channels in the order they were imported'
    },
    { key: 'output_layout', value: "'probabilities' float32 [batch, D, H, W, K]: softmax over the K classes of 'classes' (index k); argmax gives the class index, classes[k].labelId the project label" },
    { key: 'patch_size', value: JSON.stringify(plan.patchSize) },
    { key: 'spatial_divisor', value: JSON.stringify(divisor) },
    { key: 'postprocessing', value: JSON.stringify(source.postprocessing) },
    {
      key: 'preprocessing',
      value:
        `1. turn the image to RAS axis order; 2. resample linearly to ${sx} × ${sy} × ${sz} mm (x, y, z); 3. normalise each channel as 'normalization' says; ` +
        `4. feed [1, D, H, W, C] with D, H, W multiples of spatial_divisor ${JSON.stringify(divisor)}: Voxloop slides a window of patch_size ${JSON.stringify(plan.patchSize)} ` +
        'with half-patch overlap, pads the border with each channel’s minimum, and blends patches with a Gaussian weight (σ = patch edge / 8); ' +
        '5. argmax over K, map to label ids, resample the labels back to the source grid (nearest, or linear on the probabilities then argmax as Voxloop does) and turn back'
    }
  ]
}
