/**
 * UpSampling3D: the layer tfjs lacks, nearest-neighbour ×2 only (what the U-Net decoder needs).
 * Registered for serialisation under Keras's class name, with Keras's config keys, so a saved
 * model.json reads like one from Keras.
 */
import * as tf from '@tensorflow/tfjs'
import { singleShape, singleTensor, type LayerArgs, type LayerShape } from './layerTypes'
import { upsampleNearest3d } from './upsampleNearest3d'

export interface UpSampling3DArgs extends LayerArgs {
  /** Upsampling factor per spatial axis. Only 2 (or [2, 2, 2]) is supported; default 2. */
  size?: number | number[]
  /** Only 'channelsLast' (NDHWC) is supported; default 'channelsLast'. */
  dataFormat?: string
}

function checkArgs(args: UpSampling3DArgs): void {
  const size = args.size ?? 2
  const sizes = Array.isArray(size) ? size : [size, size, size]
  if (sizes.length !== 3 || sizes.some((s) => s !== 2)) {
    throw new Error(`UpSampling3D supports size 2 only (nearest ×2), got ${JSON.stringify(size)}`)
  }
  if ((args.dataFormat ?? 'channelsLast') !== 'channelsLast') {
    throw new Error(`UpSampling3D supports dataFormat 'channelsLast' (NDHWC) only, got '${args.dataFormat}'`)
  }
}

export class UpSampling3D extends tf.layers.Layer {
  static readonly className = 'UpSampling3D'

  constructor(args: UpSampling3DArgs = {}) {
    checkArgs(args)
    super(args)
    this.inputSpec = [{ ndim: 5 }]
  }

  override computeOutputShape(inputShape: LayerShape): (number | null)[] {
    const [batch, d, h, w, channels] = singleShape(inputShape, UpSampling3D.className)
    const twice = (n: number | null | undefined): number | null => (n == null ? null : 2 * n)
    return [batch ?? null, twice(d), twice(h), twice(w), channels ?? null]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return upsampleNearest3d(singleTensor(inputs, UpSampling3D.className) as tf.Tensor5D)
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: [2, 2, 2], dataFormat: 'channelsLast' }
  }
}

tf.serialization.registerClass(UpSampling3D)
