import { describe, expect, it } from 'vitest'
import { resolveAugmentationConfig } from '../../../../src/engine/data'
import { augmentationPlanOf, planAugmentation, samplerAugmentationOf } from '../../../../src/engine/train/augmentationPlan'
import { mirrorAxesOf } from '../../../../src/engine/train/mirrorAxes'
import { augmentationTransforms } from '../../../../src/shared/augmentation'

describe('a plan\'s augmentation', () => {
  it.each([[[]], [[2]], [[0, 1, 2]]] as number[][][])("for a run from before presets (augment true, mirror axes %j) is 'medium': the sampler config runTraining built then", (mirrors) => {
    const old = { augment: true, mirrorAxes: mirrors }
    expect(augmentationPlanOf(old)).toEqual({ preset: 'medium', quarterTurns: false, transforms: augmentationTransforms({ preset: 'medium', mirrorAxes: mirrors }) })
    const before = resolveAugmentationConfig({ flip: { probability: mirrors.length ? 0.5 : 0, axes: mirrors as (0 | 1 | 2)[] } })
    const now = samplerAugmentationOf(old)!
    // Same values, and the same JSON (key order included) where both have keys: the sampler's fingerprint.
    for (const key of Object.keys(before) as (keyof typeof before)[]) expect(JSON.stringify(now[key])).toBe(JSON.stringify(before[key]))
    expect(Object.keys(now).slice(0, Object.keys(before).length)).toEqual(Object.keys(before))
  })

  it('is none without augmentation, whatever the mirror axes (and test-time mirroring follows)', () => {
    const off = { augment: false, mirrorAxes: [2] }
    expect(augmentationPlanOf(off).transforms).toEqual([])
    expect(samplerAugmentationOf(off)).toBeNull()
    expect(mirrorAxesOf(off)).toEqual([])
  })

  it('is the recorded list when there is one: heavy switches on the extras with their numbers', () => {
    const plan = { augment: true, mirrorAxes: [1], augmentation: planAugmentation('heavy', [1], true) }
    const config = samplerAugmentationOf(plan)!
    expect(config.elastic).toEqual({ probability: 0.2, alphaVoxels: [0, 2], sigmaVoxels: 10 })
    expect(config.dropout).toEqual({ probability: 0.2, boxes: [1, 4], size: [0.05, 0.2], fill: 'mean' })
    expect(config.shift).toEqual({ probability: 0.2, fraction: 0.1 })
    expect(config.flip).toEqual({ probability: 0.5, axes: [1] })
    expect(config.rot90.probability).toBe(0.5)
    expect(config.transpose.probability).toBe(0.5)
    expect(mirrorAxesOf(plan)).toEqual([1])
  })
})
