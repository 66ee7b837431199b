import type { VoxelArray } from '../../../shared/volume'

export interface Downsampled {
  dims: [number, number, number]
  /** Source voxels per output voxel along each axis. */
  factor: [number, number, number]
  data: Uint8Array
}

/**
 * Shrinks a volume for the 3D view's texture (at most `maxSide` voxels per axis) by nearest
 * sampling, mapping values to 0..255 through `map`. Software GL and modest GPUs cannot hold a
 * 512×512×300 float texture, and the 3D view does not need full resolution.
 */
export function downsampleToBytes(
  source: VoxelArray,
  dims: readonly [number, number, number],
  maxSide: number,
  map: (value: number) => number
): Downsampled {
  const factor = dims.map((d) => Math.max(1, Math.ceil(d / maxSide))) as [number, number, number]
  const out = dims.map((d, a) => Math.max(1, Math.floor(d / (factor[a] as number)))) as [number, number, number]
  const data = new Uint8Array(out[0] * out[1] * out[2])
  let o = 0
  for (let k = 0; k < out[2]; k++) {
    const sk = Math.min(dims[2] - 1, k * factor[2] + (factor[2] >> 1))
    for (let j = 0; j < out[1]; j++) {
      const sj = Math.min(dims[1] - 1, j * factor[1] + (factor[1] >> 1))
      const row = (sk * dims[1] + sj) * dims[0]
      for (let i = 0; i < out[0]; i++) {
        const si = Math.min(dims[0] - 1, i * factor[0] + (factor[0] >> 1))
        data[o++] = map(source[row + si] as number)
      }
    }
  }
  return { dims: out, factor, data }
}
