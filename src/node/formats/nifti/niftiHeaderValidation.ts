/**
 * Turns raw header fields into a VolumeHeader plus the facts needed to read the voxels, refusing
 * anything that would make the reader allocate absurd amounts, read out of bounds or place voxels
 * in the wrong spot. Every refusal names the file and the field at fault.
 */
import { totalmem } from 'node:os'
import { VoxloopError } from '../../../shared/errors'
import { axisCodesFromRasFromIjk, selectNiftiAffine } from '../../../shared/geometry'
import type { NiftiGeometry, Vec3, VolumeHeader } from '../../../shared/volume'
import { describeUnsupportedDatatype, type NiftiDatatype, niftiDatatypeByCode } from './niftiDatatypes'
import { formatBytes, formatCount, niftiInvalid, niftiUnsupported } from './niftiErrors'
import { NIFTI1_MIN_VOX_OFFSET, NIFTI2_MIN_VOX_OFFSET, type RawNiftiHeader } from './niftiHeaderCodec'

/** Larger than any CT/MR matrix in use; beyond it a dim is far more likely corruption than data. */
export const MAX_DIM = 16384
/**
 * Voxel bytes (stored, or after scaling to float32) that one volume may have on any machine. One
 * Node 20 Buffer and one zlib output buffer hold at most 4 GiB (buffer.constants.MAX_LENGTH is 2^32;
 * zlib counts output in 32 bits); 16 MiB below that leaves room in the same buffer for the header
 * and extensions on reading, and for the framing around the voxels on the HTTP wire.
 */
export const MAX_VOXEL_BYTES = 2 ** 32 - 2 ** 24
/**
 * A volume may take at most this fraction of physical memory: the main process holds it, the wire
 * or IPC copies it once, the renderer holds it plus its display textures, and training keeps a
 * float32 copy. 1/8 lets a 24 GiB machine open a 2 GiB CT (1024^3 int16) and keeps an 8 GiB
 * laptop from swapping itself to a standstill on one.
 */
export const MEMORY_FRACTION = 1 / 8
/** Header extensions in use (XML label tables, CIFTI) take kilobytes to a few megabytes. */
const MAX_VOX_OFFSET = 2 ** 31

/** The voxel-byte limit for a machine with `totalMemoryBytes` of RAM (default: this machine). */
export function defaultMaxVoxelBytes(totalMemoryBytes: number = totalmem()): number {
  return Math.min(MAX_VOXEL_BYTES, Math.floor(totalMemoryBytes * MEMORY_FRACTION))
}

/** The limit in force and, for the refusal message, where it comes from. */
function voxelByteLimit(requested: number | undefined): { bytes: number; why: string } {
  const hardLimit = { bytes: MAX_VOXEL_BYTES, why: ' (the most one buffer can hold)' }
  if (requested !== undefined) return requested < MAX_VOXEL_BYTES ? { bytes: requested, why: '' } : hardLimit
  const memory = totalmem()
  const bytes = defaultMaxVoxelBytes(memory)
  return bytes < MAX_VOXEL_BYTES ? { bytes, why: ` (1/${1 / MEMORY_FRACTION} of this machine's ${(memory / 2 ** 30).toFixed(1)} GiB of memory)` } : hardLimit
}

export interface NiftiScaling {
  slope: number
  inter: number
}

export interface NiftiDataLayout {
  header: VolumeHeader
  datatype: NiftiDatatype
  /** Byte offset of the voxel data in the data file (the .nii itself, or the .img of a pair). */
  voxOffset: number
  /** Stored bytes of voxel data to read after voxOffset. */
  dataBytes: number
  littleEndian: boolean
  scaling: NiftiScaling | null
  /** intent_code: import reads NIFTI_INTENT_TIME_SERIES (2001) as "dim[4] is time". */
  intentCode: number
}

export interface InterpretOptions {
  /** True for .hdr/.img pairs, where vox_offset counts from the start of the .img file. */
  isPair: boolean
  /**
   * Refuse volumes whose voxels (stored or scaled) need more bytes than this; default
   * defaultMaxVoxelBytes(), never above MAX_VOXEL_BYTES.
   */
  maxVoxelBytes?: number
}

function cifti(intentCode: number): boolean {
  // nifti1.h reserves 3000–3099 for CIFTI-2 intents (dense connectome, dense scalar, …).
  return intentCode >= 3000 && intentCode <= 3099
}

function readDims(raw: RawNiftiHeader, path: string, datatype: NiftiDatatype | null): { dims: Vec3; storedChannels: number } {
  const rank = raw.dim[0]
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= 7)) {
    throw niftiInvalid(path, `dim[0] is ${rank}; it must be the number of dimensions, 1 to 7`)
  }
  const used = raw.dim.slice(1, rank + 1)
  const shown = used.join('x')
  if (cifti(raw.intentCode)) {
    const name = raw.intentName ? ` "${raw.intentName}"` : ''
    throw niftiUnsupported(path, `CIFTI-2 file (intent ${raw.intentCode}${name}, dims ${shown}) is not a volume`)
  }
  used.forEach((size, i) => {
    if (!(Number.isSafeInteger(size) && size >= 1)) {
      throw niftiInvalid(path, `dim[${i + 1}] is ${size}; every used dimension must be at least 1 (dims ${shown})`)
    }
  })
  used.forEach((size, i) => {
    if (size > MAX_DIM) {
      // The would-be size tells a user at once whether this is a huge scan or a corrupt header.
      const sizeNote = datatype ? `, ${datatype.stored}: ${formatBytes(used.reduce((product, d) => product * d, datatype.bytesPerVoxel))}` : ''
      throw niftiUnsupported(path, `dim[${i + 1}] is ${formatCount(size)}; the limit is ${formatCount(MAX_DIM)} (dims ${shown}${sizeNote})`)
    }
  })
  if (used.slice(4).some((size) => size !== 1)) {
    throw niftiUnsupported(path, `${rank}D images are not supported (dims ${shown}); Voxloop reads 3D volumes with optional channels (4D)`)
  }
  const at = (i: number): number => used[i] ?? 1
  return { dims: [at(0), at(1), at(2)], storedChannels: at(3) }
}

