import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { gunzip as gunzipCallback } from 'node:zlib'
import { VoxloopError } from '../../../shared/errors'
import { defaultLabelColor } from '../../../shared/labelColors'
import type { LabelDef } from '../../../shared/project'
import type { Mat4, Vec3, Volume, VoxelArray, VoxelDatatype } from '../../../shared/volume'
import { imageHeaderForGrid } from '../nifti/writeImageNifti'
import { storedElements } from '../nifti/decodeVoxels'
import { niftiDatatypeByName } from '../nifti/niftiDatatypes'
import { defaultMaxVoxelBytes, MAX_DIM } from '../nifti/niftiHeaderValidation'

/**
 * NRRD volumes (3D Slicer's format: `.nrrd`, or a `.nhdr` header with its data file) read as Voxloop
 * volumes, for import: the geometry turned from the file's space into RAS as the NIfTI reader gives
 * it, and a `.seg.nrrd`'s segments (name, colour, label value) for the label table. Raw, gzip and
 * ASCII encodings; one data file. What Slicer writes and ITK reads, per the NRRD0005 specification
 * (teem.sourceforge.net/nrrd/format.html): the fastest axis first, a leading non-spatial axis
 * (`kinds` vector, list, RGB-color…) holding components or a segmentation's layers.
 */

const gunzip = promisify(gunzipCallback)

export interface NrrdSegment {
  name: string
  /** '#rrggbb' from the 0–1 floats Slicer writes, or null. */
  color: string | null
  labelValue: number
  layer: number
}

export interface NrrdVolume {
  volume: Volume
  /** A segmentation's segments (`Segment<N>_…` keys), in file order; empty for other files. */
  segments: NrrdSegment[]
}

const TYPES: Record<string, VoxelDatatype> = {
  'signed char': 'int8', int8: 'int8', int8_t: 'int8',
  uchar: 'uint8', 'unsigned char': 'uint8', uint8: 'uint8', uint8_t: 'uint8',
  short: 'int16', 'short int': 'int16', 'signed short': 'int16', 'signed short int': 'int16', int16: 'int16', int16_t: 'int16',
  ushort: 'uint16', 'unsigned short': 'uint16', 'unsigned short int': 'uint16', uint16: 'uint16', uint16_t: 'uint16',
  int: 'int32', 'signed int': 'int32', int32: 'int32', int32_t: 'int32',
  uint: 'uint32', 'unsigned int': 'uint32', uint32: 'uint32', uint32_t: 'uint32',
  float: 'float32', double: 'float64'
}


/** Per space, the sign that turns each of its axes into RAS. */
const SPACES: Record<string, Vec3> = {
  'right-anterior-superior': [1, 1, 1],
  ras: [1, 1, 1],
  'left-anterior-superior': [-1, 1, 1],
  las: [-1, 1, 1],
  'left-posterior-superior': [-1, -1, 1],
  lps: [-1, -1, 1]
}

const SPATIAL_KINDS = new Set(['domain', 'space', 'time'])

function invalid(file: string, reason: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `${file}: ${reason}`)
}

function vector(text: string, file: string, field: string): Vec3 | null {
  if (text.trim() === 'none') return null
  const match = /^\(\s*([^,()]+),\s*([^,()]+),\s*([^,()]+)\)$/.exec(text.trim())
  const values = match ? [match[1], match[2], match[3]].map(Number) : []
  if (values.length !== 3 || values.some((value) => !Number.isFinite(value))) throw invalid(file, `its ${field} "${text}" is not a vector (x,y,z)`)
  return values as Vec3
}

function hexColor(text: string | undefined): string | null {
  const parts = (text ?? '').trim().split(/\s+/).map(Number)
  if (parts.length !== 3 || parts.some((value) => !(value >= 0 && value <= 1))) return null
  return `#${parts.map((value) => Math.round(value * 255).toString(16).padStart(2, '0')).join('')}`
}

