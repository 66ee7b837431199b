/**
 * The ONNX file's metadata from a training plan: classes with background first, the plan's
 * spacing and patch, and the normalisation as numbers a user can apply, for every kind of plan.
 */
import { describe, expect, it } from 'vitest'
import { onnxMetadata } from '../../../../../src/engine/model/onnx/onnxMetadata'
import { ARCHITECTURE_REGISTRY } from '../../../../../src/engine/model/architectures'
import { applyNormalizationInPlace, ctWindowNormalization } from '../../../../../src/engine/data/normalize'
import { TrainingPlanSchema, type NormalizationPlan, type TrainingPlan } from '../../../../../src/shared/training'

function plan(overrides: Partial<TrainingPlan> = {}): TrainingPlan {
  return TrainingPlanSchema.parse({
    epochs: 3,
    stepsPerEpoch: 10,
    patchSize: [1, 64, 96],
    batchSize: 2,
    optimizer: 'adam',
    learningRate: 0.001,
    momentum: 0.99,
    schedule: 'poly',
    warmupSteps: 1,
    validationFraction: 0.2,
    augment: true,
    seed: 1,
    patience: 20,
    foregroundProbability: 0.33,
    targetSpacingMm: [0.7, 0.8, 5],
    modality: 'CT',
    inputChannels: 1,
    classes: [
      { index: 1, labelId: 3, name: 'liver' },
      { index: 2, labelId: 7, name: 'tumour' }
    ],
    architecture: 'plain-unet-2d',
    model: ARCHITECTURE_REGISTRY['plain-unet-2d'].resolve({ inputChannels: 1, numClasses: 3, seed: 1, depth: 4, baseFilters: 4 }),
    trainingCaseIds: ['a'],
    validationCaseIds: ['b'],
    fromModel: null,
    backend: 'wasm',
    ...overrides
  })
}

const entries = (p: TrainingPlan): Record<string, string> =>
  Object.fromEntries(onnxMetadata({ producerVersion: '1.2.3', version: 'v0002-20261206-101500', bestEpoch: 4, plan: p, postprocessing: null }).map((e) => [e.key, e.value]))

describe('onnxMetadata', () => {
  it('gives the classes with background first, the spacing, patch and divisor of the plan', () => {
    const meta = entries(plan())
    expect(JSON.parse(meta.classes as string)).toEqual([
      { index: 0, labelId: 0, name: 'background' },
      { index: 1, labelId: 3, name: 'liver' },
      { index: 2, labelId: 7, name: 'tumour' }
    ])
    expect(JSON.parse(meta.target_spacing_mm as string)).toEqual([0.7, 0.8, 5])
    expect(JSON.parse(meta.patch_size as string)).toEqual([1, 64, 96])
    // A 2D net of depth 4 pools H and W four times, never D.
    expect(JSON.parse(meta.spatial_divisor as string)).toEqual([1, 16, 16])
    expect(meta).toMatchObject({ voxloop_version: '1.2.3', model_version: 'v0002-20261206-101500', best_epoch: '4', architecture: 'plain-unet-2d', modality: 'CT', input_channels: '1' })
    expect(meta.preprocessing).toMatch(/resample linearly to 0\.7 × 0\.8 × 5 mm/)
  })

  it("copies a CT dataset normalisation's numbers", () => {
    const normalization: NormalizationPlan = { scheme: 'ct-dataset', channels: [{ kind: 'zscore', clip: [-80, 240], offset: 95, scale: 1 / 55 }], reason: 'CT foreground' }
    expect(JSON.parse(entries(plan({ normalization })).normalization as string)).toMatchObject({ scheme: 'ct-dataset', channels: normalization.channels })
  })

  it('describes the per-volume z-score of MR plans', () => {
    const normalization: NormalizationPlan = { scheme: 'per-volume-zscore', channels: null, reason: 'MR' }
    expect(JSON.parse(entries(plan({ modality: 'MR', normalization })).normalization as string)).toMatchObject({ scheme: 'per-volume-zscore', statisticsFrom: 'nonzero', clipPercentiles: [0.5, 99.5], clipOutput: true })
  })

  it("gives older CT plans (no recorded normalisation) the default window's numbers, which map −1000…1000 HU to −1…1", () => {
    const recorded = JSON.parse(entries(plan()).normalization as string) as { scheme: string; channels: ReturnType<typeof ctWindowNormalization>[] }
    expect(recorded.scheme).toBe('ct-window')
    expect(recorded.channels).toEqual([ctWindowNormalization()])
    const values = Float32Array.of(-2000, -1000, 0, 1000)
    applyNormalizationInPlace(values, 1, 0, recorded.channels[0] as ReturnType<typeof ctWindowNormalization>)
    expect(Array.from(values)).toEqual([-1, -1, 0, 1])
  })
})
