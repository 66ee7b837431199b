import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { otherFormat, otherFormatByName } from '../../../../src/node/formats/otherFormats'
import { sharedDataMissing, sharedDataPath } from '../../../helpers/sharedData'
import { itUnless } from '../../../helpers/skipWithReason'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from([...values, ...new Array<number>(200).fill(0)])

describe('otherFormat: what a file that is not NIfTI is, from its first bytes', () => {
  itUnless(sharedDataMissing, 'knows a real DICOM slice (DICM at byte 128) and a real PNG X-ray', () => {
    expect(otherFormat(readFileSync(sharedDataPath('dicom', 'udacity_hcrop_study1_13', '1.dcm')).subarray(0, 348))).toMatch(/^it is a DICOM file\. .*voxloop import <folder> <project>/)
    expect(otherFormat(readFileSync(sharedDataPath('2d', 'cxr-lung-montgomery', 'images', 'MCUCXR_0001_0.png')).subarray(0, 348))).toMatch(/^it is a PNG image: 2D pictures are imported as a folder/)
  })

  it('knows NRRD, MetaImage, JPEG, TIFF (either byte order) and ZIP, and nothing else', () => {
    expect(otherFormat(new TextEncoder().encode('NRRD0005\n'))).toMatch(/^it is an NRRD file/)
    expect(otherFormat(new TextEncoder().encode('ObjectType = Image\n'))).toMatch(/^it is a MetaImage/)
    expect(otherFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toMatch(/^it is a JPEG image/)
    expect(otherFormat(bytes(0x49, 0x49, 0x2a, 0))).toMatch(/^it is a TIFF image/)
    expect(otherFormat(bytes(0x4d, 0x4d, 0, 0x2a))).toMatch(/^it is a TIFF image/)
    expect(otherFormat(bytes(0x50, 0x4b, 3, 4))).toBe('it is a ZIP archive: unpack it first')
    expect(otherFormat(new TextEncoder().encode('hello world'))).toBeNull()
    // DICM anywhere but at 128 is not the DICOM preamble.
    const early = new Uint8Array(200)
    early.set(new TextEncoder().encode('DICM'), 0)
    expect(otherFormat(early)).toBeNull()
  })

  it('by name, for a folder listing: MetaImage and ZIP (NRRD is imported, not named here)', () => {
    expect(otherFormatByName('brain.seg.nrrd')).toBeNull()
    expect(otherFormatByName('ct.mha')).toMatch(/MetaImage/)
    expect(otherFormatByName('ct.MHD')).toMatch(/MetaImage/)
    expect(otherFormatByName('study.zip')).toMatch(/ZIP/)
    expect(otherFormatByName('notes.txt')).toBeNull()
  })
})
