import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { registerReductionKernels } from '../../../../src/engine/kernels'
import { useBackend } from './testBackends'

describe('reduction kernels registered before the wasm backend initialises', () => {
  it('keep the stock setup functions, so the stock fallbacks work once it does', async () => {
    // This file's process has not used wasm yet: registering now replaces kernels whose setup
    // (binding their wasm functions) only runs when the backend initialises.
    expect(tf.engine().registry.wasm).toBeUndefined()
    registerReductionKernels('wasm')
    await useBackend('wasm')
    // int32 takes every kernel's stock path; float32 the fast path, which calls the stock Sum.
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3, 1, 1], 'int32')
    expect(await tf.sum(x, [0, 1, 2]).array()).toEqual([[21]])
    expect(await tf.transpose(x, [2, 1, 0, 3, 4]).reshape([6]).array()).toEqual([1, 4, 2, 5, 3, 6])
    expect(await tf.mul(x, tf.scalar(2, 'int32')).reshape([6]).array()).toEqual([2, 4, 6, 8, 10, 12])
    expect(await tf.sum(tf.cast(x, 'float32'), [1, 2]).reshape([1]).array()).toEqual([21])
  })
})
