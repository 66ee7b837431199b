import { describe, expect, it } from 'vitest'
import { fourDRetryOffers, importProgressText } from '../../../../src/renderer/src/stores/importOffers'
import type { ImportReport } from '../../../../src/shared/project'

function report(format: ImportReport['format'], reasons: string[]): ImportReport {
  return {
    source: '/data/in',
    format,
    imported: [],
    skipped: reasons.map((reason, n) => ({ file: `/data/in/f${n}.nii.gz`, reason })),
    repaired: [],
    labelsAdded: [],
    modality: null
  }
}

// What fourthDimension.ts timeSeriesRefusal writes (the renderer's tsconfig cannot import main code).
const timeSeries =
  "a 4D time series of 3 time points (TR 2 s; the header's intent code is 2001 (time series)), and Voxloop labels 3D volumes: " +
  'pass --4d time to import each time point as its own case (fmri_t000 … fmri_t002, same affine), or --4d channels if the 4th dimension holds channels (sequences) of one image'

describe('fourDRetryOffers', () => {
  it('offers time points as cases, and channels, when a NIfTI file was skipped as a time series', () => {
    expect(fourDRetryOffers(report('folder', ['the image is empty', timeSeries]), undefined)).toEqual(['time', 'channels'])
    expect(fourDRetryOffers(report('msd', [timeSeries]), undefined)).toEqual(['time', 'channels'])
  })

  it('offers nothing when no file was skipped as a time series, for DICOM, or when the import already chose', () => {
    expect(fourDRetryOffers(report('folder', ['the image is empty']), undefined)).toEqual([])
    expect(fourDRetryOffers(report('dicom', [timeSeries]), undefined)).toEqual([])
    expect(fourDRetryOffers(report('folder', [timeSeries]), 'channels')).toEqual([])
  })
})

describe('importProgressText', () => {
  it('says n of m and the last case, or that the folder is still being read', () => {
    expect(importProgressText({ done: 2, total: 5, caseId: 'hippocampus_003' })).toBe('2 of 5 case(s) — last: hippocampus_003')
    expect(importProgressText(null)).toBe('Reading the folder…')
  })
})
