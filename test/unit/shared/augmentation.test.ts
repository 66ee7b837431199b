import { describe, expect, it } from 'vitest'
import {
  AUGMENTATION_KINDS,
  AUGMENTATION_PRESETS,
  AugmentationPlanSchema,
  augmentationPresetOf,
  augmentationTransforms,
  AugmentationTransformsSchema,
  describeAugmentationTransform,
  type AugmentationTransform
} from '../../../src/shared/augmentation'
import { TrainingOptionsSchema, TrainingPlanSchema } from '../../../src/shared/training'

const kinds = (transforms: AugmentationTransform[]): string[] => transforms.map((t) => t.kind)

describe('augmentation presets', () => {
  it.each([
    { preset: 'none' as const, expected: [] },
    { preset: 'light' as const, expected: ['rotate', 'zoom', 'shift', 'resizedCrop', 'intensityScale', 'intensityShift', 'gamma'] },
    { preset: 'medium' as const, expected: ['rotate', 'zoom', 'noise', 'intensityScale', 'intensityShift', 'gamma'] },
    { preset: 'heavy' as const, expected: ['rotate', 'zoom', 'shift', 'resizedCrop', 'elastic', 'noise', 'intensityScale', 'intensityShift', 'gamma', 'dropout'] }
  ])('$preset expands to $expected, in the order they are applied, and passes its own schema', ({ preset, expected }) => {
    const transforms = augmentationTransforms({ preset })
    expect(kinds(transforms)).toEqual(expected)
    expect(AugmentationTransformsSchema.parse(transforms)).toEqual(transforms)
    for (const t of transforms) expect(describeAugmentationTransform(t)).toMatch(new RegExp(`^${t.kind} \\d+%`))
  })

  it("'medium' is the engine's augmentation before presets, number for number", () => {
    expect(augmentationTransforms({ preset: 'medium' })).toEqual([
      { kind: 'rotate', p: 0.2, inPlaneDeg: 15, outOfPlaneDeg: 0 },
      { kind: 'zoom', p: 0.2, range: [0.85, 1.25] },
      { kind: 'noise', p: 0.1, std: [0, 0.1] },
      { kind: 'intensityScale', p: 0.15, range: [0.75, 1.25] },
      { kind: 'intensityShift', p: 0.15, range: [-0.1, 0.1] },
      { kind: 'gamma', p: 0.3, range: [0.7, 1.5] }
    ])
  })

  it('grow in strength: heavy ≥ medium ≥ light in rotation and zoom reach, light has no noise, elastic or dropout', () => {
    const get = <K extends AugmentationTransform['kind']>(preset: 'light' | 'medium' | 'heavy', kind: K): Extract<AugmentationTransform, { kind: K }> | undefined =>
      augmentationTransforms({ preset }).find((t): t is Extract<AugmentationTransform, { kind: K }> => t.kind === kind)
    const reach = (preset: 'light' | 'medium' | 'heavy'): number[] => [get(preset, 'rotate')!.inPlaneDeg, get(preset, 'zoom')!.range[1] - get(preset, 'zoom')!.range[0]]
    const [light, medium, heavy] = (['light', 'medium', 'heavy'] as const).map(reach)
    light!.forEach((v, i) => expect(v).toBeLessThan(medium![i]!))
    medium!.forEach((v, i) => expect(v).toBeLessThan(heavy![i]!))
    for (const kind of ['noise', 'elastic', 'dropout'] as const) expect(get('light', kind)).toBeUndefined()
  })

  it('never mirror or turn on their own: mirroring follows mirrorAxes, turns quarterTurns, transposes need both', () => {
    for (const preset of AUGMENTATION_PRESETS) expect(kinds(augmentationTransforms({ preset })).filter((k) => ['mirror', 'rot90', 'transpose'].includes(k))).toEqual([])
    expect(augmentationTransforms({ preset: 'medium', mirrorAxes: [2, 0, 2] })).toContainEqual({ kind: 'mirror', p: 0.5, axes: [0, 2] })
    expect(kinds(augmentationTransforms({ preset: 'light', quarterTurns: true }))).toContain('rot90')
    expect(kinds(augmentationTransforms({ preset: 'light', quarterTurns: true }))).not.toContain('transpose')
    expect(kinds(augmentationTransforms({ preset: 'light', quarterTurns: true, mirrorAxes: [0] }))).not.toContain('transpose') // a D mirror does not mirror the plane
    expect(kinds(augmentationTransforms({ preset: 'heavy', quarterTurns: true, mirrorAxes: [2] })).slice(0, 2)).toEqual(['rot90', 'transpose'])
    // 'none' is none, whatever else is asked.
    expect(augmentationTransforms({ preset: 'none', mirrorAxes: [0, 1, 2], quarterTurns: true })).toEqual([])
  })

  it('come out in the application order whatever order they are built in', () => {
    const transforms = augmentationTransforms({ preset: 'heavy', quarterTurns: true, mirrorAxes: [1] })
    const order = kinds(transforms).map((k) => AUGMENTATION_KINDS.indexOf(k as AugmentationTransform['kind']))
    expect(order).toEqual([...order].sort((a, b) => a - b))
  })

  it('are copies: changing an expansion does not change the next one', () => {
    const first = augmentationTransforms({ preset: 'medium' })
    ;(first[0] as { p: number }).p = 1
    expect(augmentationTransforms({ preset: 'medium' })[0]).toMatchObject({ p: 0.2 })
  })

  it('follow the old boolean: augment false → none, true or absent → medium; the preset wins', () => {
    expect(augmentationPresetOf({})).toBe('medium')
    expect(augmentationPresetOf({ augment: true })).toBe('medium')
    expect(augmentationPresetOf({ augment: false })).toBe('none')
    expect(augmentationPresetOf({ augment: true, augmentation: 'heavy' })).toBe('heavy')
  })
})

