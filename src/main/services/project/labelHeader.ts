import type { LabelArray, VolumeHeader } from '../../../shared/volume'

/** The header of a label map on an image's grid: same geometry, one channel, integer, unscaled. */
export function labelHeaderFor(imageHeader: VolumeHeader, labels: LabelArray): VolumeHeader {
  const datatype = labels instanceof Uint16Array ? 'uint16' : 'uint8'
  return {
    ...imageHeader,
    dims: [...imageHeader.dims],
    spacing: [...imageHeader.spacing],
    channels: 1,
    datatype,
    storedDatatype: datatype,
    sclSlope: 1,
    sclInter: 0,
    description: 'voxloop label',
    geometry: { ...imageHeader.geometry, pixdim: [...imageHeader.geometry.pixdim] }
  }
}

export function zeroLabelsFor(imageHeader: VolumeHeader, wide: boolean): LabelArray {
  const count = imageHeader.dims[0] * imageHeader.dims[1] * imageHeader.dims[2]
  return wide ? new Uint16Array(count) : new Uint8Array(count)
}
