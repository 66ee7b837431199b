import { readFileSync } from 'node:fs'
import * as niftiReader from 'nifti-reader-js'
import { expect, it } from 'vitest'
import { readNiftiHeader } from '../../../../../src/node/formats/nifti'
import { hasSharedData, listSharedNiftiFiles, sharedDataMissing } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'

/**
 * nifti-reader-js is a second peer for our header codec (nibabel is the first): for every
 * single-file NIfTI both can read, dims, datatype, pixdim, transform codes and the sform must agree.
 */
const DATATYPE_CODES: Record<string, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  rgb24: 128,
  int8: 256,
  uint16: 512,
  uint32: 768,
  rgba32: 2304
}

const files = hasSharedData ? listSharedNiftiFiles().filter((file) => /\.nii(\.gz)?$/.test(file)) : []

describeUnless(sharedDataMissing, 'header codec agrees with nifti-reader-js', () => {
  it.each(files)('%s', async (file) => {
    const ours = await readNiftiHeader(file).catch((error: Error) => error)
    const bytes = readFileSync(file)
    let buffer: ArrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    if (niftiReader.isCompressed(buffer)) buffer = niftiReader.decompress(buffer) as ArrayBuffer
    if (!niftiReader.isNIFTI(buffer)) {
      expect(ours).toBeInstanceOf(Error) // neither reads a file that is not NIfTI
      return
    }
    // Files we refuse by design (5D, CIFTI) have nothing to compare.
    if (ours instanceof Error) return
    const theirs = niftiReader.readHeader(buffer)
    expect(ours.dims).toEqual([theirs.dims[1], theirs.dims[2], theirs.dims[3]])
    expect(DATATYPE_CODES[ours.storedDatatype]).toBe(theirs.datatypeCode)
    expect(ours.geometry.qformCode).toBe(theirs.qform_code)
    expect(ours.geometry.sformCode).toBe(theirs.sform_code)
    for (let axis = 1; axis <= 3; axis++) expect(ours.geometry.pixdim[axis]).toBeCloseTo(theirs.pixDims[axis] ?? Number.NaN, 5)
    if (ours.geometry.sformCode > 0) {
      const rows = [ours.geometry.srowX, ours.geometry.srowY, ours.geometry.srowZ]
      rows.forEach((row, r) => row.forEach((value, c) => expect(value).toBeCloseTo(theirs.affine[r]?.[c] ?? Number.NaN, 4)))
    }
  })
})
