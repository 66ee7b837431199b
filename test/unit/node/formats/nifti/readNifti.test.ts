import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { readNifti, readNiftiHeader } from '../../../../../src/node/formats/nifti'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { Volume } from '../../../../../src/shared/volume'
import { buildNifti, buildNiftiGz, buildNiftiPair, type NiftiSpec } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'

const suite = (...parts: string[]): string => sharedDataPath('nifti-suite', ...parts)
const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-read-nifti-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name)
  writeFileSync(file, bytes)
  return file
}

function at(volume: Volume, i: number, j: number, k: number, c = 0): number {
  const [nx, ny, nz] = volume.header.dims
  return volume.data[i + nx * (j + ny * (k + nz * c))]
}

async function expectRefused(file: string, code: string, message: RegExp): Promise<VoxloopError> {
  const error = await readNifti(file).then(
    () => null,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(VoxloopError)
  const voxloopError = error as VoxloopError
  expect(voxloopError.code).toBe(code)
  expect(voxloopError.message).toContain(file)
  expect(voxloopError.message).toMatch(message)
  return voxloopError
}

describeUnless(sharedDataMissing, 'readNifti on the shared NIfTI suite', () => {
  it('reads a tiny sform-only uint8 volume exactly (nibabel standard.nii.gz)', async () => {
    const volume = await readNifti(suite('nibabel', 'standard.nii.gz'))
    expect(volume.header).toMatchObject({
      dims: [4, 5, 7],
      channels: 1,
      spacing: [1, 3, 2],
      affineSource: 'sform',
      orientation: 'RAS',
      storedDatatype: 'uint8',
      datatype: 'uint8',
      niftiVersion: 1
    })
    expect(volume.data).toBeInstanceOf(Uint8Array)
    expect(volume.data).toHaveLength(140)
  })

  it('reads big-endian and little-endian copies of one z-stat map identically; nt = 1 is 3D', async () => {
    const big = await readNifti(suite('nifti-reader-js', 'big.nii.gz'))
    const little = await readNifti(suite('nifti-reader-js', 'little.nii.gz'))
    expect(big.header.dims).toEqual([64, 64, 21])
    expect(little.header.dims).toEqual([64, 64, 21])
    expect(little.header.channels).toBe(1)
    expect(big.header.affineSource).toBe('qform')
    expect(big.header.orientation).toBe('LAS')
    expect(big.data).toBeInstanceOf(Float32Array)
    expect(Array.from(big.data)).toEqual(Array.from(little.data))
  })

  it('treats scl_slope 0 as no scaling and keeps uint8 (big-endian DFWG reference)', async () => {
    const lr = await readNifti(suite('nifti-reader-js', 'avg152T1_LR_nifti.nii.gz'))
    expect(lr.data).toBeInstanceOf(Uint8Array)
    expect(lr.header.orientation).toBe('LAS')
    expect(lr.header.sclSlope).toBe(1)
  })

  it('places LR- and RL-stored copies of a template at the same world positions', async () => {
    const lr = await readNifti(suite('nifti-reader-js', 'avg152T1_LR_nifti.nii.gz'))
    const rl = await readNifti(suite('nifti_nimh', 'avg152T1_RL_nifti.nii.gz'))
    expect(rl.header.orientation).toBe('RAS')
    const nx = lr.header.dims[0]
    let mismatches = 0
    for (let k = 0; k < 91; k += 7) for (let j = 0; j < 109; j += 5) for (let i = 0; i < nx; i++) if (at(lr, i, j, k) !== at(rl, nx - 1 - i, j, k)) mismatches++
    expect(mismatches).toBe(0)
    // Voxel i of LR and voxel nx−1−i of RL are the same point in RAS.
    expect(lr.header.rasFromIjk[0][3]).toBeCloseTo(rl.header.rasFromIjk[0][3] + rl.header.rasFromIjk[0][0] * (nx - 1), 6)
  })

  it('reads NIfTI-2 with the same voxels as NIfTI-1', async () => {
    const v1 = await readNifti(suite('nifti-reader-js', 'avg152T1_LR_nifti.nii.gz'))
    const v2 = await readNifti(suite('nifti-reader-js', 'avg152T1_LR_nifti2.nii.gz'))
    expect(v2.header.niftiVersion).toBe(2)
    expect(v2.header.rasFromIjk).toEqual(v1.header.rasFromIjk)
    expect(Array.from(v2.data)).toEqual(Array.from(v1.data))
  })

  it('reads gzipped .hdr/.img pairs, NIfTI-1 and NIfTI-2, from either half', async () => {
    const air = await readNifti(suite('nifti-reader-js', 'air.hdr.gz'))
    const air2 = await readNifti(suite('nifti-reader-js', 'air2.hdr.gz'))
    const fromImage = await readNifti(suite('nifti-reader-js', 'air.img.gz'))
    expect(air.header).toMatchObject({ dims: [79, 67, 64], orientation: 'AIR', affineSource: 'sform', niftiVersion: 1 })
    expect(air2.header.niftiVersion).toBe(2)
    expect(Array.from(air2.data)).toEqual(Array.from(air.data))
    expect(fromImage.header).toEqual(air.header)
    const minimalPair = await readNifti(suite('nifti_nimh', 'minimal.hdr.gz'))
    const minimalSingle = await readNifti(suite('nifti_nimh', 'minimal.nii.gz'))
    expect(minimalPair.header.affineSource).toBe('pixdim')
    expect(minimalPair.header.rasFromIjk).toEqual([
      [3, 0, 0, 0],
      [0, 3, 0, 0],
      [0, 0, 3, 0],
      [0, 0, 0, 1]
    ])
    expect(Array.from(minimalPair.data)).toEqual(Array.from(minimalSingle.data))
  })

  it('skips header extensions by vox_offset', async () => {
    const ext = await readNifti(suite('nifti-reader-js', 'with_extension.nii.gz'))
    expect(ext.header).toMatchObject({ dims: [161, 191, 151], channels: 1, orientation: 'LPI' })
    const ex4d = await readNifti(suite('nibabel', 'example4d.nii.gz'))
    expect(ex4d.header).toMatchObject({ dims: [128, 96, 24], channels: 2, datatype: 'int16' })
  })

  it('applies scl_slope/scl_inter, giving float32', async () => {
    const functional = await readNifti(suite('nibabel', 'functional.nii'))
    expect(functional.header.channels).toBe(20)
    expect(functional.data).toBeInstanceOf(Float32Array)
    expect(functional.header.datatype).toBe('float32')
    expect(functional.header.storedDatatype).toBe('int16')
    expect(functional.header.sclSlope).toBeCloseTo(0.075407, 5)
    const anatomy = await readNifti(suite('nibabel', 'someones_anatomy.nii.gz'))
    expect(anatomy.data).toBeInstanceOf(Float32Array)
  })

  it('reads RGB24 and RGBA32 as planar uint8 channels', async () => {
    const rgb = await readNifti(suite('ivadomed', 'rgb_test_file.nii.gz'))
    expect(rgb.header).toMatchObject({ dims: [10, 10, 4], channels: 3, storedDatatype: 'rgb24', datatype: 'uint8' })
    expect(rgb.data).toHaveLength(1200)
    const rgba = await readNifti(suite('niivue-demo-images', 'Thalamus_Nuclei-HCP-4DSPAMs_paqd.nii.gz'))
    expect(rgba.header).toMatchObject({ channels: 4, storedDatatype: 'rgba32' })
  })

  it('views the decompressed data in place: no second copy of the voxels', async () => {
    // example_ct_sm has a 12,816-byte label-table extension (vox_offset 13,168) before its voxels.
    const ct = await readNifti(sharedDataPath('labeled', 'totalsegmentator_examples', 'labelsTr', 'example_ct_sm.nii.gz'))
    expect(ct.data.byteOffset).toBe(13168)
    expect(ct.data.buffer.byteLength).toBe(13168 + ct.data.byteLength + 1)
    const image = await readNifti(sharedDataPath('labeled', 'totalsegmentator_examples', 'imagesTr', 'example_ct_sm.nii.gz'))
    expect(image.data).toBeInstanceOf(Int16Array)
    expect(image.data.buffer.byteLength - image.data.byteLength).toBeLessThan(1024)
  })

  it.each([
    ['nifti-reader-js/5D_small.nii', 'NIFTI_UNSUPPORTED', /5D images are not supported \(dims 1x2x3x1x3\)/],
    ['nibabel/row_major.dconn.nii', 'NIFTI_UNSUPPORTED', /CIFTI-2 file \(intent 3001/],
    ['nifti-reader-js/not-nifti.nii', 'NIFTI_INVALID', /not a NIfTI file: sizeof_hdr is/]
  ])('refuses %s clearly', async (name, code, message) => {
    await expectRefused(suite(...name.split('/')), code, message)
  })

  it('reads headers cheaply with the same result as a full read', async () => {
    for (const file of [suite('nibabel', 'example4d.nii.gz'), suite('nifti-reader-js', 'air2.hdr.gz'), suite('nibabel', 'anatomical.nii')]) {
      expect(await readNiftiHeader(file)).toEqual((await readNifti(file)).header)
    }
    await expect(readNiftiHeader(suite('nifti-reader-js', '5D_small.nii'))).rejects.toThrow(/5D/)
  })
})

describe('readNifti datatypes and byte orders (synthetic files)', () => {
  const dims = [3, 4, 5]
  const n = 60
  const cases: [string, number, ArrayBufferView & ArrayLike<number>][] = [
    ['uint8', 2, Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256)],
    ['int8', 256, Int8Array.from({ length: n }, (_, i) => i - 30)],
    ['int16', 4, Int16Array.from({ length: n }, (_, i) => i * 500 - 15000)],
    ['uint16', 512, Uint16Array.from({ length: n }, (_, i) => i * 1000)],
    ['int32', 8, Int32Array.from({ length: n }, (_, i) => i * 1e7 - 3e8)],
    ['uint32', 768, Uint32Array.from({ length: n }, (_, i) => i * 7e7)],
    ['float32', 16, Float32Array.from({ length: n }, (_, i) => i / 3 - 10)],
    ['float64', 64, Float64Array.from({ length: n }, (_, i) => Math.PI * i - 1e6)]
  ]
  for (const [name, code, data] of cases) {
    for (const version of [1, 2] as const) {
      for (const littleEndian of [true, false]) {
        it(`${name}, NIfTI-${version}, ${littleEndian ? 'little' : 'big'}-endian, .nii and .nii.gz`, async () => {
          const spec: NiftiSpec = { version, littleEndian, dims, datatype: code }
          const base = `${name}-v${version}-${littleEndian ? 'le' : 'be'}`
          for (const file of [write(`${base}.nii`, buildNifti(spec, data)), write(`${base}.nii.gz`, buildNiftiGz(spec, data))]) {
            const volume = await readNifti(file)
            expect(volume.header.storedDatatype).toBe(name)
            expect(volume.header.datatype).toBe(name)
            expect(volume.data.constructor).toBe(data.constructor)
            expect(Array.from(volume.data)).toEqual(Array.from(data))
          }
        })
      }
    }
  }

  it('scales every integer type to float32 and float64 too', async () => {
    const data = Int16Array.from({ length: n }, (_, i) => i - 10)
    const file = write('scaled.nii.gz', buildNiftiGz({ dims, datatype: 4, sclSlope: 0.5, sclInter: 100, littleEndian: false }, data))
    const volume = await readNifti(file)
    expect(volume.data).toBeInstanceOf(Float32Array)
    expect(Array.from(volume.data)).toEqual(Array.from(data, (v) => v * 0.5 + 100))
    const f64 = write('scaled64.nii', buildNifti({ dims, datatype: 64, sclSlope: 2, sclInter: 0 }, Float64Array.from(data)))
    const v64 = await readNifti(f64)
    expect(v64.data).toBeInstanceOf(Float32Array)
    expect(Array.from(v64.data)).toEqual(Array.from(data, (v) => v * 2))
  })

  it('keeps the stored type for identity scaling and ignores non-finite slopes (as nibabel)', async () => {
    const data = Uint8Array.from({ length: n }, (_, i) => i)
    for (const [slope, inter] of [
      [1, 0],
      [0, 5],
      [Number.NaN, 3]
    ]) {
      const file = write(`noscale-${slope}.nii`, buildNifti({ dims, datatype: 2, sclSlope: slope, sclInter: inter }, data))
      const volume = await readNifti(file)
      expect(volume.data).toBeInstanceOf(Uint8Array)
    }
  })

  it('reads 4D as channels, channel slowest', async () => {
    const data = Uint8Array.from({ length: 2 * n }, (_, i) => i)
    const volume = await readNifti(write('4d.nii', buildNifti({ dims: [3, 4, 5, 2], datatype: 2 }, data)))
    expect(volume.header.channels).toBe(2)
    expect(at(volume, 2, 3, 4, 1)).toBe(2 + 3 * (3 + 4 * (4 + 5 * 1)))
  })

  it('reads dims above 4 when they are all 1, and 2D images as one slice', async () => {
    const data = Uint8Array.from({ length: n }, (_, i) => i)
    const five = await readNifti(write('5d-ones.nii', buildNifti({ dims: [3, 4, 5, 1, 1, 1], datatype: 2 }, data)))
    expect(five.header.dims).toEqual([3, 4, 5])
    const flat = await readNifti(write('2d.nii', buildNifti({ dims: [3, 20], datatype: 2 }, data)))
    expect(flat.header.dims).toEqual([3, 20, 1])
  })

  it('reads uncompressed pairs and a single file whose vox_offset is 0 (data right after the header, as nibabel)', async () => {
    const data = Int16Array.from({ length: n }, (_, i) => i * 3)
    const [hdr, img] = buildNiftiPair({ dims, datatype: 4, littleEndian: false, voxOffset: 16 }, data)
    const hdrPath = write('pair.hdr', hdr)
    write('pair.img', img)
    expect(Array.from((await readNifti(hdrPath)).data)).toEqual(Array.from(data))
    const zero = write('zero-offset.nii', buildNifti({ dims, datatype: 4, voxOffset: 0 }, data))
    expect(Array.from((await readNifti(zero)).data)).toEqual(Array.from(data))
  })

  it('sniffs gzip by content, not by name', async () => {
    const data = Uint8Array.from({ length: n }, (_, i) => i)
    const misnamed = write('really-gzipped.nii', buildNiftiGz({ dims, datatype: 2 }, data))
    expect(Array.from((await readNifti(misnamed)).data)).toEqual(Array.from(data))
    const plain = write('really-plain.nii.gz', buildNifti({ dims, datatype: 2 }, data))
    expect(Array.from((await readNifti(plain)).data)).toEqual(Array.from(data))
  })

  it('views voxels in place in zlib output spanning many chunks, even with a busy event loop', async () => {
    // Noise, so that the compressed file spans several 1 MiB input blocks (several zlib pushes).
    let state = 12345
    const voxels = Int16Array.from({ length: 128 * 128 * 96 }, () => {
      state = (Math.imul(state, 48271) + 11) | 0
      return (state >>> 16) & 0x0fff
    })
    const gz = buildNiftiGz({ dims: [128, 128, 96], datatype: 4 }, voxels)
    expect(gz.length).toBeGreaterThan(2 << 20)
    const file = write('many-chunks.nii.gz', gz)
    // Busy ticks let several zlib chunks arrive between our pulls, which must not force a copy.
    const busy = setInterval(() => {
      const until = Date.now() + 5
      while (Date.now() < until);
    }, 1)
    try {
      const volume = await readNifti(file)
      expect(volume.data.byteOffset).toBe(352)
      expect(volume.data.buffer.byteLength).toBe(352 + voxels.byteLength + 1)
      expect(Buffer.from(volume.data.buffer, 352, voxels.byteLength).equals(Buffer.from(voxels.buffer))).toBe(true)
    } finally {
      clearInterval(busy)
    }
  })

  it('reads several concatenated gzip members (pigz/bgzip style)', async () => {
    const data = Uint8Array.from({ length: n }, (_, i) => i)
    const whole = buildNifti({ dims, datatype: 2 }, data)
    const members = Buffer.concat([gzipSync(whole.subarray(0, 100)), gzipSync(whole.subarray(100))])
    expect(Array.from((await readNifti(write('members.nii.gz', members))).data)).toEqual(Array.from(data))
  })
})

describe('readNifti refusals (synthetic files)', () => {
  const dims = [3, 4, 5]
  const data = Uint8Array.from({ length: 60 }, (_, i) => i)

  it('says exactly how much voxel data is missing', async () => {
    const whole = buildNifti({ dims: [100, 100, 10], datatype: 4 }, new Int16Array(100_000))
    const file = write('short.nii', whole.subarray(0, 352 + 1000))
    await expectRefused(file, 'NIFTI_INVALID', /file is truncated: header needs 200,000 bytes of voxel data after vox_offset 352 but only 1,000 remain/)
    const gz = write('short.nii.gz', gzipSync(whole.subarray(0, 352 + 1000)))
    await expectRefused(gz, 'NIFTI_INVALID', /header needs 200,000 bytes of voxel data after vox_offset 352 but only 1,000 remain/)
  })

  it.each([
    ['an unsupported datatype', { dims, datatype: 1024 }, 'NIFTI_UNSUPPORTED', /unsupported datatype 1024 \(int64\)/],
    ['an unknown datatype', { dims, datatype: 77 }, 'NIFTI_UNSUPPORTED', /unsupported datatype 77/],
    ['a dim over the limit', { dims: [20000, 1, 1], datatype: 2 }, 'NIFTI_UNSUPPORTED', /dim\[1\] is 20,000; the limit is 16,384/],
    ['a volume over 2 GiB', { dims: [16384, 16384, 16], datatype: 2 }, 'NIFTI_UNSUPPORTED', /volume too large/],
    ['a zero dim', { dims: [3, 0, 5], datatype: 2 }, 'NIFTI_INVALID', /dim\[2\] is 0/],
    ['a negative dim', { dims: [3, -4, 5], datatype: 2 }, 'NIFTI_INVALID', /dim\[2\] is -4/],
    ['dim[0] = 0', { dims, rank: 0, datatype: 2 }, 'NIFTI_INVALID', /dim\[0\] is 0/],
    ['6D', { dims: [3, 4, 5, 1, 1, 2], datatype: 2 }, 'NIFTI_UNSUPPORTED', /6D images are not supported/],
    ['a fractional vox_offset', { dims, datatype: 2, voxOffset: 352.5 }, 'NIFTI_INVALID', /vox_offset is 352.5/],
    ['NaN in the sform', { dims, datatype: 2, sformCode: 1, srow: [[1, 0, 0, Number.NaN], [0, 1, 0, 0], [0, 0, 1, 0]] }, 'NIFTI_INVALID', /sform .* NaN/],
    ['∞ in the sform', { dims, datatype: 2, sformCode: 1, srow: [[1, 0, 0, 0], [0, Number.POSITIVE_INFINITY, 0, 0], [0, 0, 1, 0]] }, 'NIFTI_INVALID', /infinite/],
    ['a singular sform', { dims, datatype: 2, sformCode: 1, srow: [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]] }, 'NIFTI_INVALID', /singular/],
    ['zero spacing', { dims, datatype: 2, pixdim: [1, 1, 0, 1] }, 'NIFTI_INVALID', /pixdim\[2\] is 0/],
    ['negative spacing in a qform', { dims, datatype: 2, qformCode: 1, pixdim: [1, -1, 1, 1] }, 'NIFTI_INVALID', /pixdim\[1\] is -1/],
    ['a quaternion longer than 1', { dims, datatype: 2, qformCode: 1, quatern: [0.9, 0.9, 0] }, 'NIFTI_INVALID', /not a rotation/],
    ['scl_inter NaN with a real slope', { dims, datatype: 2, sclSlope: 2, sclInter: Number.NaN }, 'NIFTI_INVALID', /scl_inter is NaN/],
    ['an ANALYZE header without magic', { dims, datatype: 2, magic: '\0\0\0' }, 'NIFTI_UNSUPPORTED', /ANALYZE 7.5/],
    ['RGB with several volumes', { dims: [3, 4, 5, 2], datatype: 128 }, 'NIFTI_UNSUPPORTED', /rgb24 images with more than one volume/]
  ] as [string, NiftiSpec, string, RegExp][])('refuses %s', async (name, spec, code, message) => {
    const file = write(`${name.replace(/\W+/g, '-')}.nii`, buildNifti(spec, data))
    await expectRefused(file, code, message)
  })

  it('refuses a vox_offset past the end of the file, raw or gzipped', async () => {
    const bytes = buildNifti({ dims, datatype: 2, voxOffset: 5000 }, data).subarray(0, 412)
    await expectRefused(write('far-offset.nii', bytes), 'NIFTI_INVALID', /vox_offset 5,000 is past the end of the data \(412 bytes\)/)
    await expectRefused(write('far-offset.nii.gz', gzipSync(bytes)), 'NIFTI_INVALID', /vox_offset 5,000 is past the end of the data \(412 bytes\)/)
  })

  it('refuses a NIfTI-2 file whose magic line-end bytes were rewritten by a text-mode transfer (as nibabel)', async () => {
    const bytes = buildNifti({ version: 2, dims, datatype: 2 }, data)
    bytes.set([0x0a, 0x0a, 0x1a, 0x0a], 8) // \r\n became \n\n
    await expectRefused(write('eol.nii', bytes), 'NIFTI_INVALID', /line-end check bytes are 10, 10, 26, 10 instead of 13, 10, 26, 10/)
    bytes.set([0, 0, 0, 0], 8) // all zero: tolerated, as nibabel does
    expect(Array.from((await readNifti(write('eol-zero.nii', bytes))).data)).toEqual(Array.from(data))
  })

  it('refuses empty, tiny and non-NIfTI files', async () => {
    await expectRefused(write('empty.nii', new Uint8Array(0)), 'NIFTI_INVALID', /file is empty/)
    await expectRefused(write('tiny.nii', new Uint8Array([1, 2])), 'NIFTI_INVALID', /only 2 bytes/)
    await expectRefused(write('text.nii', new TextEncoder().encode('hello world, not a volume')), 'NIFTI_INVALID', /sizeof_hdr is/)
    await expectRefused(write('cut-header.nii', buildNifti({ dims, datatype: 2 }, data).subarray(0, 200)), 'NIFTI_INVALID', /header needs 348 bytes/)
  })

  it('says what a file of another format is and what to do with it, whatever its name', async () => {
    const nrrd = new TextEncoder().encode('NRRD0004\ntype: float\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\n' + 'x'.repeat(400))
    await expectRefused(write('volume.nii', nrrd), 'NIFTI_INVALID', /not a NIfTI file: it is an NRRD file \(3D Slicer's format\): import its folder into a project .* or save it as NIfTI \(\.nii\.gz\) in 3D Slicer for this command/)
    const dicom = new Uint8Array(600)
    dicom.set(new TextEncoder().encode('DICM'), 128)
    await expectRefused(write('slice.nii.gz', gzipSync(dicom)), 'NIFTI_INVALID', /not a NIfTI file: it is a DICOM file\. Voxloop reads DICOM by importing the folder of its series/)
    await expectRefused(write('mha.nii', new TextEncoder().encode('ObjectType = Image\nNDims = 3\n' + ' '.repeat(400))), 'NIFTI_INVALID', /it is a MetaImage/)
  })

  it('refuses corrupt and truncated gzip streams', async () => {
    const gz = buildNiftiGz({ dims: [40, 40, 40], datatype: 2 }, Uint8Array.from({ length: 64000 }, (_, i) => (i * 31) % 251))
    const corrupt = Uint8Array.from(gz)
    for (let i = 40; i < corrupt.length - 20; i += 97) corrupt[i] ^= 0x5a
    await expectRefused(write('corrupt.nii.gz', corrupt), 'NIFTI_INVALID', /gzip/)
    await expectRefused(write('cut.nii.gz', gz.subarray(0, gz.length - 6)), 'NIFTI_INVALID', /truncated|gzip/)
    const badCrc = Uint8Array.from(gz)
    badCrc[badCrc.length - 6] ^= 0xff
    await expectRefused(write('bad-crc.nii.gz', badCrc), 'NIFTI_INVALID', /gzip/)
  })

  it('names the missing half of a pair, and maps a missing file to NOT_FOUND', async () => {
    const [hdr] = buildNiftiPair({ dims, datatype: 2 }, data)
    await expectRefused(write('lonely.hdr', hdr), 'NIFTI_INVALID', /image \(\.img\) half of this \.hdr\/\.img pair is missing \(looked for lonely\.img, lonely\.img\.gz\)/)
    await expectRefused(path.join(tmp, 'does-not-exist.nii.gz'), 'NOT_FOUND', /file not found/)
  })

  it('checks a pair image file that is too short', async () => {
    const [hdr, img] = buildNiftiPair({ dims, datatype: 2 }, data)
    const hdrPath = write('short-pair.hdr', hdr)
    write('short-pair.img', img.subarray(0, 10))
    await expectRefused(hdrPath, 'NIFTI_INVALID', /image file .*short-pair\.img is truncated: header needs 60 bytes .* but only 10 remain/)
    await expect(readNiftiHeader(hdrPath)).rejects.toThrow(/only 10 remain/)
  })
})
