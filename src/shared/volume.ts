/**
 * The in-memory volume: a header plus one typed array, shared by main, engine and renderer.
 * Layout is NIfTI's: i (x) fastest, then j, k, then channel — index = i + nx*(j + ny*(k + nz*c)).
 */
export const VOXEL_DATATYPES = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const
export type VoxelDatatype = (typeof VOXEL_DATATYPES)[number]

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array

export type LabelArray = Uint8Array | Uint16Array

/** 4 rows of 4 numbers, row-major: [x, y, z, 1]ᵀ_ras = rasFromIjk · [i, j, k, 1]ᵀ. */
export type Mat4 = [
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number]
]
export type Vec3 = [number, number, number]

/**
 * The NIfTI geometry fields kept verbatim so that a label written for an image carries exactly the
 * image's sform/qform (codes, quaternion, offsets, qfac) and overlays in other tools.
 */
export interface NiftiGeometry {
  qformCode: number
  sformCode: number
  quaternB: number
  quaternC: number
  quaternD: number
  qoffsetX: number
  qoffsetY: number
  qoffsetZ: number
  /** pixdim[0..7]; pixdim[0] is qfac (±1). */
  pixdim: number[]
  srowX: [number, number, number, number]
  srowY: [number, number, number, number]
  srowZ: [number, number, number, number]
  xyztUnits: number
}

export interface VolumeHeader {
  /** Voxels along i, j, k. */
  dims: Vec3
  /** Size of the 4th dimension (channels such as FLAIR/T1/T1Gd/T2, or time points); 1 for 3D. */
  channels: number
  /** Voxel size in mm along i, j, k. */
  spacing: Vec3
  /** Voxel index → RAS millimetres (sform if its code is set, else qform, else pixdim). */
  rasFromIjk: Mat4
  /** Which transform gave rasFromIjk. */
  affineSource: 'sform' | 'qform' | 'pixdim'
  /** Axis codes: for each voxel axis, the world direction it increases toward, e.g. 'RAS', 'LPS'. */
  orientation: string
  /** Datatype as stored in the file. */
  storedDatatype: VoxelDatatype | 'rgb24' | 'rgba32'
  /** Datatype of `data` after scl_slope/scl_inter (float32 when scaling applies). */
  datatype: VoxelDatatype
  sclSlope: number
  sclInter: number
  niftiVersion: 1 | 2
  description: string
  geometry: NiftiGeometry
}

export interface Volume {
  header: VolumeHeader
  data: VoxelArray
}

export interface LabelVolume {
  header: VolumeHeader
  data: LabelArray
}

export function voxelCount(header: Pick<VolumeHeader, 'dims'>): number {
  return header.dims[0] * header.dims[1] * header.dims[2]
}
