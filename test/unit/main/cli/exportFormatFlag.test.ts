import { describe, expect, it } from 'vitest'
import { parseExportFormatFlag } from '../../../../src/main/cli/exportFormatFlag'

describe('voxloop export --format', () => {
  it('accepts the six formats (any case), --msd as --format msd, and defaults to nifti', () => {
    expect(['nifti', 'seg-nrrd', 'MSD', 'nnunet-v2', 'DICOM-SEG', 'png-masks'].map((value) => parseExportFormatFlag(value, false))).toEqual([
      'nifti',
      'seg-nrrd',
      'msd',
      'nnunet-v2',
      'dicom-seg',
      'png-masks'
    ])
    expect(parseExportFormatFlag(undefined, false)).toBe('nifti')
    expect(parseExportFormatFlag(undefined, true)).toBe('msd')
    expect(parseExportFormatFlag('msd', true)).toBe('msd')
  })

  it('refuses an unknown format with the accepted ones, and --msd beside another format', () => {
    expect(() => parseExportFormatFlag('dicom', false)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: '--format must be one of nifti, seg-nrrd, msd, nnunet-v2, dicom-seg, png-masks, got "dicom"' })
    )
    expect(() => parseExportFormatFlag('nnunet-v2', true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/--msd means --format msd/) }))
  })
})
