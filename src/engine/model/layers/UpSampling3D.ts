/**
 * UpSampling3D: the layer tfjs lacks, nearest-neighbour ×2 only, on every axis or in the plane
 * (what the U-Net decoders need: [2, 2, 2] in 3D, [1, 2, 2] for the 2D networks, whose tensors
 * keep D = 1 slice). Registered for serialisation under Keras's class name, with Keras's config
 * keys, so a saved model.json reads like one from Keras.
 */
import * as tf from '@tensorflow/tfjs'
import { singleShape, singleTensor, type LayerArgs, type LayerShape } from './layerTypes'
import { upsampleNearest3d, type UpsamplingFactors } from './upsampleNearest3d'

export interface UpSampling3DArgs extends LayerArgs {
  /** Upsampling factor per spatial axis [D, H, W]: 2 (or [2, 2, 2]), or [1, 2, 2] in the plane; default 2. */
  size?: number | number[]
  /** Only 'channelsLast' (NDHWC) is supported; default 'channelsLast'. */
  dataFormat?: string
}

function factorsOf(args: UpSampling3DArgs): UpsamplingFactors {
  const size = args.size ?? 2
  const sizes = Array.isArray(size) ? size : [size, size, size]
  if (sizes.length !== 3 || !(sizes[0] === 1 || sizes[0] === 2) || sizes[1] !== 2 || sizes[2] !== 2) {
    throw new Error(`UpSampling3D supports size 2 or [1, 2, 2] only (nearest ×2), got ${JSON.stringify(size)}`)
  }
  if ((args.dataFormat ?? 'channelsLast') !== 'channelsLast') {
    throw new Error(`UpSampling3D supports dataFormat 'channelsLast' (NDHWC) only, got '${args.dataFormat}'`)
  }
  return sizes as unknown as UpsamplingFactors
}

export class UpSampling3D extends tf.layers.Layer {
  static readonly className = 'UpSampling3D'
  private readonly factors: UpsamplingFactors

  constructor(args: UpSampling3DArgs = {}) {
    const factors = factorsOf(args)
    super(args)
    this.factors = factors
    this.inputSpec = [{ ndim: 5 }]
  }

  override computeOutputShape(inputShape: LayerShape): (number | null)[] {
    const [batch, d, h, w, channels] = singleShape(inputShape, UpSampling3D.className)
    const [fd, fh, fw] = this.factors
    const times = (n: number | null | undefined, f: number): number | null => (n == null ? null : f * n)
    return [batch ?? null, times(d, fd), times(h, fh), times(w, fw), channels ?? null]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return upsampleNearest3d(singleTensor(inputs, UpSampling3D.className) as tf.Tensor5D, this.factors)
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: [...this.factors], dataFormat: 'channelsLast' }
  }
}

tf.serialization.registerClass(UpSampling3D)