/** The header's fields (lower-case names) and key/value pairs, and where the data starts in `bytes`. */
function parseHeader(bytes: Uint8Array, file: string): { fields: Map<string, string>; keys: Map<string, string>; dataStart: number } {
  const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1')
  if (!/^NRRD000[1-5]$/.test(magic)) throw invalid(file, 'not an NRRD file (it does not start with NRRD0001…NRRD0005)')
  const fields = new Map<string, string>()
  const keys = new Map<string, string>()
  let position = bytes.indexOf(0x0a) + 1
  while (position > 0 && position < bytes.length) {
    const end = bytes.indexOf(0x0a, position)
    const line = Buffer.from(bytes.subarray(position, end === -1 ? bytes.length : end)).toString('utf8').replace(/\r$/, '')
    position = end === -1 ? bytes.length : end + 1
    if (line === '') return { fields, keys, dataStart: position }
    if (line.startsWith('#')) continue
    const keyValue = /^([^:]+):=(.*)$/.exec(line)
    if (keyValue) {
      keys.set(keyValue[1] as string, keyValue[2] as string)
      continue
    }
    const field = /^([^:]+):\s?(.*)$/.exec(line)
    if (!field) throw invalid(file, `its header line "${line.slice(0, 80)}" is neither a field nor a key/value pair`)
    fields.set((field[1] as string).trim().toLowerCase(), (field[2] as string).trim())
    if (fields.size > 64) throw invalid(file, 'its header has more than 64 fields')
  }
  // A .nhdr may end without the blank line: its data is in another file.
  return { fields, keys, dataStart: bytes.length }
}

