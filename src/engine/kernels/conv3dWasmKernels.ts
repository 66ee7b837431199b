import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { conv3dBackpropFilterWasm } from './conv3dBackpropFilterWasm'
import { conv3dBackpropInputWasm } from './conv3dBackpropInputWasm'
import { conv3dForwardWasm } from './conv3dForwardWasm'
import { conv3dGeometry, type Conv3dPad, type Strides3D } from './conv3dGeometry'
import type { Conv3dKernelOptions } from './conv3dKernelOptions'
import { asWasmBackend } from './wasmHeap'

function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const info = inputs[name]
  if (!info) throw new VoxloopError('INVALID_ARGUMENT', `${kernel}: missing input ${name}`)
  if (info.dtype !== 'float32') throw new VoxloopError('INVALID_ARGUMENT', `${kernel}: ${name} must be float32, got ${info.dtype}`)
  return info
}

function sameShape(actual: readonly number[], expected: readonly number[], what: string): void {
  if (actual.length !== expected.length || actual.some((v, i) => v !== expected[i])) {
    throw new VoxloopError('INVALID_ARGUMENT', `${what} has shape [${actual.join(',')}], expected [${expected.join(',')}]`)
  }
}

/*
 * The attrs are what tfjs's own ops pass to these kernels (Conv3DAttrs etc. in kernel_names.d.ts);
 * the registry types them as a loose map, hence the narrowing casts.
 */
interface ForwardAttrs { strides: Strides3D; pad: Conv3dPad; dataFormat?: string; dilations?: number | number[] }
interface BackpropFilterAttrs { strides: Strides3D; pad: Conv3dPad; filterShape: number[] }
interface BackpropInputAttrs { strides: Strides3D; pad: Conv3dPad; inputShape: number[] }

function attrsOf<T>(attrs: NamedAttrMap | undefined): T {
  return (attrs ?? {}) as unknown as T
}

/** KernelConfigs for Conv3D, Conv3DBackpropFilterV2 and Conv3DBackpropInputV2 on the wasm backend. */
export function conv3dWasmKernelConfigs(options: Conv3dKernelOptions = {}): KernelConfig[] {
  return [
    {
      kernelName: tf.Conv3D,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const x = input(inputs, 'x', tf.Conv3D)
        const filter = input(inputs, 'filter', tf.Conv3D)
        const { strides, pad, dataFormat, dilations } = attrsOf<ForwardAttrs>(attrs)
        const g = conv3dGeometry(x.shape, filter.shape, strides, pad, { dilations, dataFormat })
        return conv3dForwardWasm(asWasmBackend(backend), x, filter, g, options)
      }
    },
    {
      kernelName: tf.Conv3DBackpropFilterV2,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const x = input(inputs, 'x', tf.Conv3DBackpropFilterV2)
        const dy = input(inputs, 'dy', tf.Conv3DBackpropFilterV2)
        const { strides, pad, filterShape } = attrsOf<BackpropFilterAttrs>(attrs)
        const g = conv3dGeometry(x.shape, filterShape, strides, pad)
        sameShape(dy.shape, g.outShape, `${tf.Conv3DBackpropFilterV2}: dy`)
        return conv3dBackpropFilterWasm(asWasmBackend(backend), x, dy, g, options)
      }
    },
    {
      kernelName: tf.Conv3DBackpropInputV2,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const dy = input(inputs, 'dy', tf.Conv3DBackpropInputV2)
        const filter = input(inputs, 'filter', tf.Conv3DBackpropInputV2)
        const { strides, pad, inputShape } = attrsOf<BackpropInputAttrs>(attrs)
        const g = conv3dGeometry(inputShape, filter.shape, strides, pad)
        sameShape(dy.shape, g.outShape, `${tf.Conv3DBackpropInputV2}: dy`)
        return conv3dBackpropInputWasm(asWasmBackend(backend), dy, filter, g, options)
      }
    }
  ]
}
