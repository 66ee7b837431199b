import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, saveModel } from '../../../../src/engine/model'
import { buildPlainUNet3d, plainFiltersAt } from '../../../../src/engine/model/buildPlainUNet3d'
import { InstanceNormalization } from '../../../../src/engine/model/layers'
import { resolvePlainUNet3dOptions, type PlainUNet3dOptions } from '../../../../src/engine/model/plainUNet3dOptions'
import { expectSeededWeights, expectSoftmax, expectTrainsAndReloads } from './modelChecks'
import { seededTensor, useBackend } from './tfBackends'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-plain-unet-'))

beforeAll(async () => {
  await useBackend('cpu')
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

function tiny(overrides: Partial<PlainUNet3dOptions>): PlainUNet3dOptions {
  return { inputChannels: 1, numClasses: 2, baseFilters: 2, seed: 1, ...overrides }
}

describe('buildPlainUNet3d', () => {
  it.each([
    ['depth 2, 1 channel, 2 classes', tiny({ depth: 2 }), [1, 8, 12, 4, 1]],
    ['depth 3, 4 channels, 3 classes', tiny({ depth: 3, inputChannels: 4, numClasses: 3 }), [2, 8, 16, 8, 4]],
    ['depth 1, one conv per stage', tiny({ depth: 1, convsPerStage: 1 }), [1, 6, 2, 10, 1]]
  ] as const)('%s: [b, D, H, W, K] softmax output', (_name, options, inputShape) => {
    const model = buildPlainUNet3d(options)
    const x = seededTensor([...inputShape], 5)
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([...inputShape.slice(0, 4), options.numClasses])
    expectSoftmax(y)
    tf.dispose([x, y])
    model.dispose()
  })

  it("has nnU-Net's structure: conv–norm–LeakyReLU pairs, strided-conv downsampling, transposed-conv upsampling, capped filters", () => {
    const model = buildPlainUNet3d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, maxFilters: 6, seed: 1 })
    const kernel = (name: string): number[] => model.getLayer(name).getWeights()[0]?.shape ?? []
    expect(kernel('enc0_0_conv')).toEqual([3, 3, 3, 1, 4])
    expect(kernel('enc0_1_conv')).toEqual([3, 3, 3, 4, 4])
    // Stage 1 would have 8 filters; the cap makes it 6 (nnU-Net caps at 320).
    expect(kernel('enc1_0_conv')).toEqual([3, 3, 3, 4, 6])
    expect(model.getLayer('enc1_0_conv').getConfig().strides).toEqual([2, 2, 2])
    expect(model.getLayer('enc1_1_conv').getConfig().strides).toEqual([1, 1, 1])
    expect(kernel('enc2_0_conv')).toEqual([3, 3, 3, 6, 6])
    expect(model.getLayer('dec1_transpose').getClassName()).toBe('Conv3DTranspose')
    expect(model.getLayer('dec1_transpose').getConfig().strides).toEqual([2, 2, 2])
    expect(kernel('dec1_transpose')).toEqual([2, 2, 2, 6, 6]) // [k, k, k, out, in] for transposed convs
    expect(kernel('dec1_0_conv')).toEqual([3, 3, 3, 12, 6]) // concat 6 + 6
    expect(kernel('dec0_0_conv')).toEqual([3, 3, 3, 8, 4])
    expect(kernel('logits')).toEqual([1, 1, 1, 4, 3])
    expect(model.getLayer('dec0_1_norm')).toBeInstanceOf(InstanceNormalization)
    expect(model.getLayer('dec0_1_act').getConfig().alpha).toBeCloseTo(0.01)
    const biased = model.layers.filter((layer) => /^Conv3D/.test(layer.getClassName()) && layer.getConfig().useBias).map((layer) => layer.name)
    expect(biased).toEqual(['logits'])
    expect(plainFiltersAt({ baseFilters: 4, maxFilters: 6 }, 3)).toBe(6)
    model.dispose()
  })

  it('builds the same weights from the same seed and different ones from another', () => {
    expectSeededWeights((seed) => buildPlainUNet3d(tiny({ depth: 2, seed })))
  })

  it('trains (the transposed convolutions get gradients) and reloads from a version folder with the same predictions', async () => {
    const model = buildPlainUNet3d(tiny({ depth: 2, baseFilters: 4 }))
    await expectTrainsAndReloads(model, { builder: 'plain-unet', dir: path.join(tmp, 'v0001'), shape: [1, 8, 8, 8, 1], steps: 30, watchLayer: 'dec0_transpose' })

    // With deep supervision: both outputs saved and reloaded (a resumed run keeps the auxiliary head).
    const supervised = buildPlainUNet3d(tiny({ depth: 3, baseFilters: 2, deepSupervision: true }))
    const dsDir = path.join(tmp, 'v0002')
    await saveModel(supervised, dsDir, { architecture: { builder: 'plain-unet' } }, new Date('2026-01-01T00:00:00Z'))
    const reloaded = (await loadModel(dsDir)).model
    expect(reloaded.outputs.map((o) => o.shape)).toEqual(supervised.outputs.map((o) => o.shape))
    expect(reloaded.getLayer('ds1_logits').getWeights()[0]?.dataSync()).toEqual(supervised.getLayer('ds1_logits').getWeights()[0]?.dataSync())
    supervised.dispose()
    reloaded.dispose()
  })

  it('fills in documented defaults and rejects bad options with INVALID_ARGUMENT', () => {
    expect(resolvePlainUNet3dOptions({ inputChannels: 1, numClasses: 3 })).toMatchObject({
      depth: 3,
      baseFilters: 16,
      maxFilters: 320,
      convsPerStage: 2,
      leakyReluAlpha: 0.01,
      inputShape: [null, null, null],
      seed: null
    })
    for (const [bad, message] of [
      [{ convsPerStage: 0 }, /convsPerStage/],
      [{ maxFilters: 0 }, /maxFilters/],
      [{ depth: 7 }, /depth/],
      [{ inputShape: [8, 6, 8], depth: 2 }, /multiple of 2\^depth = 4/]
    ] as const) {
      expect(() => buildPlainUNet3d({ ...tiny({}), ...bad } as PlainUNet3dOptions)).toThrow(message)
    }
  })
})
