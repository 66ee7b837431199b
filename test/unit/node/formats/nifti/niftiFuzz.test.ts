/**
 * Seeded fuzzing of the NIfTI reader with mutated real files: header byte flips, truncation, bogus
 * fields, corrupt gzip, empty files, broken pairs. Each case must either read into a self-consistent
 * volume or fail with a VoxloopError (NIFTI_INVALID / NIFTI_UNSUPPORTED) naming the file — never a
 * RangeError, a TypeError or a hang. A failure names its case number; the seed reproduces it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readLabelNifti, readNifti, readNiftiHeader } from '../../../../../src/node/formats/nifti'
import { VoxloopError } from '../../../../../src/shared/errors'
import { isFiniteMat4 } from '../../../../../src/shared/geometry'
import type { Volume, VolumeHeader } from '../../../../../src/shared/volume'
import { buildNifti } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'

// Overridable for longer exploratory runs: VOXLOOP_FUZZ_SEED=7 VOXLOOP_FUZZ_CASES=5000 npx vitest run <this file>
const SEED = Number(process.env.VOXLOOP_FUZZ_SEED ?? 0x5eed_2024)
const CASES = Number(process.env.VOXLOOP_FUZZ_CASES ?? 480)
const CASE_TIMEOUT_MS = 5000

/** mulberry32: tiny, fast, good enough to spread mutations; deterministic across platforms. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type FieldType = 'i16' | 'i32' | 'i64' | 'f32' | 'f64'
interface Field {
  offset: number
  type: FieldType
}

/** Header fields worth lying about, at their NIfTI-1 and NIfTI-2 offsets. */
function fieldsOf(version: 1 | 2): Record<string, Field> {
  const fields: Record<string, Field> = {}
  const add = (name: string, offset: number, type: FieldType): void => {
    fields[name] = { offset, type }
  }
  if (version === 1) {
    add('sizeof_hdr', 0, 'i32')
    for (let i = 0; i < 8; i++) add(`dim${i}`, 40 + 2 * i, 'i16')
    add('intent_code', 68, 'i16')
    add('datatype', 70, 'i16')
    add('bitpix', 72, 'i16')
    for (let i = 0; i < 8; i++) add(`pixdim${i}`, 76 + 4 * i, 'f32')
    add('vox_offset', 108, 'f32')
    add('scl_slope', 112, 'f32')
    add('scl_inter', 116, 'f32')
    add('qform_code', 252, 'i16')
    add('sform_code', 254, 'i16')
    for (let i = 0; i < 6; i++) add(`quatern${i}`, 256 + 4 * i, 'f32')
    for (let i = 0; i < 12; i++) add(`srow${i}`, 280 + 4 * i, 'f32')
  } else {
    add('sizeof_hdr', 0, 'i32')
    add('datatype', 12, 'i16')
    add('bitpix', 14, 'i16')
    for (let i = 0; i < 8; i++) add(`dim${i}`, 16 + 8 * i, 'i64')
    for (let i = 0; i < 8; i++) add(`pixdim${i}`, 104 + 8 * i, 'f64')
    add('vox_offset', 168, 'i64')
    add('scl_slope', 176, 'f64')
    add('scl_inter', 184, 'f64')
    add('qform_code', 344, 'i32')
    add('sform_code', 348, 'i32')
    for (let i = 0; i < 6; i++) add(`quatern${i}`, 352 + 8 * i, 'f64')
    for (let i = 0; i < 12; i++) add(`srow${i}`, 400 + 8 * i, 'f64')
    add('intent_code', 504, 'i32')
  }
  return fields
}

function setField(bytes: Uint8Array, field: Field, value: number, littleEndian: boolean): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (field.type) {
    case 'i16':
      v.setInt16(field.offset, Number.isFinite(value) ? value : -1, littleEndian)
      break
    case 'i32':
      v.setInt32(field.offset, Number.isFinite(value) ? value : -1, littleEndian)
      break
    case 'i64':
      v.setBigInt64(field.offset, BigInt(Number.isFinite(value) ? Math.trunc(value) : -1), littleEndian)
      break
    case 'f32':
      v.setFloat32(field.offset, value, littleEndian)
      break
    case 'f64':
      v.setFloat64(field.offset, value, littleEndian)
      break
  }
}

