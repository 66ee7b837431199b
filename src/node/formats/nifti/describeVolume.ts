/**
 * The plain-data summary behind `voxloop info <file> --json`: everything a script needs to check a
 * volume's grid and contents, with label counts when the volume looks like a label map.
 */
import type { Mat4, Vec3, Volume, VolumeHeader, VoxelArray } from '../../../shared/volume'

/** More distinct values than this and the volume is treated as an image, not a label map. */
export const MAX_LABEL_VALUES = 1000

export interface VolumeDescription {
  file: string
  dims: Vec3
  channels: number
  spacing: Vec3
  /** Voxel index → RAS mm, 4 rows of 4. */
  affine: Mat4
  orientation: string
  /** Datatype as stored in the file. */
  datatype: VolumeHeader['storedDatatype']
  niftiVersion: 1 | 2
  /** [min, max] over finite values (NaN and ±∞ skipped; JSON cannot carry them); null if none. */
  intensityRange: [number, number] | null
  /** value → voxel count, for single-channel integer volumes with at most MAX_LABEL_VALUES values. */
  labelCounts?: Record<string, number>
}

function finiteRange(data: VoxelArray): [number, number] | null {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    // NaN fails both comparisons; ±∞ is excluded explicitly.
    if (v < min && v !== Number.NEGATIVE_INFINITY) min = v
    if (v > max && v !== Number.POSITIVE_INFINITY) max = v
  }
  return min <= max ? [min, max] : null
}

/** Dense counting for 8/16-bit integer arrays (fast: no hashing), else a Map that gives up early. */
function countValues(data: VoxelArray): Map<number, number> | null {
  if (data instanceof Uint8Array || data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array) {
    const bias = data instanceof Int8Array ? 128 : data instanceof Int16Array ? 32768 : 0
    const size = data instanceof Uint8Array || data instanceof Int8Array ? 256 : 65536
    const counts = new Float64Array(size)
    for (let i = 0; i < data.length; i++) counts[data[i] + bias]++
    const out = new Map<number, number>()
    for (let v = 0; v < size; v++) {
      if (counts[v] === 0) continue
      if (out.size === MAX_LABEL_VALUES) return null
      out.set(v - bias, counts[v])
    }
    return out
  }
  const out = new Map<number, number>()
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    const seen = out.get(v)
    if (seen !== undefined) {
      out.set(v, seen + 1)
      continue
    }
    if (!Number.isInteger(v) || out.size === MAX_LABEL_VALUES) return null
    out.set(v, 1)
  }
  return out
}

export function describeVolume(volume: Volume, file: string): VolumeDescription {
  const { header, data } = volume
  const description: VolumeDescription = {
    file,
    dims: [...header.dims],
    channels: header.channels,
    spacing: [...header.spacing],
    affine: header.rasFromIjk.map((row) => [...row]) as Mat4,
    orientation: header.orientation,
    datatype: header.storedDatatype,
    niftiVersion: header.niftiVersion,
    intensityRange: finiteRange(data)
  }
  if (header.channels === 1) {
    const counts = countValues(data)
    if (counts) {
      const labelCounts: Record<string, number> = {}
      for (const value of [...counts.keys()].sort((a, b) => a - b)) labelCounts[String(value)] = counts.get(value) ?? 0
      description.labelCounts = labelCounts
    }
  }
  return description
}
