/** The residual U-Net in the plane of one slice ('residual-unet-2d': buildUNet3d.ts's buildResidualUNet2d). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, saveModel } from '../../../../src/engine/model'
import { ARCHITECTURE_REGISTRY, buildFromPlan } from '../../../../src/engine/model/architectures'
import { buildResidualUNet2d, buildUNet3d } from '../../../../src/engine/model/buildUNet3d'
import { UpSampling3D } from '../../../../src/engine/model/layers'
import { residualUNet2dDepthFor, type ResidualUNet2dOptions } from '../../../../src/engine/model/residualUNet2dOptions'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import { stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import { seededTensor, useBackend } from './tfBackends'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-residual-2d-'))

beforeAll(async () => {
  await useBackend('cpu')
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

const tiny = (overrides: Partial<ResidualUNet2dOptions> = {}): ResidualUNet2dOptions => ({ inputChannels: 1, numClasses: 2, baseFilters: 2, seed: 1, ...overrides })

describe('buildResidualUNet2d', () => {
  it('takes and gives the pipeline 5D tensors with D = 1: [2, 1, 32, 16, C] → [2, 1, 32, 16, K] softmax', () => {
    const model = buildResidualUNet2d(tiny({ depth: 3, inputChannels: 2, numClasses: 3, residualUnits: 2 }))
    expect(model.outputs).toHaveLength(1)
    const x = seededTensor([2, 1, 32, 16, 2], 5)
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([2, 1, 32, 16, 3])
    const sums = tf.sum(y, -1)
    expect(tf.min(sums).dataSync()[0]).toBeCloseTo(1, 5)
    expect(tf.max(sums).dataSync()[0]).toBeCloseTo(1, 5)
    tf.dispose([x, y, sums])
    model.dispose()
  })

  it('is the residual U-Net in the plane: every kernel and stride [1, n, n], upsampling [1, 2, 2]; the 3D one is unchanged', () => {
    const model = buildResidualUNet2d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 2, seed: 1 })
    const kernel = (name: string): number[] => model.getLayer(name).getWeights()[0]?.shape ?? []
    expect(kernel('enc0_conv')).toEqual([1, 3, 3, 1, 4])
    expect(kernel('enc1_unit0_a_conv')).toEqual([1, 4, 4, 4, 8]) // DLTK's 2·stride kernel, in the plane
    expect(model.getLayer('enc1_unit0_a_conv').getConfig().strides).toEqual([1, 2, 2])
    expect(kernel('enc1_unit0_shortcut')).toEqual([1, 1, 1, 4, 8])
    expect(model.getLayer('enc1_unit0_shortcut').getConfig().strides).toEqual([1, 2, 2])
    expect(kernel('enc1_unit1_a_conv')).toEqual([1, 3, 3, 8, 8])
    expect(kernel('dec1_upconv')).toEqual([1, 1, 1, 16, 8])
    expect(model.getLayer('dec0_upsample')).toBeInstanceOf(UpSampling3D)
    expect(model.getLayer('dec0_upsample').getConfig().size).toEqual([1, 2, 2])
    expect(kernel('logits')).toEqual([1, 1, 1, 4, 3])
    expect(model.inputs[0]?.shape).toEqual([null, 1, null, null, 1])
    expect(model.name).toBe('residual_unet2d')
    model.dispose()
    // The 3D network keeps its cubic kernels and ×2 upsampling on every axis.
    const volumetric = buildUNet3d({ inputChannels: 1, numClasses: 2, depth: 1, baseFilters: 2, seed: 1 })
    expect(volumetric.getLayer('enc1_unit0_a_conv').getWeights()[0]?.shape).toEqual([4, 4, 4, 2, 4])
    expect(volumetric.getLayer('dec0_upsample').getConfig().size).toEqual([2, 2, 2])
    volumetric.dispose()
  })

  it('segments each slice on its own, and checks its options (D one slice, H and W multiples of 2^depth)', () => {
    const model = buildResidualUNet2d(tiny({ depth: 2, baseFilters: 4 }))
    const a = seededTensor([1, 1, 16, 16, 1], 1)
    const b = seededTensor([1, 1, 16, 16, 1], 2)
    const alone = model.predict(a) as tf.Tensor
    const both = model.predict(tf.concat([b, a], 0)) as tf.Tensor
    const second = tf.slice(both, [1, 0, 0, 0, 0], [1, 1, 16, 16, 2])
    expect(tf.max(tf.abs(tf.sub(second, alone))).dataSync()[0]).toBeLessThan(1e-5)
    expect(() => model.predict(seededTensor([1, 2, 16, 16, 1], 3))).toThrow()
    tf.dispose([a, b, alone, both, second])
    model.dispose()
    expect(() => buildResidualUNet2d(tiny({ inputShape: [2 as 1, 16, 16] }))).toThrow(/D of a 2D network must be 1/)
    expect(() => buildResidualUNet2d(tiny({ depth: 3, inputShape: [1, 12, 16] }))).toThrow(/H must be null or a positive multiple of 2\^depth = 8/)
  })

  it('the registry: 8 filters, 1 unit, depth from the slice at most 4; no deep supervision', () => {
    const network = ARCHITECTURE_REGISTRY['residual-unet-2d']
    expect(network.planar).toBe(true)
    const options = network.resolve({ inputChannels: 1, numClasses: 2, seed: 3, planeEdge: 512 })
    expect(options).toMatchObject({ depth: 4, baseFilters: 8, residualUnits: 1, inputShape: [1, null, null] })
    expect(network.divisorOf(options)).toEqual([1, 16, 16])
    expect([512, 256, 64, 32].map(residualUNet2dDepthFor)).toEqual([4, 4, 4, 3])
    expect(() => network.resolve({ inputChannels: 1, numClasses: 2, seed: 3, deepSupervision: true })).toThrow(/'residual-unet-2d' has one output/)
  })

  it('trains, and a saved 2D residual U-Net reloads and is rebuilt from its plan with the same predictions', async () => {
    const options = ARCHITECTURE_REGISTRY['residual-unet-2d'].resolve({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 4, seed: 9 })
    const model = buildFromPlan({ architecture: 'residual-unet-2d', model: options })
    const rebuilt = buildFromPlan({ architecture: 'residual-unet-2d', model: options })
    expect(rebuilt.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())))
    rebuilt.dispose()

    const shape = [2, 1, 16, 16, 1] as const
    const image = Float32Array.from({ length: 512 }, (_, i) => (i % 16 < 8 ? 1 : -1))
    const label = Uint8Array.from(image, (v) => (v > 0 ? 1 : 0))
    const batch = { image, label, shape: [...shape], step: 0, samples: [] } as unknown as Batch
    const target = stepModel(model)
    const optimizer = tf.train.adam(1e-2)
    const losses: number[] = []
    for (let i = 0; i < 15; i++) losses.push(trainStep(target, optimizer, batch))
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) * 0.5)

    const dir = path.join(tmp, 'v0001')
    await saveModel(model, dir, { architecture: { builder: 'residual-unet-2d' } }, new Date('2026-01-01T00:00:00Z'))
    const loaded = (await loadModel(dir)).model
    expect(loaded.getLayer('dec0_upsample').getConfig().size).toEqual([1, 2, 2])
    const x = tf.tensor5d(image, [...shape])
    const a = model.predict(x) as tf.Tensor
    const b = loaded.predict(x) as tf.Tensor
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()))
    tf.dispose([x, a, b])
    model.dispose()
    loaded.dispose()
  })
})
