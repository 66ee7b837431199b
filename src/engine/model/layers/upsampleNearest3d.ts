/**
 * Nearest-neighbour ×2 upsampling of NDHWC volumes, with its gradient written by hand: tfjs has
 * no 3D resize, and the `tile` gradient stops at rank 4 (shared/docs/TFJS-3D.md). The factor is 2
 * on every axis (3D networks) or [1, 2, 2] (the 2D networks, whose tensors keep D = 1 slice).
 */
import * as tf from '@tensorflow/tfjs'

/** Upsampling factors [D, H, W], each 1 (axis kept) or 2. */
export type UpsamplingFactors = readonly [1 | 2, 1 | 2, 1 | 2]

export const UPSAMPLE_ALL: UpsamplingFactors = [2, 2, 2]

/**
 * Repeats every slab of `inner` values twice along a new axis: [outer·inner] → [outer·2·inner].
 * Rank-3 concat works on every backend, unlike rank-8 tiles or broadcasts.
 */
function repeatTwice(x: tf.Tensor, outer: number, inner: number): tf.Tensor {
  const slabs = tf.reshape(x, [outer, 1, inner])
  return tf.concat([slabs, slabs], 1)
}

/** Forward only: each voxel becomes an fd×fh×fw block. Shape [b, d, h, w, c] → [b, fd·d, fh·h, fw·w, c]. */
function repeatVoxels(x: tf.Tensor5D, [fd, fh, fw]: UpsamplingFactors): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, c] = x.shape
    const alongD = fd === 2 ? repeatTwice(x, b * d, h * w * c) : x
    const alongH = fh === 2 ? repeatTwice(alongD, b * fd * d * h, w * c) : alongD
    const alongW = fw === 2 ? repeatTwice(alongH, b * fd * d * fh * h * w, c) : alongH
    return tf.reshape(alongW, [b, fd * d, fh * h, fw * w, c])
  })
}

/**
 * The adjoint of `repeatVoxels`: each fd×fh×fw block of dy summed into one voxel, i.e. the average
 * pool times the voxels per block.
 */
export function sumBlocks2x(dy: tf.Tensor5D, factors: UpsamplingFactors = UPSAMPLE_ALL): tf.Tensor5D {
  const [fd, fh, fw] = factors
  return tf.tidy(() => tf.mul(tf.avgPool3d(dy, [fd, fh, fw], [fd, fh, fw], 'valid'), fd * fh * fw))
}

/**
 * Nearest upsampling of an NDHWC tensor by `factors` (default ×2 on every axis; [1, 2, 2] keeps
 * D), differentiable (backward: block sums). Shape [b, d, h, w, c] → [b, fd·d, fh·h, fw·w, c].
 */
export function upsampleNearest3d(x: tf.Tensor5D, factors: UpsamplingFactors = UPSAMPLE_ALL): tf.Tensor5D {
  const upsample = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input] = inputs
    if (!(input instanceof tf.Tensor) || input.rank !== 5) throw new Error('upsampleNearest3d expects one rank-5 NDHWC tensor')
    return {
      value: repeatVoxels(input as tf.Tensor5D, factors),
      gradFunc: (dy: tf.Tensor) => sumBlocks2x(dy as tf.Tensor5D, factors)
    }
  })
  return upsample(x) as tf.Tensor5D
}
