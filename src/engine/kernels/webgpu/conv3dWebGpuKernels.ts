/**
 * Conv3D, Conv3DBackpropFilterV2 and Conv3DBackpropInputV2 for tfjs's 'webgpu' backend on our WGSL
 * programs (conv3dWgsl.ts). Covered: NDHWC float32, any strides, 'same'/'valid', any channel counts
 * and batch, dilation 1 — what every model in src/engine/model/ uses. Anything else (dilations ≠ 1,
 * explicit numeric pads, a float32 tensor still on an int32 buffer) goes to the stock kernel
 * unchanged rather than to a second, untested code path.
 */
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'
import { conv3dGeometry, type Conv3dGeometry, type Conv3dPad, type Strides3D } from '../conv3dGeometry'
import {
  CONV_UNIFORMS,
  ChunkSumProgram,
  Conv3dFilterSplitKProgram,
  Conv3dTiledProgram,
  SPLIT_K_UNIFORMS,
  planChunks,
  splitKLayout,
  tiledLayout
} from './conv3dWgsl'
import { intUniforms, MAX_WORKGROUPS_PER_DIMENSION, splitWorkgroups, stockKernelFunc, withStockFallback, type WebGpuBackendLike } from './webgpuProgram'

interface ForwardAttrs { strides: Strides3D; pad: Conv3dPad | number; dataFormat?: string; dilations?: number | number[] }
interface BackpropFilterAttrs { strides: Strides3D; pad: Conv3dPad | number; filterShape: number[] }
interface BackpropInputAttrs { strides: Strides3D; pad: Conv3dPad | number; inputShape: number[] }

function attrsOf<T>(attrs: NamedAttrMap | undefined): T {
  return (attrs ?? {}) as unknown as T
}

const isOne = (value: number | number[] | undefined): boolean =>
  value === undefined || (typeof value === 'number' ? value === 1 : value.every((v) => v === 1))

/** Whether our programs can read these tensors: float32 values on float32 buffers. */
function onFloatBuffers(backend: WebGpuBackendLike, tensors: TensorInfo[]): boolean {
  return tensors.every((t) => t.dtype === 'float32' && backend.tensorMap.get(t.dataId)?.dtype === 'float32')
}

function supportedPad(pad: Conv3dPad | number): pad is Conv3dPad {
  return pad === 'same' || pad === 'valid'
}

function geometryUniforms(g: Conv3dGeometry): Record<string, number> {
  return {
    inD: g.inDepth, inH: g.inHeight, inW: g.inWidth, inC: g.inChannels,
    outD: g.outDepth, outH: g.outHeight, outW: g.outWidth, outC: g.outChannels,
    kD: g.filterDepth, kH: g.filterHeight, kW: g.filterWidth,
    strideD: g.strideDepth, strideH: g.strideHeight, strideW: g.strideWidth,
    padD: g.padFront, padH: g.padTop, padW: g.padLeft,
    dilD: 1, dilH: 1, dilW: 1,
    positions: g.outPositions,
    kTotal: g.patchSize
  }
}

function runTiled(backend: WebGpuBackendLike, input: TensorInfo, filter: TensorInfo, outputShape: number[], values: Record<string, number>, flip: boolean, workgroupsPerDimension = MAX_WORKGROUPS_PER_DIMENSION): TensorInfo {
  const layout = tiledLayout(values.outC)
  const { wgsl, data } = intUniforms(CONV_UNIFORMS, values)
  const program = new Conv3dTiledProgram(
    outputShape,
    wgsl,
    layout,
    flip,
    splitWorkgroups(Math.ceil(values.positions / layout.positionTile), workgroupsPerDimension),
    Math.ceil(values.outC / layout.channelTile)
  )
  return backend.runWebGPUProgram(program, [input, filter], 'float32', data)
}

/**
 * y = conv3d(x, W). `workgroupsPerDimension`: the dispatch limit beyond which position tiles fold
 * into x·y workgroups (WebGPU's 65,535; a smaller one lets a test fold a small volume).
 */
export function conv3dForwardWebGpu(backend: WebGpuBackendLike, x: TensorInfo, filter: TensorInfo, g: Conv3dGeometry, workgroupsPerDimension = MAX_WORKGROUPS_PER_DIMENSION): TensorInfo {
  return runTiled(backend, x, filter, [...g.outShape], geometryUniforms(g), false, workgroupsPerDimension)
}

