import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import {
  encodeLabelNifti,
  readLabelNifti,
  readNifti,
  writeLabelNifti
} from '../../../../../src/node/formats/nifti'
import { decodeNiftiHeader } from '../../../../../src/node/formats/nifti/niftiHeaderCodec'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { VolumeHeader } from '../../../../../src/shared/volume'
import { buildNifti } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-label-nifti-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const hippocampus = (kind: 'imagesTr' | 'labelsTr', id: string): string =>
  sharedDataPath('labeled', 'msd_task04_hippocampus', kind, `hippocampus_${id}.nii.gz`)

function labelPattern(header: VolumeHeader, modulo: number): Uint8Array | Uint16Array {
  const [nx, ny, nz] = header.dims
  const out = modulo > 256 ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz)
  for (let i = 0; i < out.length; i++) out[i] = (i * 7919) % modulo
  return out
}

async function refusal(file: string): Promise<VoxloopError> {
  const error = await readLabelNifti(file).then(
    () => null,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(VoxloopError)
  expect((error as VoxloopError).message).toContain(file)
  return error as VoxloopError
}

describeUnless(sharedDataMissing, 'readLabelNifti on real labels', () => {
  it('reads a uint8 label as is, with the MSD counts', async () => {
    const label = await readLabelNifti(hippocampus('labelsTr', '001'))
    expect(label.data).toBeInstanceOf(Uint8Array)
    const counts = [0, 0, 0]
    for (const v of label.data) counts[v]++
    expect(counts.slice(1)).toEqual([1324, 1624])
  })

  it.each([
    ['003', 1550, 1803],
    ['243', 1421, 1535]
  ])('casts the float32 label of hippocampus_%s to uint8', async (id, anterior, posterior) => {
    const label = await readLabelNifti(hippocampus('labelsTr', id))
    expect(label.header.storedDatatype).toBe('float32')
    expect(label.header.datatype).toBe('uint8')
    expect(label.data).toBeInstanceOf(Uint8Array)
    const counts = [0, 0, 0]
    for (const v of label.data) counts[v]++
    expect(counts.slice(1)).toEqual([anterior, posterior])
  })
})

describe('readLabelNifti refusals and widening (synthetic files)', () => {
  const dims = [2, 3, 4]
  const write = (name: string, bytes: Uint8Array): string => {
    const file = path.join(tmp, name)
    writeFileSync(file, bytes)
    return file
  }

  it.each([
    ['a fractional value', 0.5, /voxel \(1, 0, 0\) holds 0\.5, which is not a whole number/],
    ['a negative value', -1, /voxel \(1, 0, 0\) holds -1, which is negative/],
    ['NaN', Number.NaN, /voxel \(1, 0, 0\) holds NaN/],
    ['a value above 65535', 70000, /holds 70,000, above the largest label 65,535/]
  ])('refuses %s', async (_name, bad, message) => {
    const data = new Float32Array(24)
    data[1] = bad
    const error = await refusal(write(`bad-${String(bad)}.nii`, buildNifti({ dims, datatype: 16 }, data)))
    expect(error.code).toBe('NIFTI_INVALID')
    expect(error.message).toMatch(message)
  })

  it('refuses multi-channel files', async () => {
    const error = await refusal(write('rgb.nii', buildNifti({ dims, datatype: 128 }, new Uint8Array(72))))
    expect(error.code).toBe('NIFTI_UNSUPPORTED')
    expect(error.message).toMatch(/one channel; this rgb24 file has 3/)
  })

  it('gives Uint16Array only when a label exceeds 255, else narrows to Uint8Array', async () => {
    const wide = Int32Array.from({ length: 24 }, (_, i) => i * 20)
    const wideLabel = await readLabelNifti(write('wide.nii', buildNifti({ dims, datatype: 8 }, wide)))
    expect(wideLabel.data).toBeInstanceOf(Uint16Array)
    expect(Array.from(wideLabel.data)).toEqual(Array.from(wide))
    const narrow = Uint16Array.from({ length: 24 }, (_, i) => i)
    const narrowLabel = await readLabelNifti(write('narrow.nii', buildNifti({ dims, datatype: 512 }, narrow)))
    expect(narrowLabel.data).toBeInstanceOf(Uint8Array)
    expect(narrowLabel.header.datatype).toBe('uint8')
  })
})

describeUnless(sharedDataMissing, 'writeLabelNifti', () => {
  const images = [
    hippocampus('imagesTr', '001'),
    sharedDataPath('labeled', 'totalsegmentator_examples', 'imagesTr', 'example_mr_sm.nii.gz'),
    sharedDataPath('nifti-suite', 'niivue-demo-images', 'CT_pitch.nii.gz'),
    sharedDataPath('nifti-suite', 'nifti-reader-js', 'big.nii.gz'),
    sharedDataPath('nifti-suite', 'nifti-reader-js', 'air.hdr.gz')
  ]

  it.each(images)('writes a label on exactly the grid of %s', async (imagePath) => {
    const image = await readNifti(imagePath)
    for (const modulo of [3, 300]) {
      const labels = labelPattern(image.header, modulo)
      const out = path.join(tmp, `${path.basename(imagePath).replace(/\..*$/, '')}-${modulo}.nii.gz`)
      await writeLabelNifti(out, labels, image.header)
      const back = await readLabelNifti(out)
      expect(back.header.dims).toEqual(image.header.dims)
      expect(back.header.rasFromIjk).toEqual(image.header.rasFromIjk)
      expect(back.header.orientation).toBe(image.header.orientation)
      expect(back.header.geometry).toEqual(image.header.geometry)
      expect(back.data.constructor).toBe(labels.constructor)
      expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(labels.buffer))).toBe(true)
    }
  })

  it('writes the header fields a label needs: dim[0] 3, uint8/uint16, slope 1, no leftovers', async () => {
    const image = await readNifti(sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz'))
    const bytes = gunzipSync(encodeLabelNifti(new Uint8Array(128 * 96 * 24), image.header))
    const raw = decodeNiftiHeader(bytes, 'encoded')
    expect(raw).toMatchObject({
      niftiVersion: 1,
      magic: 'n+1',
      datatypeCode: 2,
      bitpix: 8,
      sclSlope: 1,
      sclInter: 0,
      voxOffset: 352,
      qformCode: image.header.geometry.qformCode,
      sformCode: image.header.geometry.sformCode,
      xyztUnits: image.header.geometry.xyztUnits
    })
    expect(raw.dim).toEqual([3, 128, 96, 24, 1, 1, 1, 1])
    expect(raw.pixdim).toEqual(image.header.geometry.pixdim)
    expect(bytes.length).toBe(352 + 128 * 96 * 24)
    expect(readdirSync(tmp).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('keeps a NIfTI-2 image’s float64 geometry exact by writing NIfTI-2 only when NIfTI-1 would round it', async () => {
    const image = await readNifti(sharedDataPath('nifti-suite', 'nibabel', 'example_nifti2.nii.gz'))
    const exactInFloat32 = image.header.geometry.srowX.every((v) => Math.fround(v) === v)
    const bytes = gunzipSync(encodeLabelNifti(new Uint8Array(32 * 20 * 12), image.header))
    expect(decodeNiftiHeader(bytes, 'encoded').niftiVersion).toBe(exactInFloat32 ? 1 : 2)
    const shifted: VolumeHeader = {
      ...image.header,
      geometry: { ...image.header.geometry, srowX: [image.header.geometry.srowX[0], 0, 0, 0.1] }
    }
    const out = path.join(tmp, 'nifti2-label.nii.gz')
    await writeLabelNifti(out, new Uint8Array(32 * 20 * 12), shifted)
    const back = await readLabelNifti(out)
    expect(back.header.niftiVersion).toBe(2)
    expect(back.header.geometry.srowX[3]).toBe(0.1)
  })

  it('refuses labels of the wrong size and paths that are not .nii.gz', async () => {
    const image = await readNifti(hippocampus('imagesTr', '001'))
    await expect(writeLabelNifti(path.join(tmp, 'x.nii.gz'), new Uint8Array(10), image.header)).rejects.toThrow(
      /label array has 10 voxels but the image grid 35x51x35 has 62475/
    )
    await expect(writeLabelNifti(path.join(tmp, 'x.nii'), new Uint8Array(62475), image.header)).rejects.toThrow(/\.nii\.gz/)
  })

  it('replaces an existing label file', async () => {
    const image = await readNifti(hippocampus('imagesTr', '001'))
    const out = path.join(tmp, 'replace.nii.gz')
    writeFileSync(out, 'old content')
    await writeLabelNifti(out, new Uint8Array(62475).fill(2), image.header)
    expect(readFileSync(out)[0]).toBe(0x1f)
    expect((await readLabelNifti(out)).data[100]).toBe(2)
  })
})
