import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { conv3dGeometry, registerConv3dKernels } from '../../../../src/engine/kernels'
import { dot, seededTensor, seededValues, TEST_BACKENDS, useBackend } from './testBackends'

type Pad = 'same' | 'valid'
type Shape5D = [number, number, number, number, number]

interface GradCase {
  name: string
  /** Input of the convolution (for conv3dTranspose: its output shape). */
  xShape: Shape5D
  filterShape: Shape5D
  strides: number | [number, number, number]
  pad: Pad
}

const CASES: GradCase[] = [
  { name: '1→3 ch, stride 1, same', xShape: [2, 5, 4, 6, 1], filterShape: [3, 3, 3, 1, 3], strides: 1, pad: 'same' },
  { name: '3→8 ch, stride 2, same', xShape: [1, 6, 5, 7, 3], filterShape: [3, 3, 3, 3, 8], strides: 2, pad: 'same' },
  { name: '8→3 ch, stride 2, valid', xShape: [2, 5, 7, 6, 8], filterShape: [3, 3, 3, 8, 3], strides: 2, pad: 'valid' },
  { name: '3→3 ch, 2×3×3 kernel, strides [1,2,2], valid', xShape: [1, 5, 6, 5, 3], filterShape: [2, 3, 3, 3, 3], strides: [1, 2, 2], pad: 'valid' }
]

const EPSILON = 1e-2

/**
 * L = ½ Σ r ⊙ f(a, b)², summed in float64 from the float32 output. L is quadratic in each
 * argument, so the central difference has no truncation error and what remains is rounding.
 */
function loss(f: (a: tf.Tensor5D, b: tf.Tensor5D) => tf.Tensor, r: Float32Array, a: tf.Tensor5D, b: tf.Tensor5D): number {
  const y = tf.tidy(() => f(a, b).dataSync())
  let sum = 0
  for (let i = 0; i < y.length; i++) sum += 0.5 * r[i] * y[i] * y[i]
  return sum
}

/**
 * Compares tf.grads of L with central differences along one random direction per argument:
 * (L(a + εv) − L(a − εv)) / 2ε = <∂L/∂a, v>.
 */
function checkGradients(f: (a: tf.Tensor5D, b: tf.Tensor5D) => tf.Tensor, aShape: Shape5D, bShape: Shape5D, outSize: number, seed: number): void {
  tf.tidy(() => {
    const a = seededTensor(aShape, seed) as tf.Tensor5D
    const b = seededTensor(bShape, seed + 1) as tf.Tensor5D
    const r = seededValues(outSize, seed + 2)
    const rTensor = tf.tensor(r)
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => {
      const y = f(p as tf.Tensor5D, q as tf.Tensor5D)
      return tf.sum(tf.mul(rTensor, tf.square(tf.reshape(y, [-1])))).mul(0.5)
    })([a, b])
    const va = seededTensor(aShape, seed + 3)
    const vb = seededTensor(bShape, seed + 4)
    const fdA = (loss(f, r, tf.add(a, va.mul(EPSILON)), b) - loss(f, r, tf.sub(a, va.mul(EPSILON)), b)) / (2 * EPSILON)
    const fdB = (loss(f, r, a, tf.add(b, vb.mul(EPSILON))) - loss(f, r, a, tf.sub(b, vb.mul(EPSILON)))) / (2 * EPSILON)
    const analyticA = dot(ga.dataSync(), va.dataSync())
    const analyticB = dot(gb.dataSync(), vb.dataSync())
    expect(Math.abs(fdA - analyticA)).toBeLessThan(1e-3 * Math.max(Math.abs(analyticA), 1))
    expect(Math.abs(fdB - analyticB)).toBeLessThan(1e-3 * Math.max(Math.abs(analyticB), 1))
  })
}

describe.each(TEST_BACKENDS)('gradients on %s, checked by finite differences', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
    if (backend === 'wasm' || backend === 'cpu') registerConv3dKernels(backend)
  })

  it.each(CASES.map((c, i) => [c.name, i] as const))('tf.grad through tf.conv3d, %s', (_name, i) => {
    const c = CASES[i]
    const outSize = conv3dGeometry(c.xShape, c.filterShape, c.strides, c.pad).outShape.reduce((p, q) => p * q, 1)
    checkGradients((x, k) => tf.conv3d(x, k, c.strides, c.pad), c.xShape, c.filterShape, outSize, 300 + 10 * i)
  })

  // conv3dTranspose runs Conv3DBackpropInputV2, whose gradient this project registers (tfjs issue 6323).
  it.each(CASES.map((c, i) => [c.name, i] as const))('tf.grad through tf.conv3dTranspose, %s', (_name, i) => {
    const c = CASES[i]
    const zShape = conv3dGeometry(c.xShape, c.filterShape, c.strides, c.pad).outShape
    const outSize = c.xShape.reduce((p, q) => p * q, 1)
    checkGradients((z, k) => tf.conv3dTranspose(z, k, c.xShape, c.strides, c.pad), zShape, c.filterShape, outSize, 500 + 10 * i)
  })
})