describe('augmentation schemas', () => {
  it.each([
    { name: 'a chance above 1', list: [{ kind: 'noise', p: 1.5, std: [0, 0.1] }] },
    { name: 'a range backwards', list: [{ kind: 'zoom', p: 0.2, range: [1.2, 0.8] }] },
    { name: 'an unknown kind', list: [{ kind: 'solarize', p: 0.2 }] },
    { name: 'an unknown field', list: [{ kind: 'gamma', p: 0.2, range: [0.7, 1.5], extra: 1 }] },
    { name: 'a kind twice', list: [{ kind: 'gamma', p: 0.2, range: [0.7, 1.5] }, { kind: 'gamma', p: 0.1, range: [0.8, 1.2] }] },
    { name: 'half a dropout box', list: [{ kind: 'dropout', p: 0.2, boxes: [1, 2.5], size: [0.1, 0.2], fill: 'mean' }] },
    { name: 'a crop larger than the patch', list: [{ kind: 'resizedCrop', p: 0.2, area: [0.5, 1.5], aspect: [1, 1] }] },
    { name: 'an elastic grid finer than 2 voxels', list: [{ kind: 'elastic', p: 0.2, alphaVoxels: [0, 1], sigmaVoxels: 1 }] },
    { name: 'a mirror of no axis', list: [{ kind: 'mirror', p: 0.5, axes: [] }] }
  ])('refuse $name', ({ list }) => {
    expect(AugmentationTransformsSchema.safeParse(list).success).toBe(false)
  })

  it('training options take a preset and quarter turns, refuse an unknown preset and augment: false with another preset', () => {
    expect(TrainingOptionsSchema.parse({ augmentation: 'heavy', quarterTurns: true })).toEqual({ augmentation: 'heavy', quarterTurns: true })
    expect(TrainingOptionsSchema.parse({ augment: false, augmentation: 'none' })).toEqual({ augment: false, augmentation: 'none' })
    expect(TrainingOptionsSchema.safeParse({ augmentation: 'extreme' }).success).toBe(false)
    const conflict = TrainingOptionsSchema.safeParse({ augment: false, augmentation: 'light' })
    expect(conflict.success).toBe(false)
    expect(conflict.error?.issues[0]?.message).toMatch(/contradicts/)
  })

  it('a plan records the preset and its list; an older plan without them still parses', () => {
    const augmentation = { preset: 'heavy' as const, quarterTurns: false, transforms: augmentationTransforms({ preset: 'heavy' }) }
    expect(AugmentationPlanSchema.parse(augmentation)).toEqual(augmentation)
    expect(TrainingPlanSchema.shape.augmentation.safeParse(undefined).success).toBe(true)
    expect(TrainingPlanSchema.shape.augmentation.safeParse({ ...augmentation, transforms: [{ kind: 'zoom', p: 2, range: [1, 1] }] }).success).toBe(false)
  })
})
