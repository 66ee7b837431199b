import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConv3dKernels } from '../../../../src/engine/kernels'
import { numDataIds, seededTensor, useBackend } from './testBackends'

/** Forward, both gradients and the conv3dTranspose gradient, as a training step would run them. */
function step(x: tf.Tensor5D, k: tf.Tensor5D, strides: number): void {
  tf.tidy(() => {
    const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, strides, 'same')))
    const [gx, gk] = tf.grads(conv)([x, k])
    const z = tf.conv3d(x, k, strides, 'same')
    const transposed = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.sum(tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, x.shape, strides, 'same'))
    const [gz, gkT] = tf.grads(transposed)([z, k])
    tf.dispose([gx, gk, gz, gkT])
  })
}

describe('wasm Conv3D kernels release what they allocate', () => {
  let x: tf.Tensor5D
  let k: tf.Tensor5D
  beforeAll(async () => {
    await useBackend('wasm')
    x = seededTensor([2, 6, 5, 7, 3], 1) as tf.Tensor5D
    k = seededTensor([3, 3, 3, 3, 4], 2) as tf.Tensor5D
  })
  afterAll(() => {
    tf.dispose([x, k])
    registerConv3dKernels('wasm')
  })

  it.each([
    ['one tile', 64 * 2 ** 20, 1],
    ['one tile', 64 * 2 ** 20, 2],
    ['tiny tiles', 2000, 1],
    ['tiny tiles', 2000, 2]
  ] as const)('%s (budget %i bytes), stride %i: tensors and wasm data ids do not grow', (_name, maxScratchBytes, strides) => {
    registerConv3dKernels('wasm', { maxScratchBytes })
    step(x, k, strides) // warm-up: first use may allocate lasting state
    const tensors = tf.memory().numTensors
    const dataIds = numDataIds()
    for (let i = 0; i < 3; i++) step(x, k, strides)
    expect(tf.memory().numTensors).toBe(tensors)
    expect(numDataIds()).toBe(dataIds)
  })

  it('releases its buffers when a kernel throws', () => {
    registerConv3dKernels('wasm')
    const dataIds = numDataIds()
    const bad = tf.zeros([3, 3, 3, 3, 4]) as tf.Tensor5D
    expect(() => tf.conv3d(x, bad, 1, 'same', 'NDHWC', 2)).toThrow(/dilation/)
    bad.dispose()
    expect(numDataIds()).toBe(dataIds)
  })
})
