/**
 * Instance normalisation: each sample's each channel scaled to zero mean and unit variance over
 * its spatial axes, then a learned per-channel scale (gamma) and offset (beta).
 *
 * Why this and not batch norm: tfjs's batchNormalization and layerNormalization layers throw on
 * rank 5 and the tf.batchNorm gradient assumes 4D (shared/docs/TFJS-3D.md); and 3D segmentation
 * trains with batches of 1–4 patches, too few for stable batch statistics. Statistics per sample
 * also make training identical whether a batch is split across workers or not, and prediction
 * needs no running averages (training and inference compute the same thing).
 */
import * as tf from '@tensorflow/tfjs'
import { singleShape, singleTensor, type LayerArgs, type LayerShape } from './layerTypes'

/** Added to the variance before the square root; PyTorch's and MONAI's default. */
export const DEFAULT_INSTANCE_NORM_EPSILON = 1e-5

export interface InstanceNormalizationArgs extends LayerArgs {
  /** Added to the variance (units of intensity²) so flat regions do not divide by zero. > 0; default 1e-5. */
  epsilon?: number
}

/**
 * The layer's computation as a plain differentiable function, for tests and reuse.
 * x: [batch, ...spatial, channels] (rank ≥ 3); gamma, beta: [channels].
 */
export function instanceNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const spatialAxes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1)
    const { mean, variance } = tf.moments(x, spatialAxes, true)
    const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)))
    return tf.add(tf.mul(normalised, gamma), beta)
  })
}

export class InstanceNormalization extends tf.layers.Layer {
  static readonly className = 'InstanceNormalization'
  readonly epsilon: number
  private gamma: tf.LayerVariable | null = null
  private beta: tf.LayerVariable | null = null

  constructor(args: InstanceNormalizationArgs = {}) {
    const epsilon = args.epsilon ?? DEFAULT_INSTANCE_NORM_EPSILON
    if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new Error(`InstanceNormalization epsilon must be > 0, got ${epsilon}`)
    super(args)
    this.epsilon = epsilon
  }

  override build(inputShape: LayerShape): void {
    const shape = singleShape(inputShape, InstanceNormalization.className)
    const channels = shape[shape.length - 1]
    if (shape.length < 3 || channels == null) {
      throw new Error(`InstanceNormalization needs [batch, ...spatial, channels] with known channels, got ${JSON.stringify(shape)}`)
    }
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones())
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros())
    this.inputSpec = [{ minNDim: 3, axes: { [-1]: channels } }]
    this.built = true
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return inputShape
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!this.gamma || !this.beta) throw new Error('InstanceNormalization called before build')
    return instanceNorm(singleTensor(inputs, InstanceNormalization.className), this.gamma.read(), this.beta.read(), this.epsilon)
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon }
  }
}

tf.serialization.registerClass(InstanceNormalization)
