import { describe, expect, it } from 'vitest'
import { dicomSeriesName } from '../../../../src/renderer/src/stores/dicomSeriesName'

describe('dicomSeriesName', () => {
  it("keeps dcm2niix's name when the series has a number, so echoes of one series stay apart", () => {
    expect(dicomSeriesName({ choice: '4', seriesNumber: 4, seriesInstanceUid: '1.2.3' })).toBe('4')
    expect(dicomSeriesName({ choice: '4_e2', seriesNumber: 4, seriesInstanceUid: '1.2.3' })).toBe('4_e2')
  })

  it("shows the end of the SeriesInstanceUID instead of dcm2niix's hash when there is no series number", () => {
    const uid = '1.3.6.1.4.1.14519.5.2.1.7009.9004.226533465437'
    expect(dicomSeriesName({ choice: '-1381334831', seriesInstanceUid: uid })).toBe('…226533465437')
    expect(dicomSeriesName({ choice: '-7', seriesInstanceUid: '1.2.840.5' })).toBe('1.2.840.5')
  })

  it("falls back to dcm2niix's name when neither is known", () => {
    expect(dicomSeriesName({ choice: '-1381334831' })).toBe('-1381334831')
  })
})
