import { augmentationTransforms, DEFAULT_AUGMENTATION_PRESET, type AugmentationPlan, type AugmentationPreset } from '../../shared/augmentation'
import type { TrainingPlan } from '../../shared/training'
import { augmentationConfigOf } from '../data/augment/fromTransforms'
import type { AugmentationConfig } from '../data/augment/compose'

/** A run's augmentation: the preset expanded with its mirror axes and quarter turns. */
export function planAugmentation(preset: AugmentationPreset, mirrorAxes: readonly number[], quarterTurns: boolean): AugmentationPlan {
  return { preset, quarterTurns, transforms: augmentationTransforms({ preset, mirrorAxes, quarterTurns }) }
}

/**
 * What a plan augments with: its recorded list, or for a run from before presets (no `augmentation`
 * in its run.json) what `augment` meant then: the default preset ('medium', the same transforms and
 * draws, so such a run resumes bit-identically) with its mirror axes, or none.
 */
export function augmentationPlanOf(plan: Pick<TrainingPlan, 'augment' | 'augmentation' | 'mirrorAxes'>): AugmentationPlan {
  if (plan.augmentation) return plan.augmentation
  return planAugmentation(plan.augment ? DEFAULT_AUGMENTATION_PRESET : 'none', plan.mirrorAxes ?? [], false)
}

/** The batch sampler's augmentation for a plan, or null for none. */
export function samplerAugmentationOf(plan: Pick<TrainingPlan, 'augment' | 'augmentation' | 'mirrorAxes'>): AugmentationConfig | null {
  const { transforms } = augmentationPlanOf(plan)
  return plan.augment && transforms.length ? augmentationConfigOf(transforms) : null
}
