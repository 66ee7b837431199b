import type { LabelArray, VoxelArray } from '../../../shared/volume'

export interface Downsampled<T extends Uint8Array | Uint16Array = Uint8Array> {
  dims: [number, number, number]
  /** Source voxels per output voxel along each axis. */
  factor: [number, number, number]
  data: T
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
  const { out, factor } = plan(dims, maxSide)
  const data = new Uint8Array(out[0] * out[1] * out[2])
  sampleNearest(source, dims, out, factor, (o, value) => {
    data[o] = map(value)
  })
  return { dims: out, factor, data }
}

/**
 * The label map shrunk like downsampleToBytes, values unchanged, in the map's own width: a 16-bit
 * map stays 16-bit (clamping to 255, as this once did, drew label 256 and above as label 255).
 */
export function downsampleLabels(labels: LabelArray, dims: readonly [number, number, number], maxSide: number): Downsampled<LabelArray> {
  const { out, factor } = plan(dims, maxSide)
  const count = out[0] * out[1] * out[2]
  const data: LabelArray = labels instanceof Uint16Array ? new Uint16Array(count) : new Uint8Array(count)
  sampleNearest(labels, dims, out, factor, (o, value) => {
    data[o] = value
  })
  return { dims: out, factor, data }
}

function plan(dims: readonly [number, number, number], maxSide: number): { out: [number, number, number]; factor: [number, number, number] } {
  const factor = dims.map((d) => Math.max(1, Math.ceil(d / maxSide))) as [number, number, number]
  const out = dims.map((d, a) => Math.max(1, Math.floor(d / (factor[a] as number)))) as [number, number, number]
  return { out, factor }
}

function sampleNearest(
  source: VoxelArray,
  dims: readonly [number, number, number],
  out: readonly [number, number, number],
  factor: readonly [number, number, number],
  write: (outIndex: number, value: number) => void
): void {
  let o = 0
  for (let k = 0; k < out[2]; k++) {
    const sk = Math.min(dims[2] - 1, k * factor[2] + (factor[2] >> 1))
    for (let j = 0; j < out[1]; j++) {
      const sj = Math.min(dims[1] - 1, j * factor[1] + (factor[1] >> 1))
      const row = (sk * dims[1] + sj) * dims[0]
      for (let i = 0; i < out[0]; i++) {
        const si = Math.min(dims[0] - 1, i * factor[0] + (factor[0] >> 1))
        write(o++, source[row + si] as number)
      }
    }
  }
}