/** Reads an NRRD (.nrrd, or .nhdr with its data file) as a volume, with a segmentation's segments. */
export async function readNrrd(file: string, options: { maxVoxelBytes?: number } = {}): Promise<NrrdVolume> {
  const bytes = new Uint8Array(await readFile(file))
  const { fields, keys, dataStart } = parseHeader(bytes, file)
  const need = (name: string): string => {
    const value = fields.get(name)
    if (value === undefined) throw invalid(file, `its header has no "${name}" field`)
    return value
  }
  const typeName = need('type').toLowerCase()
  const datatype = TYPES[typeName]
  if (!datatype) throw invalid(file, `its voxel type "${typeName}" is not supported (8-, 16- or 32-bit integers, float or double)`)
  const dimension = Number(need('dimension'))
  const sizes = need('sizes').split(/\s+/).map(Number)
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 4 || sizes.length !== dimension || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > MAX_DIM)) {
    throw invalid(file, `its dimension ${dimension} and sizes "${need('sizes')}" do not describe a 3D volume (with at most one axis of components)`)
  }
  const kinds = (fields.get('kinds') ?? '').split(/\s+/).filter(Boolean)
  // The component (or layer) axis: a leading axis whose kind is not spatial; every other axis is space.
  const componentAxis = dimension > 1 && kinds.length === dimension && !SPATIAL_KINDS.has((kinds[0] ?? '').toLowerCase()) ? 0 : -1
  const spatialSizes = sizes.filter((_, axis) => axis !== componentAxis)
  if (spatialSizes.length > 3) {
    throw invalid(file, `its ${dimension} axes (kinds "${kinds.join(' ') || 'not given'}") are not a 3D volume with a leading axis of components: a time series or another 4D layout is not supported`)
  }
  while (spatialSizes.length < 3) spatialSizes.push(1)
  const dims = spatialSizes as Vec3
  const channels = componentAxis === 0 ? (sizes[0] as number) : 1
  const voxels = dims[0] * dims[1] * dims[2] * channels
  const element = niftiDatatypeByName(datatype)
  const maxBytes = Math.min(options.maxVoxelBytes ?? defaultMaxVoxelBytes(), defaultMaxVoxelBytes())
  if (voxels * element.bytesPerElement > maxBytes) throw invalid(file, `its ${sizes.join('×')} voxels need more memory than a volume may take here (${Math.round(maxBytes / 2 ** 20)} MiB)`)

  // Geometry: space directions (one vector per spatial axis, 'none' for the component axis) and origin, in the file's space.
  const spaceName = (fields.get('space') ?? '').toLowerCase()
  const signs = spaceName === '' ? ([-1, -1, 1] as Vec3) : SPACES[spaceName]
  if (!signs) throw invalid(file, `its space "${spaceName}" is not one of right-anterior-superior, left-anterior-superior, left-posterior-superior`)
  const directionsText = fields.get('space directions')
  let directions: Vec3[]
  if (directionsText !== undefined) {
    const parts = directionsText.match(/none|\([^()]*\)/g) ?? []
    if (parts.length !== dimension) throw invalid(file, `its space directions "${directionsText}" do not give one entry per axis (${dimension})`)
    const spatial = parts.map((part) => vector(part, file, 'space direction')).filter((_, axis) => axis !== componentAxis)
    if (spatial.some((value) => value === null)) throw invalid(file, 'a spatial axis has no space direction ("none")')
    directions = spatial as Vec3[]
  } else {
    // Spacings alone (no space): axis-aligned, as ITK reads them (identity directions in LPS).
    const spacings = (fields.get('spacings') ?? '').split(/\s+/).map(Number).filter((_, axis) => axis !== componentAxis)
    directions = [0, 1, 2].map((axis) => [0, 1, 2].map((row) => (row === axis ? (Number.isFinite(spacings[axis]) && (spacings[axis] as number) > 0 ? (spacings[axis] as number) : 1) : 0)) as Vec3)
  }
  while (directions.length < 3) directions.push([0, 0, 1])
  const origin = fields.get('space origin') === undefined ? ([0, 0, 0] as Vec3) : (vector(fields.get('space origin') as string, file, 'space origin') ?? [0, 0, 0])
  // (+ 0 turns the −0 of a sign change into 0.)
  const rasFromIjk = [0, 1, 2].map((row) => [...directions.map((direction) => (signs[row] as number) * (direction[row] as number) + 0), (signs[row] as number) * (origin[row] as number) + 0]) as number[][]
  rasFromIjk.push([0, 0, 0, 1])

  // The data: after the header, or in the data file a .nhdr names; then skipped lines and bytes.
  let data: Uint8Array = bytes.subarray(dataStart)
  const dataFile = fields.get('data file') ?? fields.get('datafile')
  if (dataFile !== undefined) {
    if (/^LIST$|%/.test(dataFile) || /\s/.test(dataFile.trim())) throw invalid(file, `its data file "${dataFile}" is a list of files, which is not supported`)
    const target = path.resolve(path.dirname(file), dataFile)
    // Confined to the header's folder: a header must not make the import read any file it names.
    const relative = path.relative(path.dirname(file), target)
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw invalid(file, `its data file ${target} lies outside the header's folder; keep the two together`)
    data = new Uint8Array(await readFile(target).catch((error: unknown) => {
      throw invalid(file, `its data file ${target} cannot be read (${error instanceof Error ? error.message : String(error)})`)
    }))
  }
  const encoding = (fields.get('encoding') ?? 'raw').toLowerCase()
  const lineSkip = Number(fields.get('line skip') ?? fields.get('lineskip') ?? 0)
  for (let line = 0; line < lineSkip; line++) data = data.subarray(data.indexOf(0x0a) + 1)
  if (encoding === 'gzip' || encoding === 'gz') {
    data = new Uint8Array(await gunzip(data).catch((error: unknown) => {
      throw invalid(file, `its gzip data cannot be read (${error instanceof Error ? error.message : String(error)})`)
    }))
  } else if (encoding !== 'raw' && encoding !== 'ascii' && encoding !== 'text' && encoding !== 'txt') {
    throw invalid(file, `its encoding "${encoding}" is not supported (raw, gzip or ascii)`)
  }
  const byteSkip = Number(fields.get('byte skip') ?? fields.get('byteskip') ?? 0)
  let values: VoxelArray
  if (encoding === 'raw' || encoding === 'gzip' || encoding === 'gz') {
    const needed = voxels * element.bytesPerElement
    // byte skip -1: the data are the file's last bytes.
    const start = byteSkip === -1 ? data.length - needed : byteSkip
    if (start < 0 || data.length - start < needed) throw invalid(file, `is truncated: its ${sizes.join('×')} ${typeName} voxels need ${needed} bytes, the data hold ${Math.max(0, data.length - Math.max(0, start))}`)
    const littleEndian = (fields.get('endian') ?? 'little').toLowerCase() !== 'big'
    // A copy at offset 0 of its own buffer: typed arrays need their element alignment (the NIfTI reader's decoding).
    values = storedElements(data.slice(start, start + needed), datatype, element.bytesPerElement, littleEndian)
  } else {
    const numbers = Buffer.from(data).toString('latin1').trim().split(/\s+/).map(Number)
    if (numbers.length < voxels || numbers.slice(0, voxels).some((value) => !Number.isFinite(value))) throw invalid(file, `its ASCII data hold ${numbers.length} numbers for ${voxels} voxels`)
    values = storedElements(new Uint8Array(voxels * element.bytesPerElement), datatype, element.bytesPerElement, true)
    for (let n = 0; n < voxels; n++) values[n] = numbers[n] as number
  }
  // Components are each voxel's fastest axis in NRRD; Voxloop keeps them as whole volumes, one after the other.
  let ordered = values
  if (channels > 1) {
    ordered = storedElements(new Uint8Array(voxels * element.bytesPerElement), datatype, element.bytesPerElement, true)
    const perChannel = voxels / channels
    for (let voxel = 0; voxel < perChannel; voxel++) for (let channel = 0; channel < channels; channel++) ordered[channel * perChannel + voxel] = values[voxel * channels + channel] as number
  }
  const header = imageHeaderForGrid({ dims, channels, datatype, rasFromIjk: rasFromIjk as Mat4, description: path.basename(file).slice(0, 79) })
  return { volume: { header, data: ordered }, segments: segmentsOf(keys) }
}

