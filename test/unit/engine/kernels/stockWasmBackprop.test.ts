import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConv3dKernels, unregisterConv3dKernels } from '../../../../src/engine/kernels'
import { dot, seededTensor, useBackend } from './testBackends'

/**
 * Why the wasm override exists: in tfjs-backend-wasm 4.22 the stock Conv3D backprop kernels break
 * the adjoint identity (shared/tools/conv3d_adjoint_check.cjs): both are wrong for stride 2, and
 * the input gradient is wrong even for stride 1 (it fills only the first depth slice of dx). If this
 * test starts failing after a tfjs upgrade, the stock kernels were fixed: keep ours for speed and
 * drop the cases that no longer fail.
 */
describe('stock wasm Conv3D backprop (tfjs-backend-wasm 4.22)', () => {
  beforeAll(async () => {
    await useBackend('wasm')
    unregisterConv3dKernels('wasm')
  })
  afterAll(() => {
    registerConv3dKernels('wasm')
  })

  it.each([
    [2, 'same'],
    [2, 'valid'],
    [1, 'same']
  ] as const)('is wrong for stride %i, %s padding', (stride, pad) => {
    const mismatch = tf.tidy(() => {
      const x = seededTensor([1, 8, 8, 8, 3], 7) as tf.Tensor5D
      const k = seededTensor([3, 3, 3, 3, 4], 8) as tf.Tensor5D
      const y = tf.conv3d(x, k, stride, pad)
      const dy = seededTensor(y.shape, 9)
      const lhs = dot(y.dataSync(), dy.dataSync())
      const attrs = { strides: stride, pad }
      const dx = tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy, filter: k }, { ...attrs, inputShape: x.shape }) as tf.Tensor
      const dk = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy }, { ...attrs, filterShape: k.shape }) as tf.Tensor
      const inputSide = Math.abs(dot(x.dataSync(), dx.dataSync()) - lhs) / Math.abs(lhs)
      const filterSide = Math.abs(dot(k.dataSync(), dk.dataSync()) - lhs) / Math.abs(lhs)
      return Math.max(inputSide, filterSide)
    })
    expect(mismatch).toBeGreaterThan(0.05)
  })
})
