/**
 * Stored voxel bytes → the in-memory typed array: byte order fixed in place, packed RGB split into
 * planar channels (channel slowest, like 4D), scl_slope/scl_inter applied. The input buffer is
 * viewed, not copied, whenever the output type is the stored type.
 */
import type { VoxelArray, VoxelDatatype } from '../../../shared/volume'
import type { NiftiDataLayout } from './niftiHeaderValidation'

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function view(datatype: VoxelDatatype, bytes: Uint8Array, length: number): VoxelArray {
  const { buffer, byteOffset } = bytes
  switch (datatype) {
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, length)
    case 'int8':
      return new Int8Array(buffer, byteOffset, length)
    case 'int16':
      return new Int16Array(buffer, byteOffset, length)
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, length)
    case 'int32':
      return new Int32Array(buffer, byteOffset, length)
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, length)
    case 'float32':
      return new Float32Array(buffer, byteOffset, length)
    case 'float64':
      return new Float64Array(buffer, byteOffset, length)
  }
}

/** Native byte swaps over the voxel bytes: far faster than a DataView loop for big-endian files. */
function swapInPlace(bytes: Uint8Array, bytesPerElement: 1 | 2 | 4 | 8): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytesPerElement === 2) buffer.swap16()
  else if (bytesPerElement === 4) buffer.swap32()
  else if (bytesPerElement === 8) buffer.swap64()
}

/** RGBRGB… per voxel → RRR…GGG…BBB…, so channel c of voxel v is at v + c·n like any 4D image. */
function planarFromPacked(packed: Uint8Array, channels: number): Uint8Array {
  const voxels = packed.length / channels
  const planar = new Uint8Array(packed.length)
  for (let c = 0; c < channels; c++) {
    const base = c * voxels
    for (let v = 0, s = c; v < voxels; v++, s += channels) planar[base + v] = packed[s]
  }
  return planar
}

/**
 * Stored elements of one type in either byte order → a typed array over the same bytes (swapped in
 * place when the order is not the host's). Also NRRD's reader (readNrrd.ts). `bytes` must sit at an
 * offset aligned for the element type.
 */
export function storedElements(bytes: Uint8Array, element: VoxelDatatype, bytesPerElement: 1 | 2 | 4 | 8, littleEndian: boolean): VoxelArray {
  if (bytesPerElement > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapInPlace(bytes, bytesPerElement)
  return view(element, bytes, bytes.byteLength / bytesPerElement)
}

/** `bytes`: exactly layout.dataBytes bytes, at an offset aligned for the element type. */
export function decodeVoxels(bytes: Uint8Array, layout: NiftiDataLayout): VoxelArray {
  const { datatype, scaling } = layout
  const stored = storedElements(bytes.subarray(0, layout.dataBytes), datatype.element, datatype.bytesPerElement, layout.littleEndian)
  const elements = stored.length
  if (datatype.packedChannels > 1) return planarFromPacked(stored as Uint8Array, datatype.packedChannels)
  if (!scaling) return stored
  const { slope, inter } = scaling
  // float32 data is scaled where it lies; anything else needs a new float32 array (the contract).
  const out = stored instanceof Float32Array ? stored : new Float32Array(elements)
  for (let i = 0; i < elements; i++) out[i] = stored[i] * slope + inter
  return out
}
