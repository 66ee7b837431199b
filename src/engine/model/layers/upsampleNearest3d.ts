/**
 * Nearest-neighbour ×2 upsampling of NDHWC volumes, with its gradient written by hand: tfjs has
 * no 3D resize, and the `tile` gradient stops at rank 4 (shared/docs/TFJS-3D.md).
 */
import * as tf from '@tensorflow/tfjs'

/**
 * Repeats every slab of `inner` values twice along a new axis: [outer·inner] → [outer·2·inner].
 * Rank-3 concat works on every backend, unlike rank-8 tiles or broadcasts.
 */
function repeatTwice(x: tf.Tensor, outer: number, inner: number): tf.Tensor {
  const slabs = tf.reshape(x, [outer, 1, inner])
  return tf.concat([slabs, slabs], 1)
}

/** Forward only: each voxel becomes a 2×2×2 block. Shape [b, d, h, w, c] → [b, 2d, 2h, 2w, c]. */
function repeatVoxels(x: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, c] = x.shape
    const alongD = repeatTwice(x, b * d, h * w * c)
    const alongH = repeatTwice(alongD, b * 2 * d * h, w * c)
    const alongW = repeatTwice(alongH, b * 2 * d * 2 * h * w, c)
    return tf.reshape(alongW, [b, 2 * d, 2 * h, 2 * w, c])
  })
}

/**
 * The adjoint of `repeatVoxels`: each 2×2×2 block of dy summed into one voxel, i.e. the average
 * pool times the 8 voxels per block.
 */
export function sumBlocks2x(dy: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => tf.mul(tf.avgPool3d(dy, 2, 2, 'valid'), 8))
}

const upsampleWithGradient = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x] = inputs
  if (!(x instanceof tf.Tensor) || x.rank !== 5) throw new Error('upsampleNearest3d expects one rank-5 NDHWC tensor')
  return {
    value: repeatVoxels(x as tf.Tensor5D),
    gradFunc: (dy: tf.Tensor) => sumBlocks2x(dy as tf.Tensor5D)
  }
})

/**
 * Nearest ×2 upsampling of an NDHWC tensor, differentiable (backward: 2×2×2 block sums).
 * Shape [b, d, h, w, c] → [b, 2d, 2h, 2w, c].
 */
export function upsampleNearest3d(x: tf.Tensor5D): tf.Tensor5D {
  return upsampleWithGradient(x) as tf.Tensor5D
}