/** Slicer's segment keys: `Segment<N>_Name`, `_Color`, `_LabelValue` (default 1) and `_Layer` (default 0). */
function segmentsOf(keys: Map<string, string>): NrrdSegment[] {
  const segments: NrrdSegment[] = []
  for (let n = 0; keys.has(`Segment${n}_ID`) || keys.has(`Segment${n}_Name`); n++) {
    const labelValue = Number(keys.get(`Segment${n}_LabelValue`) ?? 1)
    const layer = Number(keys.get(`Segment${n}_Layer`) ?? 0)
    segments.push({
      // Teem escapes a backslash as \\ and a newline as \n in a value (nrrdHeader.ts writes the same); a name is one line.
      name: (keys.get(`Segment${n}_Name`) ?? keys.get(`Segment${n}_ID`) ?? '').replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? ' ' : '\\')).trim() || `Segment ${n + 1}`,
      color: hexColor(keys.get(`Segment${n}_Color`)),
      labelValue: Number.isInteger(labelValue) && labelValue >= 1 ? labelValue : 1,
      layer: Number.isInteger(layer) && layer >= 0 ? layer : 0
    })
  }
  return segments
}

/**
 * A segmentation's layers and segments as one label map and its label table: each segment's voxels
 * (its label value in its layer) get the segment's own label id, the label values when they are
 * unique across layers, else 1…n in segment order. A voxel in two segments (segments that overlap,
 * which Slicer keeps in separate layers) is refused, naming both: Voxloop's labels hold one label
 * per voxel. Without segment keys, a one-layer file is a plain label map (its values are its labels).
 */
export function labelMapFromSegmentation(nrrd: NrrdVolume, file: string): { volume: Volume; labels: LabelDef[] } {
  const { volume, segments } = nrrd
  const layers = volume.header.channels
  if (segments.length === 0) {
    if (layers !== 1) throw invalid(file, `holds ${layers} components and names no segments; a label map has one`)
    return { volume, labels: [] }
  }
  const values = new Set(segments.map((segment) => segment.labelValue))
  const renumber = values.size !== segments.length
  const ids = segments.map((segment, n) => (renumber ? n + 1 : segment.labelValue))
  const perLayer = volume.data.length / layers
  const out = perLayer > 0 && Math.max(...ids) > 255 ? new Uint16Array(perLayer) : new Uint8Array(perLayer)
  const owner = new Int32Array(perLayer).fill(-1)
  segments.forEach((segment, n) => {
    if (segment.layer >= layers) throw invalid(file, `segment "${segment.name}" is in layer ${segment.layer}, but the file has ${layers}`)
    const offset = segment.layer * perLayer
    for (let voxel = 0; voxel < perLayer; voxel++) {
      if (volume.data[offset + voxel] !== segment.labelValue) continue
      const earlier = owner[voxel] as number
      if (earlier >= 0) throw invalid(file, `segments "${segments[earlier]?.name ?? ''}" and "${segment.name}" overlap; a label map holds one label per voxel, so keep only one of them there (in 3D Slicer) and export again`)
      owner[voxel] = n
      out[voxel] = ids[n] as number
    }
  })
  const header = imageHeaderForGrid({ dims: volume.header.dims, datatype: out instanceof Uint8Array ? 'uint8' : 'uint16', rasFromIjk: volume.header.rasFromIjk })
  const labels = segments.map((segment, n) => ({ id: ids[n] as number, name: segment.name, color: segment.color ?? defaultLabelColor(ids[n] as number) }))
  return { volume: { header, data: out }, labels }
}
