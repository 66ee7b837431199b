import { VoxloopError } from '../../../shared/errors'
import type { Volume, VoxelArray } from '../../../shared/volume'
import { assertSameGrid } from '../../../node/formats/nifti'

function sameArrayType(arrays: VoxelArray[]): boolean {
  const [first] = arrays
  return first !== undefined && arrays.every((array) => array.constructor === first.constructor)
}

function allocateLike(first: VoxelArray, length: number, sameType: boolean): VoxelArray {
  if (!sameType) return new Float32Array(length)
  const Constructor = first.constructor as new (length: number) => VoxelArray
  return new Constructor(length)
}

/**
 * One multi-channel volume from single-channel files of the same grid (nnU-Net's `<case>_0000`,
 * `_0001`, …), channel-major as NIfTI's 4th dimension. Mixed datatypes become float32.
 */
export function stackChannels(volumes: Volume[], files: string[]): Volume {
  const [first] = volumes
  if (!first) throw new VoxloopError('INVALID_ARGUMENT', 'no channel files to stack')
  volumes.forEach((volume, n) => {
    const file = files[n] ?? `channel ${n}`
    if (volume.header.channels !== 1) {
      throw new VoxloopError('NIFTI_UNSUPPORTED', `${file}: a channel file must hold one 3D volume, not ${volume.header.channels}`)
    }
    assertSameGrid(first.header, volume.header, file)
  })
  const voxels = first.data.length
  const sameType = sameArrayType(volumes.map((volume) => volume.data))
  const data = allocateLike(first.data, voxels * volumes.length, sameType)
  volumes.forEach((volume, channel) => data.set(volume.data, channel * voxels))
  const datatype = sameType ? first.header.datatype : 'float32'
  return { header: { ...first.header, channels: volumes.length, datatype, storedDatatype: datatype }, data }
}