/**
 * dx of y = conv3d(x, W) for x of geometry g: the forward program over dy dilated by the strides
 * (read in place), with flip(Wᵀ) (read in place) and padding k − 1 − pad in front.
 */
export function conv3dBackpropInputWebGpu(backend: WebGpuBackendLike, dy: TensorInfo, filter: TensorInfo, g: Conv3dGeometry): TensorInfo {
  const values: Record<string, number> = {
    inD: g.outDepth, inH: g.outHeight, inW: g.outWidth, inC: g.outChannels,
    outD: g.inDepth, outH: g.inHeight, outW: g.inWidth, outC: g.inChannels,
    kD: g.filterDepth, kH: g.filterHeight, kW: g.filterWidth,
    strideD: 1, strideH: 1, strideW: 1,
    padD: g.filterDepth - 1 - g.padFront, padH: g.filterHeight - 1 - g.padTop, padW: g.filterWidth - 1 - g.padLeft,
    dilD: g.strideDepth, dilH: g.strideHeight, dilW: g.strideWidth,
    positions: g.batch * g.inDepth * g.inHeight * g.inWidth,
    kTotal: g.filterDepth * g.filterHeight * g.filterWidth * g.outChannels
  }
  return runTiled(backend, dy, filter, [...g.inShape], values, true)
}

/** dW of y = conv3d(x, W): split-K partial sums, then the chunk reduction (skipped for one chunk). */
export function conv3dBackpropFilterWebGpu(backend: WebGpuBackendLike, x: TensorInfo, dy: TensorInfo, g: Conv3dGeometry): TensorInfo {
  const layout = splitKLayout(g.outChannels)
  const kTiles = Math.ceil(g.patchSize / layout.kTile)
  const channelTiles = Math.ceil(g.outChannels / layout.channelTile)
  const { chunkLen, chunks } = planChunks(g.outPositions, kTiles * channelTiles)
  const { wgsl, data } = intUniforms(SPLIT_K_UNIFORMS, { ...geometryUniforms(g), chunkLen, steps: chunkLen / 8 })
  const partialShape = chunks === 1 ? [...g.filterShape] : [chunks, g.patchSize, g.outChannels]
  const partial = backend.runWebGPUProgram(new Conv3dFilterSplitKProgram(partialShape, wgsl, layout, kTiles, channelTiles, chunks), [x, dy], 'float32', data)
  if (chunks === 1) return partial
  const summed = backend.runWebGPUProgram(new ChunkSumProgram([...g.filterShape]), [partial], 'float32', [{ type: 'int32', data: [chunks] }])
  backend.disposeData(partial.dataId)
  return summed
}

/** KernelConfigs for the three Conv3D kernels on 'webgpu', falling back to `stock` where noted above. */
export function conv3dWebGpuKernelConfigs(stock: KernelConfig[]): KernelConfig[] {
  return [
    withStockFallback(tf.Conv3D, stockKernelFunc(stock, tf.Conv3D), ({ inputs, attrs }, backend) => {
      const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo }
      const { strides, pad, dataFormat, dilations } = attrsOf<ForwardAttrs>(attrs)
      if (!isOne(dilations) || !supportedPad(pad) || !onFloatBuffers(backend, [x, filter])) return null
      return conv3dForwardWebGpu(backend, x, filter, conv3dGeometry(x.shape, filter.shape, strides, pad, { dataFormat }))
    }),
    withStockFallback(tf.Conv3DBackpropFilterV2, stockKernelFunc(stock, tf.Conv3DBackpropFilterV2), ({ inputs, attrs }, backend) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo }
      const { strides, pad, filterShape } = attrsOf<BackpropFilterAttrs>(attrs)
      if (!supportedPad(pad) || !onFloatBuffers(backend, [x, dy])) return null
      return conv3dBackpropFilterWebGpu(backend, x, dy, conv3dGeometry(x.shape, filterShape, strides, pad))
    }),
    withStockFallback(tf.Conv3DBackpropInputV2, stockKernelFunc(stock, tf.Conv3DBackpropInputV2), ({ inputs, attrs }, backend) => {
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo }
      const { strides, pad, inputShape } = attrsOf<BackpropInputAttrs>(attrs)
      if (!supportedPad(pad) || !onFloatBuffers(backend, [dy, filter])) return null
      return conv3dBackpropInputWebGpu(backend, dy, filter, conv3dGeometry(inputShape, filter.shape, strides, pad))
    })
  ]
}
