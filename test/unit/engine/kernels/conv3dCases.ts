import * as tf from '@tensorflow/tfjs'
import { conv3dGeometry } from '../../../../src/engine/kernels'
import { seededValues } from './testBackends'

/** Conv3D cases shared by the kernel tests on each backend and on the threaded wasm build. */
export type Pad = 'same' | 'valid'
export type Strides = number | [number, number, number]

export interface Case {
  name: string
  xShape: [number, number, number, number, number]
  filterShape: [number, number, number, number, number]
  strides: Strides
  pad: Pad
}

// Non-cubic volumes and kernels, channel counts 1, 3, 4, 8 and 12, batch 1 and 2, strides 1, 2 and
// mixed. The stride-1 cases with a multiple of 4 output channels run on wasm's direct kernels
// (forward and filter gradient; the input gradient where the input has a multiple of 4 channels).
export const CASES: Case[] = [
  { name: '1→3 ch, stride 1, same', xShape: [2, 6, 5, 7, 1], filterShape: [3, 3, 3, 1, 3], strides: 1, pad: 'same' },
  { name: '3→8 ch, stride 1, valid', xShape: [1, 5, 7, 6, 3], filterShape: [3, 3, 3, 3, 8], strides: 1, pad: 'valid' },
  { name: '3→8 ch, stride 2, same', xShape: [2, 6, 5, 7, 3], filterShape: [3, 3, 3, 3, 8], strides: 2, pad: 'same' },
  { name: '8→3 ch, stride 2, valid', xShape: [1, 7, 6, 5, 8], filterShape: [3, 3, 3, 8, 3], strides: 2, pad: 'valid' },
  { name: '8→8 ch, stride 2, same, odd sizes', xShape: [1, 7, 9, 5, 8], filterShape: [3, 3, 3, 8, 8], strides: 2, pad: 'same' },
  { name: '3→1 ch, 2×3×1 kernel, strides [2,1,2], same', xShape: [2, 5, 6, 7, 3], filterShape: [2, 3, 1, 3, 1], strides: [2, 1, 2], pad: 'same' },
  { name: '8→8 ch, 2×2×2 kernel, stride 2, valid (downsampling)', xShape: [2, 6, 4, 8, 8], filterShape: [2, 2, 2, 8, 8], strides: 2, pad: 'valid' },
  { name: '3→3 ch, 2×2×2 kernel, stride 1, same (asymmetric padding)', xShape: [2, 4, 5, 3, 3], filterShape: [2, 2, 2, 3, 3], strides: 1, pad: 'same' },
  { name: '4→8 ch, stride 1, same, width 9 (a tail after 4-wide blocks)', xShape: [2, 5, 6, 9, 4], filterShape: [3, 3, 3, 4, 8], strides: 1, pad: 'same' },
  { name: '8→12 ch, stride 1, same (8- and 4-lane blocks)', xShape: [1, 4, 5, 7, 8], filterShape: [3, 3, 3, 8, 12], strides: 1, pad: 'same' },
  { name: '1→4 ch, 5×3×3 kernel, stride 1, same', xShape: [1, 7, 4, 6, 1], filterShape: [5, 3, 3, 1, 4], strides: 1, pad: 'same' },
  { name: '4→4 ch, 2×2×2 kernel, stride 1, same (asymmetric padding)', xShape: [2, 4, 5, 3, 4], filterShape: [2, 2, 2, 4, 4], strides: 1, pad: 'same' },
  { name: '12→4 ch, 3×3×1 kernel, stride 1, valid', xShape: [1, 6, 5, 4, 12], filterShape: [3, 3, 1, 12, 4], strides: 1, pad: 'valid' },
  { name: '8→2 ch, 1×1×1 kernel (U-Net head)', xShape: [2, 4, 3, 5, 8], filterShape: [1, 1, 1, 8, 2], strides: 1, pad: 'same' }
]

export interface Data {
  x: Float32Array
  filter: Float32Array
  dy: Float32Array
  dyShape: number[]
}

export interface Results {
  y: Float32Array
  dFilter: Float32Array
  dx: Float32Array
}

export function dataFor(c: Case, seed: number): Data {
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)
  const dyShape = conv3dGeometry(c.xShape, c.filterShape, c.strides, c.pad).outShape
  return {
    x: seededValues(size(c.xShape), seed),
    filter: seededValues(size(c.filterShape), seed + 1),
    dy: seededValues(size(dyShape), seed + 2),
    dyShape
  }
}

/** Forward and both gradients on the current backend, through the public ops and kernel names. */
export function runAll(c: Case, d: Data): Results {
  return tf.tidy(() => {
    const x = tf.tensor5d(d.x, c.xShape)
    const filter = tf.tensor5d(d.filter, c.filterShape)
    const dy = tf.tensor(d.dy, d.dyShape)
    const y = tf.conv3d(x, filter, c.strides, c.pad)
    const dFilter = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy }, { strides: c.strides, pad: c.pad, filterShape: c.filterShape }) as tf.Tensor
    const dx = tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy, filter }, { strides: c.strides, pad: c.pad, inputShape: c.xShape }) as tf.Tensor
    return { y: y.dataSync() as Float32Array, dFilter: dFilter.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array }
  })
}

