import type { TrainingPlan } from '../../shared/training'
import type { SpatialAxis } from '../data/layout'

/**
 * The spatial axes a run's augmentation mirrors, which are also the only axes mirror test-time
 * augmentation may use for its model: a network never shown mirrored data has no reason to
 * segment it well (on hippocampus, mirroring every axis at test time halved the Dice).
 */
export function mirrorAxesOf(plan: Pick<TrainingPlan, 'augment' | 'mirrorAxes'>): SpatialAxis[] {
  if (!plan.augment) return []
  return (plan.mirrorAxes ?? []).filter((axis): axis is SpatialAxis => axis === 0 || axis === 1 || axis === 2)
}