interface Source {
  name: string
  /** Decompressed bytes of a single-file NIfTI. */
  bytes: Uint8Array
  version: 1 | 2
  littleEndian: boolean
}

function loadSource(name: string, file: string): Source {
  let bytes: Uint8Array = readFileSync(file)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes)
  const v = new DataView(bytes.buffer, bytes.byteOffset, 4)
  const le348 = v.getInt32(0, true) === 348
  const be348 = v.getInt32(0, false) === 348
  return { name, bytes: Uint8Array.from(bytes), version: le348 || be348 ? 1 : 2, littleEndian: le348 || v.getInt32(0, true) === 540 }
}

const BOGUS_INTS = [-32768, -1, 0, 1, 2, 3, 4, 5, 7, 8, 255, 16384, 16385, 32767, 1e6, 2 ** 31 - 1]
const BOGUS_FLOATS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, -1, 1e-30, 1e30, 0.5, 352.5, 1e9, -1e9]
const DATATYPES = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304, 3, 999, -2]

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-fuzz-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function checkHeader(header: VolumeHeader, file: string): void {
  expect(header.dims.every((d) => Number.isInteger(d) && d >= 1), file).toBe(true)
  expect(isFiniteMat4(header.rasFromIjk), file).toBe(true)
  expect(header.spacing.every((s) => Number.isFinite(s) && s > 0), file).toBe(true)
  expect(header.orientation, file).toMatch(/^[LRAPSI]{3}$/)
}

function checkVolume(volume: Volume, file: string): void {
  const { header, data } = volume
  checkHeader(header, file)
  const [nx, ny, nz] = header.dims
  expect(data.length, file).toBe(nx * ny * nz * header.channels)
}

