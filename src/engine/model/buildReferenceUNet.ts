/**
 * The tfjs twin of shared/tools/unet_reference_torch.py, layer for layer, for side-by-side
 * benchmarks against PyTorch (88,522 parameters with the defaults):
 *
 *   block(i, o) = conv3d(i→o, 3, pad 1) → ReLU → conv3d(o→o, 3, pad 1) → ReLU   (with bias)
 *   e1 = block(1, F)(x);  e2 = block(F, 2F)(maxpool2(e1));  b = block(2F, 4F)(maxpool2(e2))
 *   d2 = block(6F, 2F)(cat[up2(b), e2]);  d1 = block(3F, F)(cat[up2(d2), e1]);  out = conv3d(F→2, 1)
 *
 * Differences that change no weight or result: NDHWC here, NCDHW there (weights port with a
 * transpose); the torch model returns logits (its loss applies the softmax), this one appends a
 * softmax layer (no weights) like every Voxloop model, with the logits in the layer 'logits'.
 * Weights start from PyTorch's default distributions (U(±1/√fan_in) for kernels and biases).
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { ConcatChannels, UpSampling3D } from './layers'
import type { SpatialDim } from './unet3dOptions'

export interface ReferenceUNetOptions {
  /** Spatial size [D, H, W] in voxels, multiples of 4 or null; default [null, null, null] (the torch script uses 32³). */
  inputShape?: [SpatialDim, SpatialDim, SpatialDim]
  /** Seed for the initialisers; default random. */
  seed?: number
}

/** The torch script's constants: one input channel, two classes, F = 8 (its defaults). */
export const REFERENCE_UNET = { inputChannels: 1, numClasses: 2, baseFilters: 8, parameters: 88_522 } as const

type Symbolic = tf.SymbolicTensor

function torchDefaultConv(name: string, filters: number, kernelSize: number, fanIn: number, nextSeed: () => number | undefined): tf.layers.Layer {
  const bound = 1 / Math.sqrt(fanIn)
  return tf.layers.conv3d({
    name,
    filters,
    kernelSize,
    padding: 'same',
    // kaiming_uniform(a=√5): gain² = 2/(1+5) = 1/3, so limit = √(3·(1/3)/fan_in) = 1/√fan_in.
    kernelInitializer: tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: nextSeed() }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: nextSeed() })
  })
}

export function buildReferenceUNet(options: ReferenceUNetOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? [null, null, null]
  if (inputShape.some((dim) => dim !== null && !(Number.isInteger(dim) && dim > 0 && dim % 4 === 0))) {
    throw new VoxloopError('INVALID_ARGUMENT', `reference U-Net: inputShape entries must be null or positive multiples of 4, got ${JSON.stringify(inputShape)}`)
  }
  let seed = options.seed
  const nextSeed = (): number | undefined => (seed === undefined ? undefined : seed++)
  const { inputChannels, numClasses, baseFilters: F } = REFERENCE_UNET

  const on = (layer: tf.layers.Layer, x: Symbolic | Symbolic[]): Symbolic => layer.apply(x) as Symbolic
  const block = (name: string, x: Symbolic, inChannels: number, outChannels: number): Symbolic => {
    const a = on(torchDefaultConv(`${name}_conv1`, outChannels, 3, 27 * inChannels, nextSeed), x)
    const b = on(torchDefaultConv(`${name}_conv2`, outChannels, 3, 27 * outChannels, nextSeed), on(tf.layers.reLU({ name: `${name}_relu1` }), a))
    return on(tf.layers.reLU({ name: `${name}_relu2` }), b)
  }
  const pool = (name: string, x: Symbolic): Symbolic => on(tf.layers.maxPooling3d({ name, poolSize: 2, strides: 2 }), x)
  const upCat = (name: string, low: Symbolic, skip: Symbolic): Symbolic =>
    on(new ConcatChannels({ name: `${name}_concat` }), [on(new UpSampling3D({ name: `${name}_upsample` }), low), skip])

  const x = tf.input({ name: 'image', shape: [...inputShape, inputChannels], dtype: 'float32' })
  const e1 = block('e1', x, inputChannels, F)
  const e2 = block('e2', pool('pool1', e1), F, 2 * F)
  const b = block('b', pool('pool2', e2), 2 * F, 4 * F)
  const d2 = block('d2', upCat('up2', b, e2), 6 * F, 2 * F)
  const d1 = block('d1', upCat('up1', d2, e1), 3 * F, F)
  const logits = on(torchDefaultConv('logits', numClasses, 1, F, nextSeed), d1)
  const probabilities = on(tf.layers.softmax({ name: 'softmax', axis: -1 }), logits)
  return tf.model({ name: 'reference_unet', inputs: x, outputs: probabilities })
}
