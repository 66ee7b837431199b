import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildReferenceUNet, REFERENCE_UNET } from '../../../../src/engine/model'
import { seededTensor, useBackend } from './tfBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('buildReferenceUNet (the twin of shared/tools/unet_reference_torch.py)', () => {
  it('has the torch model’s 88,522 parameters', () => {
    const model = buildReferenceUNet({ seed: 1 })
    expect(model.countParams()).toBe(88_522)
    expect(REFERENCE_UNET.parameters).toBe(88_522)
    model.dispose()
  })

  it('has the torch model’s convolutions, in its order (NDHWC kernels [k, k, k, in, out], all with bias)', () => {
    const model = buildReferenceUNet({ seed: 1 })
    const convs = model.layers.filter((layer) => layer.getClassName() === 'Conv3D')
    const shapes = convs.map((layer) => layer.getWeights().map((w) => w.shape))
    const block = (i: number, o: number): number[][][] => [
      [[3, 3, 3, i, o], [o]],
      [[3, 3, 3, o, o], [o]]
    ]
    // e1 = block(1,F), e2 = block(F,2F), b = block(2F,4F), d2 = block(6F,2F), d1 = block(3F,F), o = Conv3d(F,2,1)
    expect(shapes).toEqual([...block(1, 8), ...block(8, 16), ...block(16, 32), ...block(48, 16), ...block(24, 8), [[1, 1, 1, 8, 2], [2]]])
    expect(model.layers.filter((layer) => layer.getClassName() === 'MaxPooling3D')).toHaveLength(2)
    expect(model.layers.filter((layer) => layer.getClassName() === 'UpSampling3D')).toHaveLength(2)
    expect(model.layers.filter((layer) => layer.getClassName() === 'ReLU')).toHaveLength(10)
    model.dispose()
  })

  it('maps [b, 32, 32, 32, 1] to softmax over 2 classes, like the torch script’s 32³ batch of 2 (wasm)', async () => {
    await useBackend('wasm')
    const model = buildReferenceUNet({ seed: 1, inputShape: [32, 32, 32] })
    const x = seededTensor([2, 32, 32, 32, 1], 3)
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([2, 32, 32, 32, 2])
    tf.dispose([x, y])
    model.dispose()
    await useBackend('cpu')
  })

  it('starts from PyTorch’s default initialisation: U(±1/√fan_in) for kernels and biases', () => {
    const model = buildReferenceUNet({ seed: 2 })
    const [kernel, bias] = model.getLayer('d2_conv1').getWeights()
    const bound = 1 / Math.sqrt(27 * 48)
    const kernelValues = kernel?.dataSync() ?? new Float32Array()
    expect(Math.max(...kernelValues.map(Math.abs))).toBeLessThanOrEqual(bound)
    expect(Math.max(...kernelValues.map(Math.abs))).toBeGreaterThan(0.9 * bound)
    expect(Math.max(...(bias?.dataSync() ?? []).map(Math.abs))).toBeLessThanOrEqual(bound)
    model.dispose()
  })

  it('rejects input sizes that two poolings cannot halve', () => {
    expect(() => buildReferenceUNet({ inputShape: [32, 30, 32] })).toThrow(/multiples of 4/)
  })
})
