import type { VoxelArray } from '../../../shared/volume'
import type { ViewMapping } from './viewOrientation'

export interface SliceSize {
  width: number
  height: number
}

export function sliceSize(mapping: ViewMapping, dims: readonly [number, number, number]): SliceSize {
  return { width: dims[mapping.xAxis], height: dims[mapping.yAxis] }
}

/**
 * Copies one slice of a volume into `out` in screen order (row 0 at the bottom, column 0 at the
 * left), applying the view's flips. Works for images (into Float32Array) and labels (into
 * Uint8Array). `channelOffset` selects a channel of a 4D image (c · nx · ny · nz).
 */
export function extractSlice<T extends Float32Array | Uint8Array>(
  volume: VoxelArray,
  dims: readonly [number, number, number],
  mapping: ViewMapping,
  sliceIndex: number,
  out: T,
  channelOffset = 0
): T {
  const strides = [1, dims[0], dims[0] * dims[1]] as const
  const { width, height } = sliceSize(mapping, dims)
  const base = channelOffset + sliceIndex * strides[mapping.sliceAxis]
  const strideX = strides[mapping.xAxis]
  const strideY = strides[mapping.yAxis]
  const startX = mapping.flipX ? (width - 1) * strideX : 0
  const stepX = mapping.flipX ? -strideX : strideX
  let o = 0
  for (let row = 0; row < height; row++) {
    const y = mapping.flipY ? height - 1 - row : row
    let source = base + y * strideY + startX
    for (let column = 0; column < width; column++) {
      out[o++] = volume[source] as number
      source += stepX
    }
  }
  return out
}
