import { describe, expect, it } from 'vitest'
import { defaultPlateauPatience, epochsForBudget, planarSpacing, planTraining, splitCases, targetStepsFor, TRAINING_DEFAULTS, type PlanInputs } from '../../../../src/engine/train/trainingPlan'
import { updateEarlyStopping, INITIAL_EARLY_STOPPING } from '../../../../src/engine/train/earlyStopping'
import { augmentationTransforms } from '../../../../src/shared/augmentation'
import { DEFAULT_TRAINING_MINUTES_2D, defaultTrainingMinutesFor, TrainingOptionsSchema, TrainingPlanSchema } from '../../../../src/shared/training'
import type { Vec3 } from '../../../../src/shared/volume'
import { FIXTURE_LABELS } from './trainingFixtures'

/** 41 cases shaped like MSD Task04 (hippocampus): ~35×50×35 voxels at 1 mm. */
function hippocampusLike(overrides: Partial<PlanInputs> = {}): PlanInputs {
  return {
    options: TrainingOptionsSchema.parse({ epochs: 10 }),
    cases: Array.from({ length: 41 }, (_, n) => ({
      id: `hippocampus_${String(n).padStart(3, '0')}`,
      shape: [34 + (n % 5), 48 + (n % 7), 33 + (n % 4)] as [number, number, number],
      spacingMm: [1, 1, 1] as Vec3,
      channels: 1
    })),
    labels: [
      { id: 2, name: 'Posterior', color: '#00ff00' },
      { id: 1, name: 'Anterior', color: '#ff0000' }
    ],
    modality: 'MR',
    backend: 'wasm',
    seed: 5,
    base: null,
    ...overrides
  }
}