function readScaling(raw: RawNiftiHeader, datatype: NiftiDatatype, path: string): NiftiScaling | null {
  const { sclSlope: slope, sclInter: inter } = raw
  // As nibabel: slope 0 or non-finite means "no scaling"; identity scaling is skipped to keep the
  // stored type; RGB is colour, not a measurement, so it is never scaled.
  if (slope === 0 || !Number.isFinite(slope) || datatype.packedChannels > 1) return null
  if (!Number.isFinite(inter)) throw niftiInvalid(path, `scl_slope is ${slope} but scl_inter is ${inter}`)
  if (slope === 1 && inter === 0) return null
  return { slope, inter }
}

function readVoxOffset(raw: RawNiftiHeader, options: InterpretOptions, path: string): number {
  const value = raw.voxOffset
  if (!(Number.isFinite(value) && Number.isInteger(value) && value >= 0)) {
    throw niftiInvalid(path, `vox_offset is ${value}; it must be a non-negative whole number of bytes`)
  }
  if (value > MAX_VOX_OFFSET) {
    throw niftiInvalid(path, `vox_offset ${formatCount(value)} is beyond any plausible header extension`)
  }
  const minimum = raw.niftiVersion === 1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET
  // A single file cannot have voxels inside its header; old writers left vox_offset 0 meaning
  // "right after the header", which is also how nibabel reads it.
  if (!options.isPair && value < minimum) return minimum
  return value
}

export function geometryFromRaw(raw: RawNiftiHeader): NiftiGeometry {
  return {
    qformCode: raw.qformCode,
    sformCode: raw.sformCode,
    quaternB: raw.quaternB,
    quaternC: raw.quaternC,
    quaternD: raw.quaternD,
    qoffsetX: raw.qoffsetX,
    qoffsetY: raw.qoffsetY,
    qoffsetZ: raw.qoffsetZ,
    pixdim: [...raw.pixdim],
    srowX: [...raw.srowX],
    srowY: [...raw.srowY],
    srowZ: [...raw.srowZ],
    xyztUnits: raw.xyztUnits
  }
}

export function interpretNiftiHeader(raw: RawNiftiHeader, path: string, options: InterpretOptions): NiftiDataLayout {
  const datatype = niftiDatatypeByCode(raw.datatypeCode)
  const { dims, storedChannels } = readDims(raw, path, datatype ?? null)
  if (!datatype) throw niftiUnsupported(path, describeUnsupportedDatatype(raw.datatypeCode))
  if (datatype.packedChannels > 1 && storedChannels > 1) {
    throw niftiUnsupported(path, `${datatype.stored} images with more than one volume (dim[4] = ${storedChannels}) are not supported`)
  }
  // bitpix is ignored, as nifti1_io and nibabel do: the datatype code alone fixes the voxel size.
  // Plain arithmetic, not 32-bit bitwise operations: these products exceed 2^31 for real CTs.
  const voxels = dims[0] * dims[1] * dims[2] * storedChannels
  const dataBytes = voxels * datatype.bytesPerVoxel
  const scaling = readScaling(raw, datatype, path)
  const outputBytes = scaling ? voxels * 4 : dataBytes
  const neededBytes = Math.max(dataBytes, outputBytes)
  const limit = voxelByteLimit(options.maxVoxelBytes)
  if (neededBytes > limit.bytes) {
    throw niftiUnsupported(
      path,
      `volume too large: ${dims.join('x')}x${storedChannels} ${datatype.stored}${scaling ? ' scaled to float32' : ''} needs ${formatBytes(neededBytes)}; the limit is ${formatBytes(limit.bytes)}${limit.why}`
    )
  }
  const voxOffset = readVoxOffset(raw, options, path)

  const geometry = geometryFromRaw(raw)
  let affine
  try {
    affine = selectNiftiAffine(geometry, raw.niftiVersion)
  } catch (error) {
    if (error instanceof VoxloopError) throw niftiInvalid(path, error.message, error)
    throw error
  }
  const header: VolumeHeader = {
    dims,
    channels: storedChannels * datatype.packedChannels,
    spacing: affine.spacing,
    rasFromIjk: affine.rasFromIjk,
    affineSource: affine.affineSource,
    orientation: axisCodesFromRasFromIjk(affine.rasFromIjk),
    storedDatatype: datatype.stored,
    datatype: scaling ? 'float32' : datatype.element,
    sclSlope: scaling ? scaling.slope : 1,
    sclInter: scaling ? scaling.inter : 0,
    niftiVersion: raw.niftiVersion,
    description: raw.description,
    geometry
  }
  return { header, datatype, voxOffset, dataBytes, littleEndian: raw.littleEndian, scaling, intentCode: raw.intentCode }
}
