/** The residual U-Net in the plane of one slice ('residual-unet-2d': buildUNet3d.ts's buildResidualUNet2d). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARCHITECTURE_REGISTRY } from '../../../../src/engine/model/architectures'
import { buildResidualUNet2d, buildUNet3d } from '../../../../src/engine/model/buildUNet3d'
import { UpSampling3D } from '../../../../src/engine/model/layers'
import { residualUNet2dDepthFor, type ResidualUNet2dOptions } from '../../../../src/engine/model/residualUNet2dOptions'
import { buildTwiceFromPlan, expectSlicesIndependent, expectSoftmax, expectTrainsAndReloads } from './modelChecks'
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
    expectSoftmax(y)
    tf.dispose([x, y])
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
    expectSlicesIndependent(model)
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
    const model = buildTwiceFromPlan('residual-unet-2d', options)
    await expectTrainsAndReloads(model, {
      builder: 'residual-unet-2d',
      dir: path.join(tmp, 'v0001'),
      shape: [2, 1, 16, 16, 1],
      steps: 15,
      reloaded: (loaded) => expect(loaded.getLayer('dec0_upsample').getConfig().size).toEqual([1, 2, 2])
    })
  })
})
