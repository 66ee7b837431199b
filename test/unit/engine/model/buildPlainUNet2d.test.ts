import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARCHITECTURE_REGISTRY } from '../../../../src/engine/model/architectures'
import { buildPlainUNet2d } from '../../../../src/engine/model/buildPlainUNet2d'
import { plainUNet2dDepthFor, resolvePlainUNet2dOptions, type PlainUNet2dOptions } from '../../../../src/engine/model/plainUNet2dOptions'
import { buildTwiceFromPlan, expectSlicesIndependent, expectSoftmax, expectTrainsAndReloads } from './modelChecks'
import { seededTensor, useBackend } from './tfBackends'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-plain-unet-2d-'))

beforeAll(async () => {
  await useBackend('cpu')
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

function tiny(overrides: Partial<PlainUNet2dOptions>): PlainUNet2dOptions {
  return { inputChannels: 1, numClasses: 2, baseFilters: 2, seed: 1, ...overrides }
}

describe('buildPlainUNet2d', () => {
  it('takes and gives the pipeline 5D tensors with D = 1: [2, 1, 64, 64, 1] → [2, 1, 64, 64, K] and deep supervision [2, 1, 32, 32, K], [2, 1, 16, 16, K]', () => {
    const model = buildPlainUNet2d(tiny({ depth: 4, numClasses: 3, deepSupervision: true }))
    const x = seededTensor([2, 1, 64, 64, 1], 5)
    const outputs = model.predict(x) as tf.Tensor[]
    expect(outputs.map((y) => y.shape)).toEqual([
      [2, 1, 64, 64, 3],
      [2, 1, 32, 32, 3],
      [2, 1, 16, 16, 3]
    ])
    expectSoftmax(outputs[0] as tf.Tensor)
    tf.dispose([x, ...outputs])
    model.dispose()
  })

  it('is the plain U-Net in the plane: 3×3 kernels of depth 1, [1, 2, 2] strides and 2×2 transposed convs, nnU-Net 2D cap of 512 channels', () => {
    const model = buildPlainUNet2d(tiny({ depth: 2, baseFilters: 4, maxFilters: 6, numClasses: 3 }))
    const kernel = (name: string): number[] => model.getLayer(name).getWeights()[0]?.shape ?? []
    expect(kernel('enc0_0_conv')).toEqual([1, 3, 3, 1, 4])
    expect(kernel('enc1_0_conv')).toEqual([1, 3, 3, 4, 6])
    expect(model.getLayer('enc1_0_conv').getConfig().strides).toEqual([1, 2, 2])
    expect(model.getLayer('enc1_1_conv').getConfig().strides).toEqual([1, 1, 1])
    expect(kernel('dec1_transpose')).toEqual([1, 2, 2, 6, 6])
    expect(model.getLayer('dec1_transpose').getConfig().strides).toEqual([1, 2, 2])
    expect(kernel('dec1_0_conv')).toEqual([1, 3, 3, 12, 6])
    expect(kernel('logits')).toEqual([1, 1, 1, 4, 3])
    expect(model.inputs[0]?.shape).toEqual([null, 1, null, null, 1])
    expect(model.name).toBe('plain_unet2d')
    expect(resolvePlainUNet2dOptions({ inputChannels: 1, numClasses: 2 }).maxFilters).toBe(512)
    model.dispose()
  })

  it('segments each slice on its own: the same slice gives the same output whatever the batch holds; a stack of slices is refused', () => {
    const model = buildPlainUNet2d(tiny({ depth: 2, baseFilters: 4 }))
    expectSlicesIndependent(model)
    model.dispose()
  })

  it('checks its options: D is one slice, H and W multiples of 2^depth; depth from the patch pools to ~4–8 px', () => {
    expect(() => buildPlainUNet2d(tiny({ inputShape: [2 as 1, 16, 16] }))).toThrow(/D of a 2D network must be 1/)
    expect(() => buildPlainUNet2d(tiny({ depth: 3, inputShape: [1, 12, 16] }))).toThrow(/H must be null or a positive multiple of 2\^depth = 8/)
    expect(resolvePlainUNet2dOptions({ inputChannels: 1, numClasses: 2, depth: 3, inputShape: [null, 16, 24] }).inputShape).toEqual([1, 16, 24])
    expect([512, 256, 200, 64, 32, 8, 4].map(plainUNet2dDepthFor)).toEqual([6, 6, 5, 4, 3, 1, 1])
  })

  it('trains, and a saved 2D model (with deep supervision) reloads and is rebuilt from its plan with the same predictions', async () => {
    const options = ARCHITECTURE_REGISTRY['plain-unet-2d'].resolve({ inputChannels: 1, numClasses: 2, depth: 3, baseFilters: 4, seed: 9 })
    expect(options).toMatchObject({ depth: 3, baseFilters: 4, maxFilters: 64, deepSupervision: true, inputShape: [1, null, null] })
    const model = buildTwiceFromPlan('plain-unet-2d', options)
    await expectTrainsAndReloads(model, { builder: 'plain-unet-2d', dir: path.join(tmp, 'v0001'), shape: [2, 1, 16, 16, 1], steps: 20, watchLayer: 'dec0_transpose', outputs: 2 })
  })
})
