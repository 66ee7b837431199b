import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, saveModel } from '../../../../src/engine/model'
import { ARCHITECTURE_REGISTRY, buildFromPlan } from '../../../../src/engine/model/architectures'
import { buildPlainUNet2d } from '../../../../src/engine/model/buildPlainUNet2d'
import { plainUNet2dDepthFor, resolvePlainUNet2dOptions, type PlainUNet2dOptions } from '../../../../src/engine/model/plainUNet2dOptions'
import { stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
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
    const sums = tf.sum(outputs[0] as tf.Tensor, -1)
    expect(tf.min(sums).dataSync()[0]).toBeCloseTo(1, 5)
    expect(tf.max(sums).dataSync()[0]).toBeCloseTo(1, 5)
    tf.dispose([x, sums, ...outputs])
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

  it('segments each slice on its own: the same slice gives the same output whatever the batch holds', () => {
    const model = buildPlainUNet2d(tiny({ depth: 2, baseFilters: 4 }))
    const a = seededTensor([1, 1, 16, 16, 1], 1)
    const b = seededTensor([1, 1, 16, 16, 1], 2)
    const alone = model.predict(a) as tf.Tensor
    const both = model.predict(tf.concat([b, a], 0)) as tf.Tensor
    const second = tf.slice(both, [1, 0, 0, 0, 0], [1, 1, 16, 16, 2])
    expect(tf.max(tf.abs(tf.sub(second, alone))).dataSync()[0]).toBeLessThan(1e-5)
    // A stack of slices is refused rather than normalised together.
    expect(() => model.predict(seededTensor([1, 2, 16, 16, 1], 3))).toThrow()
    tf.dispose([a, b, alone, both, second])
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
    const model = buildFromPlan({ architecture: 'plain-unet-2d', model: options })
    const rebuilt = buildFromPlan({ architecture: 'plain-unet-2d', model: options })
    expect(rebuilt.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())))
    rebuilt.dispose()

    const shape = [2, 1, 16, 16, 1] as const
    const image = Float32Array.from({ length: 512 }, (_, i) => ((i % 16) < 8 ? 1 : -1))
    const label = Uint8Array.from(image, (v) => (v > 0 ? 1 : 0))
    const batch = { image, label, shape: [...shape], step: 0, samples: [] } as unknown as Batch
    const before = model.getLayer('dec0_transpose').getWeights()[0]?.dataSync().slice() as Float32Array
    const target = stepModel(model)
    const optimizer = tf.train.adam(1e-2)
    const losses: number[] = []
    for (let i = 0; i < 20; i++) losses.push(trainStep(target, optimizer, batch))
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) * 0.5)
    expect(model.getLayer('dec0_transpose').getWeights()[0]?.dataSync()).not.toEqual(before)

    const dir = path.join(tmp, 'v0001')
    await saveModel(model, dir, { architecture: { builder: 'plain-unet-2d' } }, new Date('2026-01-01T00:00:00Z'))
    const loaded = (await loadModel(dir)).model
    expect(loaded.outputs.map((o) => o.shape)).toEqual(model.outputs.map((o) => o.shape))
    const x = tf.tensor5d(image, [...shape])
    const a = model.predict(x) as tf.Tensor[]
    const b = loaded.predict(x) as tf.Tensor[]
    expect(b).toHaveLength(2)
    for (let i = 0; i < a.length; i++) expect(Array.from((b[i] as tf.Tensor).dataSync())).toEqual(Array.from((a[i] as tf.Tensor).dataSync()))
    tf.dispose([x, ...a, ...b])
    model.dispose()
    loaded.dispose()
  })
})
