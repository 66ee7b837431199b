import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'

export type Shape5D = [number, number, number, number, number]
export type Strides3D = number | [number, number, number]
export type Conv3dPad = 'same' | 'valid'

/**
 * Everything the im2col/col2im loops need about one NDHWC convolution, as plain numbers. Built from
 * tfjs's own `computeConv3DInfo` so that output sizes and 'same' padding match the stock kernels
 * exactly (for stride 2 'same' pads asymmetrically: the extra voxel goes to the back).
 */
export interface Conv3dGeometry {
  batch: number
  inDepth: number
  inHeight: number
  inWidth: number
  inChannels: number
  outDepth: number
  outHeight: number
  outWidth: number
  outChannels: number
  filterDepth: number
  filterHeight: number
  filterWidth: number
  strideDepth: number
  strideHeight: number
  strideWidth: number
  /** Voxels of implicit zero padding before the first input voxel along depth, height, width. */
  padFront: number
  padTop: number
  padLeft: number
  /** Length of one im2col row: filterDepth·filterHeight·filterWidth·inChannels. */
  patchSize: number
  /** Rows of the im2col matrix: batch·outDepth·outHeight·outWidth. */
  outPositions: number
  inShape: Shape5D
  outShape: Shape5D
  filterShape: Shape5D
}

function isAllOnes(value: number | readonly number[] | undefined): boolean {
  if (value === undefined) return true
  if (typeof value === 'number') return value === 1
  return value.every((v) => v === 1)
}

/**
 * Geometry of a Conv3D with NDHWC tensors and dilation 1. Throws for dilations other than 1 (the
 * im2col loops assume contiguous taps, and tfjs's own Conv3D gradients refuse them too) and for
 * channels-first data, which no tfjs op produces.
 */
export function conv3dGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: Strides3D,
  pad: Conv3dPad,
  options: { dilations?: number | number[]; dataFormat?: string } = {}
): Conv3dGeometry {
  if (inShape.length !== 5 || filterShape.length !== 5) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `Conv3D needs rank-5 input and filter, got [${inShape.join(',')}] and [${filterShape.join(',')}]`
    )
  }
  if (!isAllOnes(options.dilations)) {
    throw new VoxloopError('INVALID_ARGUMENT', `Conv3D kernels support dilation 1 only, got dilations ${JSON.stringify(options.dilations)}`)
  }
  if (options.dataFormat !== undefined && options.dataFormat !== 'NDHWC') {
    throw new VoxloopError('INVALID_ARGUMENT', `Conv3D kernels support NDHWC only, got ${options.dataFormat}`)
  }
  const info = tf.backend_util.computeConv3DInfo(inShape as Shape5D, filterShape as Shape5D, strides, 1, pad)
  if (info.inChannels !== filterShape[3]) {
    throw new VoxloopError('INVALID_ARGUMENT', `Conv3D input has ${info.inChannels} channels but the filter expects ${filterShape[3]}`)
  }
  return {
    batch: info.batchSize,
    inDepth: info.inDepth,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outDepth: info.outDepth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterDepth: info.filterDepth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideDepth: info.strideDepth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padFront: info.padInfo.front,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    patchSize: info.filterDepth * info.filterHeight * info.filterWidth * info.inChannels,
    outPositions: info.batchSize * info.outDepth * info.outHeight * info.outWidth,
    inShape: info.inShape,
    outShape: info.outShape,
    filterShape: info.filterShape
  }
}

/**
 * A 1×1×1 filter with stride 1 and no padding (the U-Net head): the im2col matrix is the input
 * itself, read as [positions, inChannels].
 */
export function isPointwise(g: Conv3dGeometry): boolean {
  return (
    g.filterDepth === 1 && g.filterHeight === 1 && g.filterWidth === 1 &&
    g.strideDepth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padFront === 0 && g.padTop === 0 && g.padLeft === 0
  )
}

/** Multiply-adds ×2 of one Conv3D (forward; each gradient costs the same). */
export function conv3dFlops(g: Conv3dGeometry): number {
  return 2 * g.outPositions * g.patchSize * g.outChannels
}
