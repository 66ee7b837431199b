import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildUNet3d, resolveUNet3dOptions, type UNet3dOptions } from '../../../../src/engine/model'
import { InstanceNormalization, UpSampling3D } from '../../../../src/engine/model/layers'
import { expectSeededWeights, expectSoftmax } from './modelChecks'
import { seededTensor, useBackend } from './tfBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

function tiny(overrides: Partial<UNet3dOptions>): UNet3dOptions {
  return { inputChannels: 1, numClasses: 2, baseFilters: 2, residualUnits: 1, seed: 1, ...overrides }
}

describe('buildUNet3d', () => {
  it.each([
    // name, options, input [b, D, H, W, C]
    ['depth 2, 1 channel, 2 classes, even size', tiny({ depth: 2 }), [1, 8, 12, 4, 1]],
    ['depth 3, 4 channels, 3 classes', tiny({ depth: 3, inputChannels: 4, numClasses: 3 }), [2, 8, 16, 8, 4]],
    ['depth 2, odd multiples of 4 (12 = 4·3, 20 = 4·5)', tiny({ depth: 2, numClasses: 3 }), [1, 12, 4, 20, 1]],
    ['depth 1, leaky ReLU, 3×3×3 up-conv, 2 units', tiny({ depth: 1, activation: 'leakyRelu', upsamplingKernelSize: 3, residualUnits: 2 }), [1, 6, 2, 10, 1]],
    ['fixed input shape', tiny({ depth: 2, inputChannels: 4, numClasses: 3, inputShape: [4, 8, 12] }), [2, 4, 8, 12, 4]]
  ] as const)('%s: [b, D, H, W, K] softmax output', (_name, options, inputShape) => {
    const model = buildUNet3d(options)
    const classes = options.numClasses
    expect(model.inputs[0]?.shape).toEqual([null, ...(options.inputShape ?? [null, null, null]), options.inputChannels])
    expect(model.outputs[0]?.shape).toEqual([null, ...(options.inputShape ?? [null, null, null]), classes])
    const x = seededTensor([...inputShape], 5)
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([...inputShape.slice(0, 4), classes])
    expectSoftmax(y)
    tf.dispose([x, y])
    model.dispose()
  })

  it('rejects spatial sizes that are not multiples of 2^depth, at build (fixed) and at run time (null)', () => {
    expect(() => buildUNet3d(tiny({ depth: 2, inputShape: [8, 10, 8] }))).toThrow(/multiple of 2\^depth = 4/)
    const model = buildUNet3d(tiny({ depth: 2 }))
    const x = tf.zeros([1, 8, 6, 8, 1])
    expect(() => model.predict(x)).toThrow()
    x.dispose()
    model.dispose()
  })

  it('has the DLTK structure: initial conv, strided first units, upsampling + concat, residual decoder, 1×1×1 softmax head', () => {
    const model = buildUNet3d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 2, seed: 1 })
    const kernel = (name: string): number[] => (model.getLayer(name) as tf.layers.Layer).getWeights()[0]?.shape ?? []
    expect(kernel('enc0_conv')).toEqual([3, 3, 3, 1, 4])
    expect(kernel('enc1_unit0_a_conv')).toEqual([4, 4, 4, 4, 8]) // stride 2: DLTK's 2·stride kernel
    expect(kernel('enc1_unit0_shortcut')).toEqual([1, 1, 1, 4, 8])
    expect(kernel('enc1_unit1_a_conv')).toEqual([3, 3, 3, 8, 8])
    expect(() => model.getLayer('enc1_unit1_shortcut')).toThrow() // same shape: identity shortcut
    expect(kernel('enc2_unit0_a_conv')).toEqual([4, 4, 4, 8, 16])
    expect(kernel('dec1_upconv')).toEqual([1, 1, 1, 16, 8])
    expect(kernel('dec1_unit0_shortcut')).toEqual([1, 1, 1, 16, 8]) // concat 8 + 8 → 8
    expect(kernel('dec0_unit1_b_conv')).toEqual([3, 3, 3, 4, 4])
    expect(kernel('logits')).toEqual([1, 1, 1, 4, 3])
    expect(model.getLayer('dec0_upsample')).toBeInstanceOf(UpSampling3D)
    expect(model.getLayer('dec0_unit0_a_norm')).toBeInstanceOf(InstanceNormalization)
    expect(model.getLayer('enc1_unit0_a_conv').getConfig().strides).toEqual([2, 2, 2])
    // Convolutions before a normalisation have no bias; only the classifier does.
    const biased = model.layers.filter((layer) => layer.getClassName() === 'Conv3D' && layer.getConfig().useBias).map((layer) => layer.name)
    expect(biased).toEqual(['logits'])
    expect(model.layers.at(-1)?.getClassName()).toBe('Softmax')
    model.dispose()
  })

  it('builds the same weights from the same seed and different ones from another', () => {
    expectSeededWeights((seed) => buildUNet3d(tiny({ depth: 2, seed })))
  })

  it('fills in documented defaults', () => {
    const resolved = resolveUNet3dOptions({ inputChannels: 1, numClasses: 3 })
    expect(resolved).toMatchObject({
      depth: 3,
      baseFilters: 16,
      residualUnits: 2,
      normalization: 'instance',
      normEpsilon: 1e-5,
      activation: 'relu',
      leakyReluAlpha: 0.01,
      upsamplingKernelSize: 1,
      inputShape: [null, null, null],
      seed: null
    })
  })

  it.each([
    [{ inputChannels: 0 }, /inputChannels must be an integer from 1 to 64/],
    [{ numClasses: 1 }, /numClasses must be an integer from 2 to 256/],
    [{ depth: 0 }, /depth must be an integer from 1 to 6/],
    [{ depth: 2.5 }, /depth/],
    [{ baseFilters: 0 }, /baseFilters/],
    [{ residualUnits: 0 }, /residualUnits/],
    [{ activation: 'gelu' }, /activation must be one of/],
    [{ leakyReluAlpha: 1 }, /leakyReluAlpha/],
    [{ normEpsilon: 0 }, /normEpsilon/],
    [{ upsamplingKernelSize: 2 }, /upsamplingKernelSize/],
    [{ inputShape: [8, 8] }, /inputShape must be \[D, H, W\]/],
    [{ name: 'has space' }, /name/]
  ])('rejects %j with INVALID_ARGUMENT', (bad, message) => {
    const options = { ...tiny({}), ...bad } as UNet3dOptions
    expect(() => buildUNet3d(options)).toThrow(message)
    try {
      buildUNet3d(options)
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})