async function withTimeout<T>(promise: Promise<T>, file: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${file} took over ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

type Outcome = 'read' | 'NIFTI_INVALID' | 'NIFTI_UNSUPPORTED'

async function outcomeOf<T>(read: Promise<T>, file: string, check: (result: T, file: string) => void): Promise<Outcome> {
  try {
    check(await withTimeout(read, file), file)
    return 'read'
  } catch (error) {
    if (!(error instanceof VoxloopError)) throw new Error(`${file}: threw ${String(error)} instead of a VoxloopError`, { cause: error })
    expect(['NIFTI_INVALID', 'NIFTI_UNSUPPORTED'], `${file}: ${error.message}`).toContain(error.code)
    expect(error.message, error.message).toContain(file)
    return error.code as Outcome
  }
}

describeUnless(sharedDataMissing, 'NIfTI reader fuzzing', () => {
  const sources: Source[] = []

  beforeAll(() => {
    const suite = (...p: string[]): string => sharedDataPath('nifti-suite', ...p)
    sources.push(
      loadSource('standard', suite('nibabel', 'standard.nii.gz')),
      loadSource('anatomical-be', suite('nibabel', 'anatomical.nii')),
      loadSource('nifti2-ext', suite('nibabel', 'example_nifti2.nii.gz')),
      loadSource('functional-scaled', suite('nibabel', 'functional.nii')),
      loadSource('rgb', suite('ivadomed', 'rgb_test_file.nii.gz')),
      loadSource('5d', suite('nifti-reader-js', '5D_small.nii')),
      loadSource('label', sharedDataPath('labeled', 'msd_task04_hippocampus', 'labelsTr', 'hippocampus_001.nii.gz')),
      loadSource('float-label', sharedDataPath('labeled', 'msd_task04_hippocampus', 'labelsTr', 'hippocampus_003.nii.gz')),
      {
        name: 'nifti2-be',
        bytes: buildNifti(
          { version: 2, littleEndian: false, dims: [6, 5, 4], datatype: 64, qformCode: 1, quatern: [0.1, 0.2, 0.3], pixdim: [-1, 2, 2, 2] },
          Float64Array.from({ length: 120 }, (_, i) => i / 7)
        ),
        version: 2,
        littleEndian: false
      }
    )
  })

  it(`survives ${CASES} seeded mutations`, async () => {
    const random = mulberry32(SEED)
    const int = (n: number): number => Math.floor(random() * n)
    const pick = <T>(list: readonly T[]): T => list[int(list.length)]
    const tally: Record<string, number> = {}

    for (let n = 0; n < CASES; n++) {
      const source = pick(sources)
      const bytes = Uint8Array.from(source.bytes)
      const headerSize = source.version === 1 ? 352 : 544
      const kind = pick(['flip', 'field', 'field', 'truncate', 'truncate-gz', 'corrupt-gz', 'empty', 'pair'] as const)
      let compress = random() < 0.5
      let output: Uint8Array = bytes
      let name = `case-${n}-${source.name}-${kind}`
      let ext = '.nii'

      if (kind === 'flip') {
        const flips = 1 + int(8)
        for (let f = 0; f < flips; f++) bytes[int(Math.min(bytes.length, headerSize))] ^= 1 << int(8)
      } else if (kind === 'field') {
        const fields = fieldsOf(source.version)
        const fieldName = pick(Object.keys(fields))
        const field = fields[fieldName]
        const value = field.type.startsWith('f') ? pick(BOGUS_FLOATS) : fieldName === 'datatype' ? pick(DATATYPES) : pick(BOGUS_INTS)
        setField(bytes, field, value, source.littleEndian)
        // An sform only matters with a positive code; make some sform lies count.
        if (fieldName.startsWith('srow') && random() < 0.7) setField(bytes, fields.sform_code, 1, source.littleEndian)
        name += `-${fieldName}=${value}`
      } else if (kind === 'truncate') {
        output = bytes.subarray(0, int(bytes.length))
      } else if (kind === 'truncate-gz') {
        const gz = gzipSync(bytes)
        output = gz.subarray(0, int(gz.length))
        compress = false
        ext = '.nii.gz'
      } else if (kind === 'corrupt-gz') {
        const gz = Uint8Array.from(gzipSync(bytes))
        const flips = 1 + int(4)
        for (let f = 0; f < flips; f++) gz[int(gz.length)] ^= 1 + int(255)
        output = gz
        compress = false
        ext = '.nii.gz'
      } else if (kind === 'empty') {
        output = new Uint8Array(0)
      }

      let file: string
      if (kind === 'pair') {
        // A pair from the source: header (ni1/ni2 magic, vox_offset 0) and image, one of them damaged.
        const header = bytes.slice(0, headerSize)
        const magicAt = source.version === 1 ? 344 : 4
        header.set([0x6e, 0x69, source.version === 1 ? 0x31 : 0x32, 0], magicAt)
        const fields = fieldsOf(source.version)
        const voxOffsetField = fields.vox_offset
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        const voxOffset =
          source.version === 1 ? dv.getFloat32(voxOffsetField.offset, source.littleEndian) : Number(dv.getBigInt64(voxOffsetField.offset, source.littleEndian))
        setField(header, voxOffsetField, random() < 0.8 ? 0 : pick(BOGUS_FLOATS), source.littleEndian)
        let image = bytes.slice(Math.max(0, Math.min(bytes.length, Number.isFinite(voxOffset) ? voxOffset : 0)))
        if (random() < 0.6) image = image.subarray(0, int(image.length + 1))
        const headerPath = path.join(tmp, `${name}.hdr${compress ? '.gz' : ''}`)
        writeFileSync(headerPath, compress ? gzipSync(header) : header)
        if (random() < 0.9) writeFileSync(path.join(tmp, `${name}.img${random() < 0.5 ? '.gz' : ''}`), random() < 0.5 ? gzipSync(image) : image)
        file = headerPath
      } else {
        if (compress) {
          output = gzipSync(output)
          ext = '.nii.gz'
        }
        file = path.join(tmp, `${name}${ext}`)
        writeFileSync(file, output)
      }

      const full = await outcomeOf(readNifti(file), file, checkVolume)
      tally[full] = (tally[full] ?? 0) + 1
      if (n % 4 === 0) await outcomeOf(readNiftiHeader(file), file, checkHeader)
      if (n % 5 === 0) await outcomeOf(readLabelNifti(file), file, checkVolume)
    }
    console.log(`fuzz outcomes over ${CASES} cases:`, tally)
    // The mutations must exercise both paths, or the fuzzer has stopped testing anything.
    expect(tally.read ?? 0).toBeGreaterThan(20)
    expect(tally.NIFTI_INVALID ?? 0).toBeGreaterThan(100)
    expect(tally.NIFTI_UNSUPPORTED ?? 0).toBeGreaterThan(10)
  })
})
