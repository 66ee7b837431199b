import * as tf from '@tensorflow/tfjs'
import type { GradConfig, Tensor, Tensor5D } from '@tensorflow/tfjs'
import type { Conv3dPad, Strides3D } from './conv3dGeometry'

/**
 * Gradient of Conv3DBackpropInputV2, the kernel behind `tf.conv3dTranspose`, which tfjs 4.22 lacks
 * (tfjs issue 6323). The kernel maps dy to dx linearly through the filter, so for an upstream
 * gradient g on its output (input-shaped): d/d dy = conv3d(g, W) and d/d W = the filter gradient
 * of a convolution whose input is g and whose output gradient is dy. Mirrors tfjs's own
 * Conv2DBackpropInput gradient.
 */
export const conv3dBackpropInputGradConfig: GradConfig = {
  kernelName: tf.Conv3DBackpropInputV2,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (upstream, saved, attrs) => {
    const [dy, filter] = saved as [Tensor5D, Tensor5D]
    const g = (Array.isArray(upstream) ? upstream[0] : upstream) as Tensor5D
    const { strides, pad } = attrs as unknown as { strides: Strides3D; pad: Conv3dPad }
    return {
      dy: () => tf.conv3d(g, filter, strides, pad),
      filter: () =>
        tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x: g, dy }, { strides, pad, filterShape: filter.shape }) as Tensor
    }
  }
}

/**
 * Registers the gradient above unless one is already registered: ours again (idempotent) or one a
 * later tfjs ships, which we then leave in place.
 */
export function registerConv3dBackpropInputGradient(): void {
  if (tf.getGradient(tf.Conv3DBackpropInputV2)) return
  tf.registerGradient(conv3dBackpropInputGradConfig)
}
