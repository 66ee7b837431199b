import type { Volume } from '../../../shared/volume'
import type { ReadNiftiOptions } from '../nifti'
import { decodeVoxels } from '../nifti/decodeVoxels'
import { niftiInvalid } from '../nifti/niftiErrors'
import { decodeNiftiHeader } from '../nifti/niftiHeaderCodec'
import { interpretNiftiHeader, type NiftiDataLayout } from '../nifti/niftiHeaderValidation'

/**
 * An uncompressed single-file NIfTI held in memory (dcm2niix's output) read with the same header
 * checks and voxel decoding as readNifti, so that the volume equals what readNifti will later read
 * from the stored .nii.gz of the same bytes.
 */

export function niftiLayoutFromBytes(bytes: Uint8Array, name: string, options: ReadNiftiOptions = {}): NiftiDataLayout {
  const layout = interpretNiftiHeader(decodeNiftiHeader(bytes, name), name, { isPair: false, ...options })
  if (bytes.length < layout.voxOffset + layout.dataBytes) {
    throw niftiInvalid(name, `is truncated: ${bytes.length} bytes hold less than the ${layout.voxOffset + layout.dataBytes} its header declares`)
  }
  return layout
}

export function niftiFromBytes(bytes: Uint8Array, name: string, options: ReadNiftiOptions = {}): Volume {
  const layout = niftiLayoutFromBytes(bytes, name, options)
  // A copy at offset 0 of its own buffer: typed-array views need their element alignment, and
  // decoding may swap bytes in place, which must not touch the bytes that are stored.
  const voxels = bytes.slice(layout.voxOffset, layout.voxOffset + layout.dataBytes)
  return { header: layout.header, data: decodeVoxels(voxels, layout) }
}
