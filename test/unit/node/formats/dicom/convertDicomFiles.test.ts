/**
 * DICOM series → NIfTI volumes through dcm2niix's WebAssembly build, checked against dcm2niix's own
 * reference conversions in ../shared/data/dicom/_reference and against Debian's native dcm2niix
 * binary run on the same files here (skipped, with the reason, where it is not installed).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convertDicomFiles, findDicomFiles, niftiFromBytes, NO_IMAGE_REASON, NOT_DICOM_REASON, type ConvertedSeries, type DicomConversion } from '../../../../../src/node/formats/dicom'
import { readNifti } from '../../../../../src/node/formats/nifti'
import type { Mat4, Volume } from '../../../../../src/shared/volume'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless, itUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from '../../../main/services/project/projectFixtures'

const AFFINE_TOLERANCE_MM = 0.01

function findDebianDcm2niix(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v dcm2niix'], { encoding: 'utf8' })
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : null
}
const debianDcm2niix = findDebianDcm2niix()
const debianMissing = sharedDataMissing ?? (debianDcm2niix ? null : "Debian's dcm2niix is not installed here (apt-get install dcm2niix; .ci/run installs it)")

async function convertFolder(folder: string): Promise<DicomConversion> {
  return convertDicomFiles(folder, await findDicomFiles(folder))
}

function volumeOf(series: ConvertedSeries | undefined): Volume {
  if (!series) throw new Error('no such series')
  return niftiFromBytes(series.nifti, series.outputName)
}

function maxAffineDifferenceMm(a: Mat4, b: Mat4): number {
  let max = 0
  for (let row = 0; row < 3; row++) for (let col = 0; col < 4; col++) max = Math.max(max, Math.abs((a[row]?.[col] ?? 0) - (b[row]?.[col] ?? 0)))
  return max
}

function differingVoxels(a: Volume, b: Volume): number {
  if (a.data.length !== b.data.length) return Number.POSITIVE_INFINITY
  let differing = 0
  for (let n = 0; n < a.data.length; n++) if (a.data[n] !== b.data[n]) differing++
  return differing
}

function expectSameVolume(actual: Volume, expected: Volume): void {
  expect(actual.header.dims).toEqual(expected.header.dims)
  expect(actual.header.channels).toBe(expected.header.channels)
  expect(actual.header.datatype).toBe(expected.header.datatype)
  expect(maxAffineDifferenceMm(actual.header.rasFromIjk, expected.header.rasFromIjk)).toBeLessThan(AFFINE_TOLERANCE_MM)
  expect(differingVoxels(actual, expected)).toBe(0)
}

/** Debian's dcm2niix on `folder` with the same settings, its single NIfTI read back. */
async function debianConversion(folder: string, out: string): Promise<Volume> {
  await mkdir(out, { recursive: true })
  execFileSync(debianDcm2niix as string, ['-o', out, '-z', 'n', '-b', 'n', '-f', '%s', folder], { stdio: 'ignore' })
  const [nifti, ...more] = (await readdir(out)).filter((name) => name.endsWith('.nii'))
  if (!nifti || more.length > 0) throw new Error(`Debian's dcm2niix wrote ${more.length + (nifti ? 1 : 0)} volumes for ${folder}`)
  return readNifti(path.join(out, nifti))
}

/** dcm_qa_ts/<n>.dcm, as the MANIFEST reads each file's (0002,0010). */
const TRANSFER_SYNTAXES: [number, string][] = [
  [1, 'Explicit VR Little Endian'],
  [2, 'Implicit VR Little Endian'],
  [3, 'Explicit VR Big Endian'],
  [4, 'RLE Lossless'],
  [5, 'JPEG Lossless SV1 (.4.70)'],
  [6, 'JPEG Lossless SV1 (.4.70, gdcmconv)'],
  [7, 'JPEG-LS Lossless (gdcmconv)'],
  [8, 'JPEG-LS Lossless (dcmcjpls)'],
  [9, 'JPEG 2000 Lossless']
]