describe('splitCases', () => {
  it('holds out round(n·fraction) cases (at least one, never all), depending only on the seed and the set', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`)
    const a = splitCases(ids, 0.2, 1)
    expect(a.validation).toHaveLength(2)
    expect(a.training).toHaveLength(8)
    expect([...a.training, ...a.validation].sort()).toEqual([...ids].sort())
    expect(splitCases([...ids].reverse(), 0.2, 1)).toEqual(a)
    expect(splitCases(ids, 0.2, 2)).not.toEqual(a)
    expect(splitCases(['a', 'b'], 0.01, 1).validation).toHaveLength(1)
    expect(splitCases(['a'], 0.5, 1).validation).toHaveLength(0)
    expect(splitCases(ids, 0, 1).validation).toHaveLength(0)
    expect(splitCases(['a', 'b', 'c'], 0.9, 1).training).toHaveLength(1)
  })
})

describe('planTraining', () => {
  it('picks defaults from the data: median spacing, a patch within the median case, classes in label id order', () => {
    const plan = planTraining(hippocampusLike())
    expect(plan.targetSpacingMm).toEqual([1, 1, 1])
    // Median shape ~[36, 51, 34.5] rounded to the nearest multiple of 2^3 (ties down) on the CPU (time is the budget),
    // up on tfjs-node (memory is: the patch holds a whole typical case, as nnU-Net's).
    expect(plan.patchSize).toEqual([32, 48, 32])
    expect(planTraining({ ...hippocampusLike(), backend: 'tensorflow' }).patchSize).toEqual([40, 56, 40])
    expect(plan.batchSize).toBe(2)
    expect(plan.classes).toEqual([
      { index: 1, labelId: 1, name: 'Anterior' },
      { index: 2, labelId: 2, name: 'Posterior' }
    ])
    expect(plan.validationCaseIds).toHaveLength(8)
    expect(plan.trainingCaseIds).toHaveLength(33)
    expect(plan.stepsPerEpoch).toBe(2 * Math.ceil(33 / 2))
    expect(plan.optimizer).toBe('adam')
    expect(plan.learningRate).toBe(TRAINING_DEFAULTS.learningRate.adam)
    expect(plan.warmupSteps).toBe(Math.round(10 * 34 * 0.05))
    // The default network: nnU-Net's plain U-Net with deep supervision, 8 base filters (the CPU budget).
    expect(plan.architecture).toBe('plain-unet')
    expect(plan.model).toMatchObject({ depth: 3, baseFilters: 8, convsPerStage: 2, deepSupervision: true, inputChannels: 1, numClasses: 3 })
    expect(plan.fromModel).toBeNull()
  })

  it("validates on the cases main names (the project's recorded split) instead of drawing them from the seed", () => {
    const inputs = hippocampusLike()
    const named = ['hippocampus_040', 'hippocampus_003', 'hippocampus_017']
    const plan = planTraining({ ...inputs, validationCaseIds: named })
    expect(plan.validationCaseIds).toEqual(['hippocampus_003', 'hippocampus_017', 'hippocampus_040'])
    expect(plan.trainingCaseIds).toHaveLength(38)
    expect(plan.trainingCaseIds).not.toContain('hippocampus_017')
    expect(plan.validationSplit).toBe('project')
    expect(plan.validationFraction).toBeCloseTo(3 / 41)
    // The same cases whatever the seed: what makes two versions' validation figures comparable.
    expect(planTraining({ ...inputs, seed: 99, validationCaseIds: named }).validationCaseIds).toEqual(plan.validationCaseIds)
    expect(planTraining({ ...inputs, seed: 99 }).validationCaseIds).not.toEqual(planTraining(inputs).validationCaseIds)
    expect(planTraining(inputs).validationSplit).toBe('seeded')
    // None named (a project whose only curated case trains): no validation case.
    expect(planTraining({ ...inputs, validationCaseIds: [] }).validationCaseIds).toEqual([])
    expect(() => planTraining({ ...inputs, validationCaseIds: ['hippocampus_999'] })).toThrow(/hippocampus_999 are not among the cases/)
    expect(() => planTraining({ ...inputs, cases: inputs.cases.slice(0, 1), validationCaseIds: [inputs.cases[0]!.id] })).toThrow(/at least one must train/)
  })

  it('caps the patch by compute on CPU backends, by memory on tfjs-node', () => {
    const big = hippocampusLike({ cases: [{ id: 'ct', shape: [200, 256, 256], spacingMm: [1, 1, 1], channels: 1 }] })
    const cpu = planTraining(big)
    expect(cpu.patchSize[0] * cpu.patchSize[1] * cpu.patchSize[2] * cpu.batchSize).toBeLessThanOrEqual(TRAINING_DEFAULTS.cpuVoxelsPerStep)
    const native = planTraining({ ...big, backend: 'tensorflow' })
    expect(native.patchSize[0] * native.patchSize[1] * native.patchSize[2]).toBeGreaterThan(cpu.patchSize[0] * cpu.patchSize[1] * cpu.patchSize[2])
  })

  it('takes the options it is given and refuses a patch the U-Net cannot divide', () => {
    const plan = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 2, patchSize: [16, 32, 16], batchSize: 4, optimizer: 'sgd', stepsPerEpoch: 7, validationFraction: 0, model: { depth: 2 } }) }))
    expect(plan).toMatchObject({ patchSize: [16, 32, 16], batchSize: 4, optimizer: 'sgd', learningRate: 1e-2, momentum: 0.99, stepsPerEpoch: 7, validationCaseIds: [] })
    expect(() => planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 2, patchSize: 20 }) }))).toThrow(/multiples of 8/)
  })

  it('is deterministic in its inputs (the seed included), so a run can be re-planned and compared', () => {
    expect(planTraining(hippocampusLike())).toEqual(planTraining(hippocampusLike()))
    expect(planTraining(hippocampusLike({ seed: 6 })).validationCaseIds).not.toEqual(planTraining(hippocampusLike()).validationCaseIds)
  })

  it('fine-tuning keeps the base model architecture, spacing and patch, and refuses a changed label table', () => {
    const basePlan = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, patchSize: 24 }) }))
    const tuned = planTraining(hippocampusLike({ base: { version: 'v0001-20250101-000000', plan: basePlan }, seed: 9 }))
    expect(tuned.model).toEqual(basePlan.model)
    expect(tuned.patchSize).toEqual([24, 24, 24])
    expect(tuned.fromModel).toBe('v0001-20250101-000000')
    expect(() => planTraining(hippocampusLike({ base: { version: 'v1', plan: basePlan }, labels: FIXTURE_LABELS }))).toThrow(/train a new model/)
  })

  it('builds the architecture named (the registry fills in its CPU defaults) and records it; fine-tuning keeps the base one', () => {
    const plain = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'plain-unet', baseFilters: 6, deepSupervision: false } }) }))
    expect(plain.architecture).toBe('plain-unet')
    expect(plain.model).toMatchObject({ depth: 3, baseFilters: 6, convsPerStage: 2, maxFilters: 320, deepSupervision: false, inputChannels: 1, numClasses: 3 })
    const residual = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'residual-unet' } }) }))
    expect(residual.model).toMatchObject({ depth: 3, baseFilters: 8, residualUnits: 1 })
    // Options of the other network are refused, not ignored.
    expect(() => planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { residualUnits: 2 } }) }))).toThrow(/residual units belong to the residual U-Nets; 'plain-unet' has two convolutions per stage/)
    expect(() => planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'residual-unet', deepSupervision: true } }) }))).toThrow(/deep supervision is built into the plain U-Nets and U-Net\+\+; 'residual-unet' has one output/)
    expect(plain.model).not.toHaveProperty('residualUnits')
    expect(planTraining(hippocampusLike()).architecture).toBe(TRAINING_DEFAULTS.architecture)
    // A base without the field (a run from before the registry) was a residual U-Net.
    const { architecture: _dropped, ...legacy } = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'residual-unet' } }) }))
    const tunedLegacy = planTraining(hippocampusLike({ base: { version: 'v0001-20250101-000000', plan: legacy }, options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'plain-unet' } }) }))
    expect(tunedLegacy.architecture).toBe('residual-unet')
    expect(tunedLegacy.model).toEqual(legacy.model)
    const tunedPlain = planTraining(hippocampusLike({ base: { version: 'v0002-20250101-000000', plan: plain } }))
    expect(tunedPlain.architecture).toBe('plain-unet')
    expect(() => planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, patchSize: 20, model: { architecture: 'plain-unet' } }) }))).toThrow(/multiples of 8/)
  })

  it('mirrors no axis unless asked (labels may carry orientation); fine-tuning keeps the base model\'s axes', () => {
    expect(planTraining(hippocampusLike()).mirrorAxes).toEqual([])
    const mirrored = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, mirrorAxes: [2, 0, 2] }) }))
    expect(mirrored.mirrorAxes).toEqual([0, 2])
    const tuned = planTraining(hippocampusLike({ base: { version: 'v0001-20250101-000000', plan: mirrored } }))
    expect(tuned.mirrorAxes).toEqual([0, 2])
    const changed = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, mirrorAxes: [] }), base: { version: 'v0001-20250101-000000', plan: mirrored } }))
    expect(changed.mirrorAxes).toEqual([])
  })

  it("records the augmentation preset and the list it expands to: 'medium' by default, augment false is 'none'", () => {
    const byDefault = planTraining(hippocampusLike())
    expect(byDefault.augment).toBe(true)
    expect(byDefault.augmentation).toEqual({ preset: 'medium', quarterTurns: false, transforms: augmentationTransforms({ preset: 'medium' }) })
    const off = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, augment: false, mirrorAxes: [2] }) }))
    expect(off.augment).toBe(false)
    expect(off.augmentation?.transforms).toEqual([])
    const heavy = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, augmentation: 'heavy', mirrorAxes: [2], quarterTurns: true }) }))
    expect(heavy.augmentation).toEqual({ preset: 'heavy', quarterTurns: true, transforms: augmentationTransforms({ preset: 'heavy', mirrorAxes: [2], quarterTurns: true }) })
    expect(heavy.augmentation?.transforms.map((t) => t.kind)).toContain('transpose')
    expect(TrainingPlanSchema.parse(heavy)).toEqual(heavy)
  })

  it('refuses cases with different channel counts and an empty label table', () => {
    const mixed = hippocampusLike()
    mixed.cases = [...mixed.cases, { id: 'x', shape: [30, 30, 30], spacingMm: [1, 1, 1], channels: 2 }]
    expect(() => planTraining(mixed)).toThrow(/channel/)
    expect(() => planTraining(hippocampusLike({ labels: [] }))).toThrow(/no labels/)
  })
})

/** Six 2D images as the importer makes them: one-slice cases, [D, H, W] = [1, H, W] in canonical order. */
function imagesLike(shape: [number, number], overrides: Partial<PlanInputs> = {}): PlanInputs {
  return hippocampusLike({
    cases: Array.from({ length: 6 }, (_, n) => ({ id: `cxr_${n}`, shape: [1, shape[0] + (n % 2), shape[1]] as [number, number, number], spacingMm: [0.5, 0.5, 1] as Vec3, channels: 1 })),
    ...overrides
  })
}

describe('planTraining: the loss and the plateau schedule', () => {
  const withOptions = (options: unknown, overrides: Partial<PlanInputs> = {}): PlanInputs => hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 10, ...(options as object) }), ...overrides })

  it('records dice-ce 1/1 by default and the loss named, its parameters filled in', () => {
    expect(planTraining(hippocampusLike()).loss).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })
    expect(planTraining(withOptions({ loss: { kind: 'tversky' } })).loss).toEqual({ kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 })
    expect(planTraining(withOptions({ loss: { kind: 'focal', gamma: 1, diceWeight: 0.5 } })).loss).toEqual({ kind: 'focal', diceWeight: 0.5, ceWeight: 1, gamma: 1, alpha: null })
    expect(planTraining(withOptions({ loss: { ceWeight: 3 } })).loss).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 3 })
  })

  it('refuses dice-bce for more than one foreground label, naming the labels; takes it for one', () => {
    expect(() => planTraining(withOptions({ loss: { kind: 'dice-bce' } }))).toThrow(/'dice-bce' is for one foreground label; this model has 2 \(1 Anterior, 2 Posterior\)/)
    const binary = planTraining(withOptions({ loss: { kind: 'dice-bce' } }, { labels: [{ id: 3, name: 'Hippocampus', color: '#ff0000' }] }))
    expect(binary.loss).toEqual({ kind: 'dice-bce', diceWeight: 1, ceWeight: 1 })
  })

  it("fine-tuning keeps the base model's loss unless given; a parameter of the same kind keeps the others, another kind starts from the defaults", () => {
    const basePlan = planTraining(withOptions({ loss: { kind: 'tversky', alpha: 0.2, beta: 0.8, ceWeight: 0.5 } }))
    const base = { version: 'v0001-20250101-000000', plan: basePlan }
    expect(planTraining(hippocampusLike({ base })).loss).toEqual(basePlan.loss)
    expect(planTraining(withOptions({ loss: { beta: 0.9 } }, { base })).loss).toEqual({ kind: 'tversky', diceWeight: 1, ceWeight: 0.5, alpha: 0.2, beta: 0.9 })
    expect(planTraining(withOptions({ loss: { kind: 'dice-ce' } }, { base })).loss).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })
    // A base from before losses had names trained with dice-ce 1/1.
    const { loss: _loss, ...olderPlan } = basePlan
    expect(planTraining(hippocampusLike({ base: { ...base, plan: olderPlan } })).loss).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })
    // Without a kind, a parameter must fit the base's loss.
    expect(() => planTraining(withOptions({ loss: { gamma: 2 } }, { base }))).toThrow(/'tversky' takes no gamma/)
  })

  it("records the plateau patience (a third of early stopping's, at least 2) with the 'plateau' schedule only", () => {
    expect(planTraining(withOptions({ schedule: 'plateau' }))).toMatchObject({ schedule: 'plateau', plateauPatience: 7 })
    expect(planTraining(withOptions({ schedule: 'plateau', patience: 4 })).plateauPatience).toBe(2)
    expect(planTraining(withOptions({ schedule: 'plateau', plateauPatience: 5 })).plateauPatience).toBe(5)
    expect(planTraining(hippocampusLike()).plateauPatience).toBeUndefined()
    expect(() => planTraining(withOptions({ plateauPatience: 5 }))).toThrow(/plateauPatience applies to the 'plateau' schedule only/)
    expect([1, 3, 6, 20, 30].map(defaultPlateauPatience)).toEqual([2, 2, 2, 7, 10])
  })
})

describe('planTraining on 2D images and with the 2D network', () => {
  it('gives one-slice cases the 2D plain U-Net and single-slice patches within the per-step budget, pooled to ~4–8 px', () => {
    const plan = planTraining(imagesLike([512, 512]))
    expect(plan.architecture).toBe('plain-unet-2d')
    // Median slice 512 × 512 at 0.5 mm is more than 192² pixels: trained at 4/3 mm, 192 × 192 (planarSpacing).
    expect(plan.targetSpacingMm[0]).toBeCloseTo(4 / 3, 2)
    expect(plan.targetSpacingMm[1]).toBeCloseTo(4 / 3, 2)
    expect(plan.targetSpacingMm[2]).toBe(1)
    expect(plan.patchSize).toEqual([1, 192, 192])
    // 192 px pools 5 times to 6 px.
    expect(plan.model).toMatchObject({ depth: 5, baseFilters: 8, maxFilters: 128, deepSupervision: true, inputShape: [1, null, null] })
    expect(plan.patchSize[1] * plan.patchSize[2] * plan.batchSize).toBeLessThanOrEqual(TRAINING_DEFAULTS.cpuVoxelsPerStep)

    // 900 × 700 keeps its aspect at about 192² pixels.
    const large = planTraining(imagesLike([900, 700]))
    const [d, h, w] = large.patchSize
    expect(d).toBe(1)
    expect(large.targetSpacingMm[0]).toBeCloseTo(large.targetSpacingMm[1], 9)
    const grid = [Math.round((900.5 * 0.5) / large.targetSpacingMm[1]), Math.round((700 * 0.5) / large.targetSpacingMm[0])]
    expect(grid[0] * grid[1]).toBeGreaterThan(0.95 * 192 ** 2)
    expect(grid[0] * grid[1]).toBeLessThan(1.05 * 192 ** 2)
    expect(h * w * large.batchSize).toBeLessThanOrEqual(TRAINING_DEFAULTS.cpuVoxelsPerStep)
    const depth = Number(large.model.depth)
    expect(depth).toBeGreaterThanOrEqual(4)
    expect(h % 2 ** depth).toBe(0)
    expect(w % 2 ** depth).toBe(0)

    // A native backend trains at the data's own spacing (its budget is memory, not CPU time).
    expect(planTraining(imagesLike([512, 512], { backend: 'tensorflow' })).targetSpacingMm).toEqual([0.5, 0.5, 1])

    // Median plane 61 × 64: a fourth pooling would leave 3.8 px, so 3 (7.6 px).
    const small = planTraining(imagesLike([60, 64]))
    expect(small.targetSpacingMm).toEqual([0.5, 0.5, 1])
    expect(small.patchSize).toEqual([1, 64, 64])
    expect(small.model).toMatchObject({ depth: 3 })
  })

  it('planarSpacing coarsens x and y alike until the median slice has at most the pixels asked, and keeps D', () => {
    expect(planarSpacing([0.7, 0.7, 3], [1, 256, 256], 256 ** 2)).toEqual([0.7, 0.7, 3])
    expect(planarSpacing([1, 1, 1], [1, 512, 512], 256 ** 2)).toEqual([2, 2, 1])
    const [x, y, z] = planarSpacing([0.5, 0.25, 2], [30, 1024, 400], 128 ** 2)
    expect(z).toBe(2)
    expect(x / y).toBeCloseTo(2, 12)
    expect((1024 * 0.25 * 400 * 0.5) / (x * y)).toBeCloseTo(128 ** 2, 6)
  })

  it('refuses a 3D network on one-slice cases, naming it and the 2D one', () => {
    for (const architecture of ['plain-unet', 'residual-unet'] as const) {
      expect(() => planTraining(imagesLike([64, 64], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture } }) }))).toThrow(
        new RegExp(`'${architecture}' is a 3D network and these cases are single 2D slices.*plain-unet-2d`)
      )
    }
    const volumetric = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'plain-unet' } }) }))
    expect(() => planTraining(imagesLike([64, 64], { base: { version: 'v0001-20250101-000000', plan: volumetric } }))).toThrow(/not one fine-tuned from v0001.*2D network/)
  })

  it('trains the 2D network on single slices of 3D volumes (nnU-Net 2d), and takes a patch edge as a square slice', () => {
    const plan = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'plain-unet-2d' } }) }))
    expect(plan.architecture).toBe('plain-unet-2d')
    // Median ~[36, 51, 34.5]: the plane 51 × 35 pools 3 times (≥ 4 px), rounded up to multiples of 8.
    expect(plan.patchSize).toEqual([1, 56, 40])
    expect(plan.model).toMatchObject({ depth: 3 })
    const edge = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: 128 }) }))
    expect(edge.patchSize).toEqual([1, 128, 128])
    // The depth follows the user's slice: 64² pools 4 times (4 px), not the 5 of a 192² slice.
    const small = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: 64 }) }))
    expect(small).toMatchObject({ patchSize: [1, 64, 64], model: { depth: 4 } })
    const slab = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: [1, 128, 192] }) }))
    expect(slab.patchSize).toEqual([1, 128, 192])
    expect(() => planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: [8, 128, 128] }) }))).toThrow(/a 2D network takes one slice, so D must be 1/)
    expect(() => planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: 200 }) }))).toThrow(/multiples of \[1, 32, 32\] \(2\^depth in H and W\)/)
    // Fine-tuning keeps the 2D network and its patch.
    const tuned = planTraining(imagesLike([512, 512], { base: { version: 'v0003-20250101-000000', plan: slab }, seed: 9 }))
    expect(tuned).toMatchObject({ architecture: 'plain-unet-2d', patchSize: [1, 128, 192], model: slab.model })
  })
})

describe('planTraining with U-Net++ and the 2D residual U-Net', () => {
  it('plans U-Net++ in 3D as the plain U-Net (depth 3 × 8 filters, deep supervision on), patches in multiples of 8', () => {
    const plan = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'unetpp' } }) }))
    expect(plan.architecture).toBe('unetpp')
    expect(plan.model).toMatchObject({ depth: 3, baseFilters: 8, maxFilters: 320, convsPerStage: 2, deepSupervision: true, name: 'unetpp3d', inputShape: [null, null, null] })
    expect(plan.patchSize.every((edge) => edge % 8 === 0)).toBe(true)
    expect(planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'unetpp', deepSupervision: false, depth: 2 } }) })).model).toMatchObject({ depth: 2, deepSupervision: false })
    expect(() => planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'unetpp', residualUnits: 2 } }) }))).toThrow(/'unetpp' has two convolutions per node/)
  })

  it('plans the 2D networks on one-slice cases: U-Net++ and the residual U-Net pool the 192² slice of a 512² image 4 times (not 5), the plain one 5', () => {
    const unetpp = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture: 'unetpp-2d' } }) }))
    expect(unetpp.architecture).toBe('unetpp-2d')
    // Trained at 192² (planarSpacing), as the plain 2D U-Net.
    expect(unetpp.patchSize).toEqual([1, 192, 192])
    expect(unetpp.model).toMatchObject({ depth: 4, baseFilters: 8, maxFilters: 128, deepSupervision: true, name: 'unetpp2d', inputShape: [1, null, null] })
    const residual = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture: 'residual-unet-2d' } }) }))
    expect(residual.architecture).toBe('residual-unet-2d')
    expect(residual.patchSize).toEqual([1, 192, 192])
    expect(residual.model).toMatchObject({ depth: 4, baseFilters: 8, residualUnits: 1, name: 'residual_unet2d', inputShape: [1, null, null] })
    expect(residual.model).not.toHaveProperty('deepSupervision')
    expect(() => planTraining(imagesLike([64, 64], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture: 'residual-unet-2d', deepSupervision: true } }) }))).toThrow(/'residual-unet-2d' has one output/)
    // A small slice: the depth follows it as for the plain 2D U-Net (60 × 64 → 3), H and W rounded to 8.
    const small = planTraining(imagesLike([60, 64], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture: 'unetpp-2d' } }) }))
    expect(small).toMatchObject({ patchSize: [1, 64, 64], model: { depth: 3 } })
    // A patch whose H and W are not multiples of 2^4 is refused, naming the divisor.
    expect(() => planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ epochs: 1, patchSize: 200, model: { architecture: 'unetpp-2d' } }) }))).toThrow(/multiples of \[1, 16, 16\]/)
    // On 3D volumes the 2D networks train on single slices; the 3D U-Net++ is refused on one-slice cases.
    expect(planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 3, model: { architecture: 'residual-unet-2d' } }) })).patchSize[0]).toBe(1)
    expect(() => planTraining(imagesLike([64, 64], { options: TrainingOptionsSchema.parse({ epochs: 1, model: { architecture: 'unetpp' } }) }))).toThrow(/'unetpp' is a 3D network.*unetpp-2d/)
    // Fine-tuning keeps the 2D network and its options.
    const tuned = planTraining(imagesLike([512, 512], { base: { version: 'v0004-20250101-000000', plan: unetpp }, seed: 9 }))
    expect(tuned).toMatchObject({ architecture: 'unetpp-2d', patchSize: [1, 192, 192], targetSpacingMm: unetpp.targetSpacingMm, model: unetpp.model })
  })
})

describe('updateEarlyStopping', () => {
  it('keeps the best epoch, counts epochs without a strictly better score and stops after `patience` of them', () => {
    let state = INITIAL_EARLY_STOPPING
    const scores = [0.5, 0.6, 0.6, 0.55, 0.7, 0.69, 0.68]
    const outcomes = scores.map((score, i) => {
      const update = updateEarlyStopping(state, i + 1, score, 2)
      state = update.state
      return [update.improved, update.stop]
    })
    expect(outcomes).toEqual([
      [true, false],
      [true, false],
      [false, false],
      [false, true],
      [true, false],
      [false, false],
      [false, true]
    ])
    expect(state).toEqual({ bestScore: 0.7, bestEpoch: 5, epochsWithoutImprovement: 2 })
  })

  it('without validation keeps the last epoch and never stops', () => {
    const update = updateEarlyStopping({ bestScore: null, bestEpoch: 3, epochsWithoutImprovement: 0 }, 4, null, 1)
    expect(update).toEqual({ state: { bestScore: null, bestEpoch: 4, epochsWithoutImprovement: 0 }, improved: true, stop: false })
  })
})

describe('the time budget (the default of the Train button and of `voxloop train`)', () => {
  it('plans a default run by time: 15 minutes at most, aiming at 75 steps per training case', () => {
    const plan = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({}) }))
    expect(plan.timeBudgetSeconds).toBe(15 * 60)
    expect(plan.targetSteps).toBe(75 * plan.trainingCaseIds.length)
    expect(plan.epochs).toBe(Math.ceil((plan.targetSteps as number) / plan.stepsPerEpoch))
    // The warm-up follows the target, not a 10-epoch guess.
    expect(plan.warmupSteps).toBe(Math.min(200, Math.round(plan.epochs * plan.stepsPerEpoch * 0.05)))
  })

  it('takes --minutes as the budget with no step target, and --epochs as a fixed run without a budget', () => {
    const timed = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ minutes: 40 }) }))
    expect(timed.timeBudgetSeconds).toBe(40 * 60)
    expect(timed.targetSteps).toBeNull()
    const fixed = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ epochs: 7, minutes: 40 }) }))
    expect(fixed.timeBudgetSeconds).toBeNull()
    expect(fixed.epochs).toBe(7)
  })

  it('targetStepsFor stays within 600–20,000', () => {
    expect(targetStepsFor(1)).toBe(600)
    expect(targetStepsFor(33)).toBe(2475)
    expect(targetStepsFor(1000)).toBe(20_000)
  })

  it('gives 2D images (one-slice cases) a 9-minute default budget, still aiming at 75 steps per case; a 2D network on volumes keeps the 3D budget', () => {
    const images = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({}), cases: Array.from({ length: 40 }, (_, n) => ({ id: `cxr_${n}`, shape: [1, 512, 512] as [number, number, number], spacingMm: [1, 1, 1] as Vec3, channels: 1 })) }))
    expect(images.timeBudgetSeconds).toBe(DEFAULT_TRAINING_MINUTES_2D * 60)
    expect(DEFAULT_TRAINING_MINUTES_2D).toBe(9)
    expect(images.trainingCaseIds).toHaveLength(32)
    expect(images.targetSteps).toBe(75 * 32)
    const slices = planTraining(hippocampusLike({ options: TrainingOptionsSchema.parse({ model: { architecture: 'plain-unet-2d' } }) }))
    expect(slices.timeBudgetSeconds).toBe(15 * 60)
    expect(slices.targetSteps).toBe(75 * slices.trainingCaseIds.length)
    // --minutes still replaces the budget and its step target.
    const timed = planTraining(imagesLike([512, 512], { options: TrainingOptionsSchema.parse({ minutes: 30 }) }))
    expect(timed).toMatchObject({ timeBudgetSeconds: 30 * 60, targetSteps: null })
    expect(defaultTrainingMinutesFor([[1, 512, 512], [512, 512, 1]])).toBe(9)
    expect(defaultTrainingMinutesFor([[1, 512, 512], [30, 512, 512]])).toBe(15)
    expect(defaultTrainingMinutesFor([])).toBe(15)
  })

  it('epochsForBudget fills the time left with whole epochs (steps + validation), never below the epoch under way', () => {
    const base = { budgetSeconds: 900, elapsedSeconds: 10, stepsDone: 6, stepsPerEpoch: 34, secondsPerStep: 0.5, epochOverheadSeconds: null, targetSteps: null }
    // 900 s − 10 s − 28 steps left in epoch 1 (14 s) = 876 s; an epoch is 17 s without overhead known: 51 more.
    expect(epochsForBudget(base)).toBe(1 + Math.floor(876 / 17))
    // With 3 s of validation per epoch: (900 − 10 − 14 − 3) / 20 = 43.65 → 43 more.
    expect(epochsForBudget({ ...base, epochOverheadSeconds: 3 })).toBe(44)
    // A step target that comes before the budget ends it sooner; one after it does not.
    expect(epochsForBudget({ ...base, targetSteps: 680 })).toBe(20)
    expect(epochsForBudget({ ...base, targetSteps: 1980 })).toBe(52)
    // Out of time: the epoch under way is the last.
    expect(epochsForBudget({ ...base, elapsedSeconds: 1000, stepsDone: 40 })).toBe(2)
    expect(epochsForBudget({ ...base, stepsDone: 68, elapsedSeconds: 899 })).toBe(2)
  })

  it('epochsForBudget leaves the time of the work after the last epoch (the post-processing choice) out of the epochs', () => {
    const base = { budgetSeconds: 900, elapsedSeconds: 10, stepsDone: 6, stepsPerEpoch: 34, secondsPerStep: 0.5, epochOverheadSeconds: 3, targetSteps: null }
    expect(epochsForBudget(base)).toBe(44)
    // 24 s reserved: (900 − 10 − 14 − 3 − 24) / 20 = 42.45 → 42 more.
    expect(epochsForBudget({ ...base, finalSeconds: 24 })).toBe(43)
    // A reserve larger than what is left still finishes the epoch under way.
    expect(epochsForBudget({ ...base, finalSeconds: 2000 })).toBe(1)
    // A step target reached well inside the budget is not moved by it.
    expect(epochsForBudget({ ...base, targetSteps: 680, finalSeconds: 24 })).toBe(20)
  })
})
