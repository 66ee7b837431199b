/**
 * Label maps from NIfTI files: any integer-valued single-channel volume becomes Uint8Array (or
 * Uint16Array when a label exceeds 255). Float-stored labels, as in some MSD cases, are accepted only
 * when every voxel is a whole number in range — a rounded probability map is not a label map.
 */
import type { LabelArray, LabelVolume, Vec3, Volume, VoxelArray } from '../../../shared/volume'
import { formatCount, niftiInvalid, niftiUnsupported } from './niftiErrors'
import { readNifti, type ReadNiftiOptions } from './readNifti'

const MAX_LABEL = 65535

function voxelName(index: number, dims: Vec3): string {
  const i = index % dims[0]
  const j = Math.floor(index / dims[0]) % dims[1]
  const k = Math.floor(index / (dims[0] * dims[1]))
  return `voxel (${i}, ${j}, ${k})`
}

/** Checks and narrows label values; throws NIFTI_INVALID naming the first offending voxel. */
export function labelArrayFromVoxels(data: VoxelArray, dims: Vec3, path: string): LabelArray {
  if (data instanceof Uint8Array) return data
  let max = 0
  for (let index = 0; index < data.length; index++) {
    const value = data[index]
    if (!(Number.isInteger(value) && value >= 0 && value <= MAX_LABEL)) {
      const why = Number.isNaN(value)
        ? 'NaN'
        : !Number.isInteger(value)
          ? `${value}, which is not a whole number`
          : value < 0
            ? `${value}, which is negative`
            : `${formatCount(value)}, above the largest label ${formatCount(MAX_LABEL)}`
      throw niftiInvalid(path, `not a label map: ${voxelName(index, dims)} holds ${why}`)
    }
    if (value > max) max = value
  }
  if (data instanceof Uint16Array && max > 255) return data
  // Copying also drops the float/int buffer, which may be 4–8× the label's size.
  return max > 255 ? Uint16Array.from(data) : Uint8Array.from(data)
}

export function labelVolumeFromVolume(volume: Volume, path: string): LabelVolume {
  const { header } = volume
  if (header.channels !== 1) {
    throw niftiUnsupported(path, `a label map must have one channel; this ${header.storedDatatype} file has ${header.channels}`)
  }
  const data = labelArrayFromVoxels(volume.data, header.dims, path)
  return { header: { ...header, datatype: data instanceof Uint8Array ? 'uint8' : 'uint16' }, data }
}

export async function readLabelNifti(path: string, options: ReadNiftiOptions = {}): Promise<LabelVolume> {
  return labelVolumeFromVolume(await readNifti(path, options), path)
}
