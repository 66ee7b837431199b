import type { LabelArray, VoxelArray } from '../../../shared/volume'
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
 * left), applying the view's flips. Works for images (into Float32Array) and labels (into a
 * Uint8Array or Uint16Array at least as wide as the label map: labelSliceBuffer). `channelOffset`
 * selects a channel of a 4D image (c · nx · ny · nz).
 */
export function extractSlice<T extends Float32Array | Uint8Array | Uint16Array>(
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

/**
 * The label width a view needs: 16 when any map it shows (the label, or the prediction overlay) is
 * 16-bit, so a value above 255 is never truncated on its way to the screen (256 would become 0).
 */
export function labelBitsOf(...maps: ReadonlyArray<LabelArray | null | undefined>): 8 | 16 {
  return maps.some((map) => map instanceof Uint16Array) ? 16 : 8
}

/** A label slice buffer of that width. */
export function labelSliceBuffer(size: SliceSize, bits: 8 | 16): LabelArray {
  const count = size.width * size.height
  return bits === 16 ? new Uint16Array(count) : new Uint8Array(count)
}
