/**
 * NIfTI datatype codes (nifti1.h DT_*) that Voxloop reads, and the names of those it refuses so that
 * an error can say what the file holds.
 */
import type { VoxelDatatype, VolumeHeader } from '../../../shared/volume'

export type StoredDatatype = VolumeHeader['storedDatatype']

export interface NiftiDatatype {
  code: number
  stored: StoredDatatype
  /** Datatype of one channel value in memory (RGB channels are uint8). */
  element: VoxelDatatype
  /** Bytes of one voxel as stored (all channels of a packed RGB voxel). */
  bytesPerVoxel: number
  /** Bytes of one element, i.e. the unit of byte swapping. */
  bytesPerElement: 1 | 2 | 4 | 8
  /** Channels packed into one voxel (RGB24: 3, RGBA32: 4), else 1. */
  packedChannels: 1 | 3 | 4
}

const SUPPORTED: readonly NiftiDatatype[] = [
  { code: 2, stored: 'uint8', element: 'uint8', bytesPerVoxel: 1, bytesPerElement: 1, packedChannels: 1 },
  { code: 4, stored: 'int16', element: 'int16', bytesPerVoxel: 2, bytesPerElement: 2, packedChannels: 1 },
  { code: 8, stored: 'int32', element: 'int32', bytesPerVoxel: 4, bytesPerElement: 4, packedChannels: 1 },
  { code: 16, stored: 'float32', element: 'float32', bytesPerVoxel: 4, bytesPerElement: 4, packedChannels: 1 },
  { code: 64, stored: 'float64', element: 'float64', bytesPerVoxel: 8, bytesPerElement: 8, packedChannels: 1 },
  { code: 128, stored: 'rgb24', element: 'uint8', bytesPerVoxel: 3, bytesPerElement: 1, packedChannels: 3 },
  { code: 256, stored: 'int8', element: 'int8', bytesPerVoxel: 1, bytesPerElement: 1, packedChannels: 1 },
  { code: 512, stored: 'uint16', element: 'uint16', bytesPerVoxel: 2, bytesPerElement: 2, packedChannels: 1 },
  { code: 768, stored: 'uint32', element: 'uint32', bytesPerVoxel: 4, bytesPerElement: 4, packedChannels: 1 },
  { code: 2304, stored: 'rgba32', element: 'uint8', bytesPerVoxel: 4, bytesPerElement: 1, packedChannels: 4 }
]

/** Known but unsupported codes, named in the error message. */
const UNSUPPORTED_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'unknown'],
  [1, 'binary (1 bit)'],
  [32, 'complex64'],
  [1024, 'int64'],
  [1280, 'uint64'],
  [1536, 'float128'],
  [1792, 'complex128'],
  [2048, 'complex256']
])

const BY_CODE: ReadonlyMap<number, NiftiDatatype> = new Map(SUPPORTED.map((d) => [d.code, d]))
const BY_ELEMENT: ReadonlyMap<StoredDatatype, NiftiDatatype> = new Map(SUPPORTED.map((d) => [d.stored, d]))

export function niftiDatatypeByCode(code: number): NiftiDatatype | undefined {
  return BY_CODE.get(code)
}

export function niftiDatatypeByName(name: StoredDatatype): NiftiDatatype {
  const found = BY_ELEMENT.get(name)
  if (!found) throw new Error(`no NIfTI datatype for ${name}`)
  return found
}

/** "unsupported datatype 1024 (int64)": what a user can look up or convert away from. */
export function describeUnsupportedDatatype(code: number): string {
  const name = UNSUPPORTED_NAMES.get(code)
  return `unsupported datatype ${code}${name ? ` (${name})` : ''}`
}
