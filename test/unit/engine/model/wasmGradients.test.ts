/**
 * Training runs on wasm, whose stock kernels have had wrong 3D gradients (docs/KERNELS.md). Every
 * weight gradient of every U-Net on wasm (project Conv3D kernels, stock pooling, softmax, …) must
 * match the cpu backend's, whose kernels are the reference.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { buildReferenceUNet, buildUNet3d } from '../../../../src/engine/model'
import { buildPlainUNet2d } from '../../../../src/engine/model/buildPlainUNet2d'
import { buildResidualUNet2d } from '../../../../src/engine/model/buildUNet3d'
import { buildUNetPlusPlus2d, buildUNetPlusPlus3d } from '../../../../src/engine/model/buildUNetPlusPlus'
import { diceCrossEntropyLoss } from '../../../../src/engine/train/losses'
import { relativeError, seededTensor, useBackend, type TestBackend } from './tfBackends'

async function weightGradients(model: tf.LayersModel, backend: TestBackend, inputShape: number[], classes: number): Promise<Map<string, Float32Array>> {
  await useBackend(backend)
  const x = seededTensor(inputShape, 7)
  const yTrue = tf.tidy(() => tf.oneHot(tf.argMax(seededTensor([...inputShape.slice(0, 4), classes], 8), -1), classes).toFloat())
  // LayerVariable.read() is typed Tensor; for trainable weights it is the tf.Variable itself.
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const { value, grads } = tf.variableGrads(() => diceCrossEntropyLoss(yTrue, model.apply(x) as tf.Tensor), variables)
  const out = new Map<string, Float32Array>()
  for (const variable of variables) out.set(variable.name, (await grads[variable.name]?.data()) as Float32Array)
  tf.dispose([x, yTrue, value, ...Object.values(grads)])
  return out
}

describe('U-Net weight gradients on wasm match cpu', () => {
  it.each([
    ['reference U-Net (max pooling, ReLU, biases)', () => buildReferenceUNet({ seed: 3 }), [1, 8, 8, 8, 1], 2],
    [
      'residual U-Net (strided 4³ convs, instance norm, leaky ReLU, 3³ up-conv)',
      () => buildUNet3d({ inputChannels: 2, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 2, activation: 'leakyRelu', upsamplingKernelSize: 3, seed: 3 }),
      [2, 8, 4, 8, 2],
      3
    ],
    [
      '2D plain U-Net (Conv3D kernels of depth 1, [1, 2, 2] strided and transposed convs)',
      () => buildPlainUNet2d({ inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, seed: 3 }),
      [2, 1, 16, 8, 1],
      3
    ],
    [
      '2D residual U-Net ([1, 4, 4] strided convs, [1, 2, 2] nearest upsampling)',
      () => buildResidualUNet2d({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 4, residualUnits: 2, upsamplingKernelSize: 3, seed: 3 }),
      [2, 1, 8, 16, 1],
      2
    ],
    [
      'U-Net++ 3D (nested dense skips, transposed convs at every node)',
      () => buildUNetPlusPlus3d({ inputChannels: 1, numClasses: 2, depth: 2, baseFilters: 2, seed: 3 }),
      [1, 4, 8, 4, 1],
      2
    ],
    [
      'U-Net++ 2D',
      () => buildUNetPlusPlus2d({ inputChannels: 2, numClasses: 3, depth: 2, baseFilters: 4, seed: 3 }),
      [2, 1, 8, 16, 2],
      3
    ]
  ] as const)('%s', async (_name, build, inputShape, classes) => {
    await useBackend('cpu')
    const model = build()
    const cpu = await weightGradients(model, 'cpu', [...inputShape], classes)
    const wasm = await weightGradients(model, 'wasm', [...inputShape], classes)
    expect(cpu.size).toBe(model.trainableWeights.length)
    for (const [name, expected] of cpu) {
      expect(relativeError(wasm.get(name) ?? [], expected), name).toBeLessThan(1e-3)
    }
    model.dispose()
  })
})