describeUnless(sharedDataMissing, 'dcm_qa_ts: one Siemens mosaic in 9 transfer syntaxes, all with one SeriesInstanceUID', () => {
  let conversion: DicomConversion
  let reference: Volume
  beforeAll(async () => {
    conversion = await convertFolder(sharedDataPath('dicom', 'dcm_qa_ts'))
    reference = await readNifti(sharedDataPath('dicom', '_reference', 'dcm_qa_ts_dcm2niix.nii'))
  }, 120_000)

  it('is grouped by SeriesNumber as well as SeriesInstanceUID: 9 volumes, not one 9-slice stack', () => {
    expect(conversion.skipped).toEqual([])
    expect(conversion.series.map((series) => series.source.seriesNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(new Set(conversion.series.map((series) => series.source.seriesInstanceUid)).size).toBe(1)
    expect(conversion.series.map((series) => series.source.files)).toEqual(Array(9).fill(1))
  })

  it('unpacks the 384×384 mosaic into 35 slices of 64×64 and reads the series from its sidecar', () => {
    const [first] = conversion.series
    expect(first?.layout.header.dims).toEqual([64, 64, 35])
    expect(first?.source).toMatchObject({ modality: 'MR', manufacturer: 'Siemens', seriesDescription: 'ax_asc_35sl', converter: expect.stringMatching(/^dcm2niix v1\.0\.\d{8}/) })
  })

  it.each(TRANSFER_SYNTAXES)('%i.dcm (%s): shape, affine within 0.01 mm and every voxel equal to the reference', (seriesNumber) => {
    expectSameVolume(volumeOf(conversion.series.find((series) => series.source.seriesNumber === seriesNumber)), reference)
  })
})

describeUnless(sharedDataMissing, 'dcm_qa_nih_ge_epi_mr_0004: 150 GE files, 15 positions × 10 time points', () => {
  let conversion: DicomConversion
  beforeAll(async () => {
    conversion = await convertFolder(sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'))
  }, 120_000)

  it('becomes one 64×64×15 volume with 10 time points, equal to the reference in affine and every voxel', async () => {
    expect(conversion.series).toHaveLength(1)
    expect(conversion.series[0]?.source).toMatchObject({ seriesNumber: 4, files: 150, modality: 'MR', manufacturer: 'GE' })
    expectSameVolume(volumeOf(conversion.series[0]), await readNifti(sharedDataPath('dicom', '_reference', 'dcm_qa_nih_ge_epi_mr_0004_dcm2niix.nii')))
  })
})

describeUnless(sharedDataMissing, 'totalseg_example_ct_j2k: 20 CT slices of 512×512 in JPEG 2000', () => {
  let conversion: DicomConversion
  let ct: Volume
  let out: string
  beforeAll(async () => {
    conversion = await convertFolder(sharedDataPath('dicom', 'totalseg_example_ct_j2k'))
    ct = volumeOf(conversion.series[0])
    out = await makeTempDir('dcm2niix-debian')
  }, 120_000)
  afterAll(async () => {
    await removeDir(out)
  })

  it('orders the slices by position, 2 mm apart (SliceThickness says 3), on the grid of the segmentation made from it', async () => {
    expect(conversion.series).toHaveLength(1)
    expect(ct.header.dims).toEqual([512, 512, 20])
    expect(ct.header.spacing[2]).toBeCloseTo(2, 5)
    const segmentation = await readNifti(sharedDataPath('dicom', '_reference', 'totalseg_example_ct_j2k_seg.nii.gz'))
    // z of the first slice -804.5, the lowest of -766.5 … -804.5: LPS → RAS and sorted along the normal.
    expect(ct.header.rasFromIjk[2]?.[3]).toBeCloseTo(-804.5, 3)
    expect(maxAffineDifferenceMm(ct.header.rasFromIjk, segmentation.header.rasFromIjk)).toBeLessThan(AFFINE_TOLERANCE_MM)
  })

  it('applies RescaleIntercept −1024: the voxels are Hounsfield units (air at −1024, nothing above bone)', () => {
    expect(ct.header.storedDatatype).toBe('int16')
    expect(ct.header.sclInter).toBe(-1024)
    expect(ct.header.datatype).toBe('float32')
    let min = Infinity
    let max = -Infinity
    let airOrFat = 0
    for (const value of ct.data) {
      min = Math.min(min, value)
      max = Math.max(max, value)
      if (value <= -100) airOrFat++
    }
    expect(min).toBe(-1024)
    expect(max).toBeLessThan(3000)
    expect(airOrFat / ct.data.length).toBeGreaterThan(0.2)
  })

  itUnless(debianMissing, "equals Debian's dcm2niix on the same files in every voxel", async () => {
    expectSameVolume(ct, await debianConversion(sharedDataPath('dicom', 'totalseg_example_ct_j2k'), out))
  })
})

describeUnless(sharedDataMissing, 'udacity HippoCrop series: explicit VR little endian, files 1.dcm … 32.dcm', () => {
  let out: string
  beforeAll(async () => {
    out = await makeTempDir('dcm2niix-debian')
  })
  afterAll(async () => {
    await removeDir(out)
  })

  it('stacks slice k from the file at z = k + 1, not in file-name order (1, 10, 11, … would put 10.dcm second)', async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const conversion = await convertFolder(folder)
    const volume = volumeOf(conversion.series[0])
    const [nx, ny, nz] = volume.header.dims
    expect([nx, ny, nz]).toEqual([35, 51, 32])
    // ImagePositionPatient 0\0\1 … 0\0\32 (MANIFEST): RAS origin z = 1, 1 mm apart.
    expect(volume.header.rasFromIjk[2]).toEqual([0, 0, 1, 1])
    for (let k = 0; k < nz; k++) {
      // Uncompressed single-frame files end with their pixel data; NIfTI rows run the other way (LAS).
      const bytes = readFileSync(path.join(folder, `${k + 1}.dcm`))
      const pixels = new Int16Array(bytes.buffer.slice(bytes.byteOffset + bytes.length - nx * ny * 2, bytes.byteOffset + bytes.length))
      let differing = 0
      for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (volume.data[i + nx * (ny - 1 - j) + nx * ny * k] !== pixels[i + nx * j]) differing++
      expect(differing, `slice ${k}`).toBe(0)
    }
  })

  it('names a second copy of an image as the same image as the first, rather than counting an image not converted', async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const twice = path.join(out, 'twice')
    await mkdir(twice)
    for (let n = 1; n <= 32; n++) await symlink(path.join(folder, `${n}.dcm`), path.join(twice, `${n}.dcm`))
    await copyFile(path.join(folder, '5.dcm'), path.join(twice, '5 copy.dcm'))
    const conversion = await convertFolder(twice)
    expect(conversion.series[0]?.layout.header.dims).toEqual([35, 51, 32])
    const pair = [path.join(twice, '5.dcm'), path.join(twice, '5 copy.dcm')]
    expect(conversion.skipped).toHaveLength(1)
    const [dropped] = conversion.skipped
    const kept = pair.find((file) => file !== dropped?.file)
    expect(pair).toContain(dropped?.file)
    expect(dropped?.reason).toBe(`the same image as ${kept} (identical time, series, acquisition and instance number): only one of the two was converted`)
  })

  it("marks a series with an image missing as unevenly spaced and leaves out dcm2niix's _Eq copy of it (no sidecar, its last image dropped)", async () => {
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const gap = path.join(out, 'gap')
    await mkdir(gap)
    for (let n = 1; n <= 32; n++) if (n !== 16) await symlink(path.join(folder, `${n}.dcm`), path.join(gap, `${n}.dcm`))
    const conversion = await convertFolder(gap)
    expect(conversion.series.map((series) => series.outputName)).toEqual(['-1381334831'])
    expect(conversion.series[0]?.layout.header.dims).toEqual([35, 51, 31])
    expect(conversion.series[0]?.unevenSlices).toMatch(/^dcm2niix: Warning: Interslice distance varies in this volume .* Warning: Missing images\? Expected 31 images/)
    expect(conversion.skipped).toEqual([])
    expect((await convertFolder(folder)).series[0]?.unevenSlices).toBeUndefined()
  })

  for (const name of ['udacity_hcrop_study1_13', 'udacity_hcrop_study2_14', 'udacity_hcrop_study3_11']) {
    itUnless(debianMissing, `${name}: shape, affine and every voxel equal to Debian's dcm2niix`, async () => {
      const folder = sharedDataPath('dicom', name)
      const conversion = await convertFolder(folder)
      expect(conversion.series).toHaveLength(1)
      expectSameVolume(volumeOf(conversion.series[0]), await debianConversion(folder, path.join(out, name)))
    })
  }
})

describeUnless(sharedDataMissing, 'a folder that mixes series, other files and a damaged DICOM', () => {
  let dir: string
  beforeAll(async () => {
    dir = await makeTempDir('dicom-mixed')
  })
  afterAll(async () => {
    await removeDir(dir)
  })

  it('converts each series and names every file it could not use with the reason', async () => {
    const hippo = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    for (const n of [1, 2, 3]) await symlink(path.join(hippo, `${n}.dcm`), path.join(dir, `hippo-${n}.dcm`))
    await symlink(sharedDataPath('dicom', 'dcm_qa_ts', '9.dcm'), path.join(dir, 'mosaic.dcm'))
    await writeFile(path.join(dir, 'notes.txt'), 'scanned on Tuesday')
    // The first 2000 bytes of a DICOM file: the signature and part of the header, no image.
    await writeFile(path.join(dir, 'cut.dcm'), readFileSync(sharedDataPath('dicom', 'dcm_qa_ts', '1.dcm')).subarray(0, 2000))
    await copyFile(sharedDataPath('dicom', '_reference', 'dcm_qa_ts_dcm2niix.json'), path.join(dir, 'sidecar.json'))

    const conversion = await convertFolder(dir)

    expect(conversion.series.map((series) => [series.source.seriesDescription, series.layout.header.dims, series.source.files])).toEqual([
      ['HippoCrop', [35, 51, 3], 3],
      ['ax_asc_35sl', [64, 64, 35], 1]
    ])
    expect(conversion.skipped).toEqual([
      { file: path.join(dir, 'notes.txt'), reason: NOT_DICOM_REASON },
      { file: path.join(dir, 'sidecar.json'), reason: NOT_DICOM_REASON },
      { file: path.join(dir, 'cut.dcm'), reason: NO_IMAGE_REASON }
    ])
  })

  it('reports a folder without DICOM files without starting the converter', async () => {
    const empty = await makeTempDir('dicom-none')
    try {
      await writeFile(path.join(empty, 'a.txt'), 'x')
      expect(await convertFolder(empty)).toEqual({ series: [], skipped: [{ file: path.join(empty, 'a.txt'), reason: NOT_DICOM_REASON }], log: [] })
    } finally {
      await removeDir(empty)
    }
  })
})

describe('dcm2niix options', () => {
  it('asks for the sidecar with identifiers, no gzip and the verbose log the report is built from', async () => {
    const { DCM2NIIX_OPTIONS } = await import('../../../../../src/node/formats/dicom/convertDicomFiles')
    const pairs = new Map<string, string>()
    for (let n = 0; n < DCM2NIIX_OPTIONS.length; n += 2) pairs.set(DCM2NIIX_OPTIONS[n] as string, DCM2NIIX_OPTIONS[n + 1] as string)
    expect(Object.fromEntries(pairs)).toMatchObject({ '-b': 'y', '-ba': 'n', '-z': 'n', '-v': '1', '-f': '%s' })
  })
})
