import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARCHITECTURE_REGISTRY } from '../../../../src/engine/model/architectures'
import { buildUNetPlusPlus2d, buildUNetPlusPlus3d } from '../../../../src/engine/model/buildUNetPlusPlus'
import { predictionModel } from '../../../../src/engine/model/predictionModel'
import { unetPlusPlus2dDepthFor, type UNetPlusPlus2dOptions, type UNetPlusPlus3dOptions } from '../../../../src/engine/model/unetPlusPlusOptions'
import type { Batch } from '../../../../src/engine/data/BatchSampler'
import { supervisionTargets, supervisionWeights } from '../../../../src/engine/train/deepSupervision'
import { diceCrossEntropyLoss, oneHotLabels } from '../../../../src/engine/train/losses'
import { stepModel, trainStep } from '../../../../src/engine/train/trainStep'
import { buildTwiceFromPlan, expectSlicesIndependent, expectSoftmax, expectTrainsAndReloads } from './modelChecks'
import { seededTensor, useBackend } from './tfBackends'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-unetpp-'))

beforeAll(async () => {
  await useBackend('cpu')
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

const tiny3d = (overrides: Partial<UNetPlusPlus3dOptions> = {}): UNetPlusPlus3dOptions => ({ inputChannels: 1, numClasses: 2, baseFilters: 2, seed: 1, ...overrides })
const tiny2d = (overrides: Partial<UNetPlusPlus2dOptions> = {}): UNetPlusPlus2dOptions => ({ inputChannels: 1, numClasses: 2, baseFilters: 2, seed: 1, ...overrides })

/** The kernel shape of a layer's first weight. */
const kernel = (model: tf.LayersModel, name: string): number[] => model.getLayer(name).getWeights()[0]?.shape ?? []

describe('buildUNetPlusPlus', () => {
  it.each([
    ['3D, depth 2', () => buildUNetPlusPlus3d(tiny3d({ depth: 2, numClasses: 3 })), [2, 8, 4, 12, 1], 3],
    ['3D, depth 3, 2 channels', () => buildUNetPlusPlus3d(tiny3d({ depth: 3, inputChannels: 2 })), [1, 8, 16, 8, 2], 2],
    ['2D, depth 4', () => buildUNetPlusPlus2d(tiny2d({ depth: 4, numClasses: 3 })), [2, 1, 32, 16, 1], 3]
  ] as const)('%s: [b, D, H, W, K] softmax output, one output without deep supervision', (_name, build, inputShape, classes) => {
    const model = build()
    expect(model.outputs).toHaveLength(1)
    const x = seededTensor([...inputShape], 5)
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([...inputShape.slice(0, 4), classes])
    expectSoftmax(y)
    tf.dispose([x, y])
    model.dispose()
  })

  it('nests its decoders: X^{i,j} = conv(concat(X^{i,0…j−1}, up(X^{i+1,j−1}))), (depth+1)(depth+2)/2 nodes of plain U-Net blocks', () => {
    const model = buildUNetPlusPlus3d(tiny3d({ depth: 3, baseFilters: 4, maxFilters: 12 }))
    // Nodes x{i}_{j} for i + j ≤ 3: 10, each two conv–norm–LeakyReLU blocks.
    const nodes = new Set(model.layers.map((l) => /^x(\d)_(\d)_\d_conv$/.exec(l.name)).flatMap((m) => (m ? [`${m[1]}_${m[2]}`] : [])))
    expect(nodes.size).toBe(10)
    expect([...nodes].every((node) => (node.split('_').map(Number) as [number, number]).reduce((a, b) => a + b) <= 3)).toBe(true)
    expect(model.getLayer('x0_0_0_norm').getClassName()).toBe('InstanceNormalization')
    expect(model.getLayer('x0_0_0_act').getClassName()).toBe('LeakyReLU')
    // Encoder: strided convs down, filters 4, 8, 12 (capped), 12.
    expect(kernel(model, 'x1_0_0_conv')).toEqual([3, 3, 3, 4, 8])
    expect(model.getLayer('x1_0_0_conv').getConfig().strides).toEqual([2, 2, 2])
    expect(kernel(model, 'x3_0_0_conv')).toEqual([3, 3, 3, 12, 12])
    // Dense skips: X^{0,j} takes j earlier nodes of its row (4 channels each) and the upsampled node below (4).
    expect(kernel(model, 'x0_1_transpose')).toEqual([2, 2, 2, 4, 8]) // tfjs: [kd, kh, kw, out, in]
    expect(kernel(model, 'x0_1_0_conv')).toEqual([3, 3, 3, 8, 4])
    expect(kernel(model, 'x0_2_0_conv')).toEqual([3, 3, 3, 12, 4])
    expect(kernel(model, 'x0_3_0_conv')).toEqual([3, 3, 3, 16, 4])
    expect(kernel(model, 'x1_2_0_conv')).toEqual([3, 3, 3, 24, 8])
    expect(kernel(model, 'x2_1_transpose')).toEqual([2, 2, 2, 12, 12])
    expect(model.getLayer('x0_3_concat').inboundNodes[0]?.inboundLayers.map((l) => l.name)).toEqual(['x0_0_1_act', 'x0_1_1_act', 'x0_2_1_act', 'x0_3_transpose'])
    // The head on X^{0,3}.
    expect(kernel(model, 'logits')).toEqual([1, 1, 1, 4, 2])
    expect(model.getLayer('logits').inboundNodes[0]?.inboundLayers[0]?.name).toBe('x0_3_1_act')
    expect(model.name).toBe('unetpp3d')
    model.dispose()
  })

  it('in 2D: kernels [1, 3, 3], strides and transposed convs [1, 2, 2]; each slice is segmented on its own', () => {
    const model = buildUNetPlusPlus2d(tiny2d({ depth: 2, baseFilters: 4 }))
    expect(kernel(model, 'x0_0_0_conv')).toEqual([1, 3, 3, 1, 4])
    expect(model.getLayer('x1_0_0_conv').getConfig().strides).toEqual([1, 2, 2])
    expect(kernel(model, 'x0_2_transpose')).toEqual([1, 2, 2, 4, 8])
    expect(model.getLayer('x0_2_transpose').getConfig().strides).toEqual([1, 2, 2])
    expect(model.inputs[0]?.shape).toEqual([null, 1, null, null, 1])
    expect(model.name).toBe('unetpp2d')
    expectSlicesIndependent(model)
    model.dispose()
    expect(() => buildUNetPlusPlus2d(tiny2d({ inputShape: [2 as 1, 16, 16] }))).toThrow(/D of a 2D network must be 1/)
    expect(() => buildUNetPlusPlus3d(tiny3d({ depth: 3, inputShape: [8, 12, 8] }))).toThrow(/H must be null or a positive multiple of 2\^depth = 8/)
  })

  it("deep supervision is U-Net++'s: heads on X^{0,depth−1} … X^{0,1}, all at full resolution, equal loss weights; prediction uses X^{0,depth}", async () => {
    const model = buildUNetPlusPlus2d(tiny2d({ depth: 3, numClasses: 3, deepSupervision: true }))
    expect(model.outputs.map((o) => o.name.split('/')[0])).toEqual(['softmax', 'ds2_softmax', 'ds1_softmax'])
    expect(model.getLayer('ds1_logits').inboundNodes[0]?.inboundLayers[0]?.name).toBe('x0_1_1_act')
    expect(model.getLayer('ds2_logits').inboundNodes[0]?.inboundLayers[0]?.name).toBe('x0_2_1_act')
    const x = seededTensor([2, 1, 16, 8, 1], 4)
    const outputs = model.predict(x) as tf.Tensor[]
    expect(outputs.map((o) => o.shape)).toEqual([
      [2, 1, 16, 8, 3],
      [2, 1, 16, 8, 3],
      [2, 1, 16, 8, 3]
    ])
    // The heads differ (each scores its own nested decoder), the loss weighs them alike.
    expect(tf.max(tf.abs(tf.sub(outputs[0] as tf.Tensor, outputs[2] as tf.Tensor))).dataSync()[0]).toBeGreaterThan(1e-3)
    const weights = supervisionWeights(outputs.map((o) => o.shape))
    expect(weights.map((w) => w * 3)).toEqual([1, 1, 1].map((w) => expect.closeTo(w, 6)))
    // The training loss: the mean of each head's Dice + CE against the same one-hot labels.
    const label = Uint8Array.from({ length: 256 }, (_, i) => (i % 8 < 3 ? 0 : i % 8 < 6 ? 1 : 2))
    const y = oneHotLabels(label, [2, 1, 16, 8], 3)
    const targets = supervisionTargets(y, label, outputs)
    expect(targets.every((t) => t === y)).toBe(true)
    const expected = outputs.reduce((sum, o) => sum + (diceCrossEntropyLoss(y, o).dataSync()[0] as number) / 3, 0)
    const batch = { image: x.dataSync() as Float32Array, label, shape: [2, 1, 16, 8, 1], step: 0, samples: [] } as unknown as Batch
    expect(await trainStep(stepModel(model), tf.train.sgd(0), batch)).toBeCloseTo(expected, 5)
    // Prediction: the main head only, through a view that shares the weights.
    const view = predictionModel(model)
    expect(view.outputs).toHaveLength(1)
    const viewed = view.predict(x) as tf.Tensor
    expect(Array.from(viewed.dataSync())).toEqual(Array.from((outputs[0] as tf.Tensor).dataSync()))
    tf.dispose([x, y, viewed, ...outputs])
    model.dispose()
  })

  it('the registry fills in the CPU defaults (8 filters, deep supervision, 3D depth 3, 2D depth from the slice, at most 4) and refuses residual units', () => {
    expect(ARCHITECTURE_REGISTRY.unetpp.resolve({ inputChannels: 1, numClasses: 3, seed: 2 })).toMatchObject({ depth: 3, baseFilters: 8, maxFilters: 320, deepSupervision: true, name: 'unetpp3d' })
    expect(ARCHITECTURE_REGISTRY['unetpp-2d'].resolve({ inputChannels: 1, numClasses: 2, seed: 2, planeEdge: 512 })).toMatchObject({ depth: 4, baseFilters: 8, maxFilters: 128, deepSupervision: true, inputShape: [1, null, null] })
    expect([512, 256, 64, 32, 8].map(unetPlusPlus2dDepthFor)).toEqual([4, 4, 4, 3, 1])
    expect(ARCHITECTURE_REGISTRY['unetpp-2d'].resolve({ inputChannels: 1, numClasses: 2, seed: 2, planeEdge: 512, depth: 6 })).toMatchObject({ depth: 6 })
    expect(ARCHITECTURE_REGISTRY['unetpp-2d'].divisorOf(ARCHITECTURE_REGISTRY['unetpp-2d'].resolve({ inputChannels: 1, numClasses: 2, seed: 2, planeEdge: 32 }))).toEqual([1, 8, 8])
    expect(() => ARCHITECTURE_REGISTRY.unetpp.resolve({ inputChannels: 1, numClasses: 2, seed: 2, residualUnits: 1 })).toThrow(/residual units belong to the residual U-Nets/)
    expect(() => ARCHITECTURE_REGISTRY['unetpp-2d'].resolve({ inputChannels: 1, numClasses: 2, seed: 2, depth: 7 })).toThrow(/depth must be an integer from 1 to 6/)
  })

  it('trains, and a saved U-Net++ with deep supervision reloads and is rebuilt from its plan with the same predictions', async () => {
    const options = ARCHITECTURE_REGISTRY['unetpp-2d'].resolve({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 4, seed: 9 })
    const model = buildTwiceFromPlan('unetpp-2d', options)
    // Every nested node gets gradients, the deepest decoder's included.
    await expectTrainsAndReloads(model, { builder: 'unetpp-2d', dir: path.join(tmp, 'v0001'), shape: [2, 1, 16, 16, 1], steps: 15, watchLayer: 'x1_1_transpose', outputs: 2 })
  })
})
