/**
 * The engine's config for a transform list (src/shared/augmentation.ts, what a preset expands to and
 * run.json records): each listed kind switched on with its numbers, every other one off. Mirroring
 * is off (no axes) unless listed, as runTraining configured it before presets, so that 'medium'
 * gives the config — and the batches — of the default path before presets.
 */
import type { AugmentationTransform } from '../../../shared/augmentation'
import type { SpatialAxis } from '../layout'
import { NO_AUGMENTATION, resolveAugmentationConfig, type AugmentationConfig, type AugmentationConfigInput } from './compose'

export function augmentationConfigOf(transforms: readonly AugmentationTransform[]): AugmentationConfig {
  const input: AugmentationConfigInput = { flip: { probability: 0, axes: [] } }
  for (const t of transforms) {
    switch (t.kind) {
      case 'rot90':
        input.rot90 = { probability: t.p }
        break
      case 'transpose':
        input.transpose = { probability: t.p }
        break
      case 'rotate':
        input.rotate = { probability: t.p, maxDegrees: { inPlane: t.inPlaneDeg, outOfPlane: t.outOfPlaneDeg } }
        break
      case 'zoom':
        input.zoom = { probability: t.p, range: [...t.range] }
        break
      case 'shift':
        input.shift = { probability: t.p, fraction: t.fraction }
        break
      case 'resizedCrop':
        input.resizedCrop = { probability: t.p, area: [...t.area], aspect: [...t.aspect] }
        break
      case 'elastic':
        input.elastic = { probability: t.p, alphaVoxels: [...t.alphaVoxels], sigmaVoxels: t.sigmaVoxels }
        break
      case 'mirror':
        input.flip = { probability: t.p, axes: [...new Set(t.axes)].sort() as SpatialAxis[] }
        break
      case 'noise':
        input.noise = { probability: t.p, stdRange: [...t.std] }
        break
      case 'intensityScale':
        input.intensityScale = { probability: t.p, range: [...t.range] }
        break
      case 'intensityShift':
        input.intensityShift = { probability: t.p, range: [...t.range] }
        break
      case 'gamma':
        input.gamma = { probability: t.p, range: [...t.range] }
        break
      case 'dropout':
        input.dropout = { probability: t.p, boxes: [...t.boxes], size: [...t.size], fill: t.fill }
        break
    }
  }
  return resolveAugmentationConfig(input, NO_AUGMENTATION)
}
