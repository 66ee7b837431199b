import { describe, expect, it } from 'vitest'
import {
  fourthDimensionOf,
  fourthDimensionSize,
  NIFTI_INTENT_TIME_SERIES,
  timePoint,
  timePointCaseId,
  timeSeriesRefusal
} from '../../../../../src/main/services/project/fourthDimension'
import type { Volume, VolumeHeader } from '../../../../../src/shared/volume'
import { syntheticImage } from './projectFixtures'

/** The header fields the decision reads: dim[4], the datatype, xyzt_units and pixdim[4]. */
function header(channels: number, xyztUnits: number, pixdim4: number, storedDatatype: VolumeHeader['storedDatatype'] = 'int16'): Pick<VolumeHeader, 'channels' | 'storedDatatype' | 'geometry'> {
  const base = syntheticImage([2, 2, 2]).header
  return { channels, storedDatatype, geometry: { ...base.geometry, xyztUnits, pixdim: [1, 1, 1, 1, pixdim4, 0, 0, 0] } }
}

describe('what the 4th dimension of a NIfTI image holds', () => {
  it('is time when the header gives pixdim[4] a time unit (s, ms, µs), with the TR as the header states it', () => {
    // xyzt_units = space (mm: 2) + time (s: 8, ms: 16, µs: 24).
    expect(fourthDimensionOf(header(20, 10, 2), 0, null)).toMatchObject({ meaning: 'time', tr: '2 s' })
    expect(fourthDimensionOf(header(2, 18, 2000), 0, null)).toMatchObject({ meaning: 'time', tr: '2000 ms' })
    expect(fourthDimensionOf(header(2, 26, 500), 0, null)).toMatchObject({ meaning: 'time', tr: '500 µs' })
    // float32 pixdim: 0.8 is stored as 0.800000011920929.
    expect(fourthDimensionOf(header(3, 10, Math.fround(0.8)), 0, null)).toMatchObject({ meaning: 'time', tr: '0.8 s' })
  })

  it('is time for the time-series intent even without a unit, and then the TR is not stated', () => {
    const evidence = fourthDimensionOf(header(5, 2, 0), NIFTI_INTENT_TIME_SERIES, null)
    expect(evidence).toMatchObject({ meaning: 'time', tr: null, why: "the header's intent code is 2001 (time series)" })
  })

  it('is unknown without a time unit, with a zero or non-finite step, or with a spectral unit (Hz, ppm, rad/s)', () => {
    expect(fourthDimensionOf(header(4, 2, 1), 0, null)).toEqual({ meaning: 'unknown' })
    expect(fourthDimensionOf(header(4, 10, 0), 0, null)).toEqual({ meaning: 'unknown' })
    expect(fourthDimensionOf(header(4, 10, Number.NaN), 0, null)).toEqual({ meaning: 'unknown' })
    for (const spectral of [32, 40, 48]) expect(fourthDimensionOf(header(4, 2 + spectral, 1), 0, null)).toEqual({ meaning: 'unknown' })
  })

  it('is channels when dataset.json lists exactly that many, whatever the header says (BraTS keeps "seconds" there)', () => {
    const names = ['FLAIR', 'T1w', 't1gd', 'T2w']
    expect(fourthDimensionOf(header(4, 10, 1), NIFTI_INTENT_TIME_SERIES, names)).toEqual({ meaning: 'channels', why: 'dataset.json lists 4 channels (FLAIR, T1w, t1gd, T2w)' })
    // A different count is no evidence: the header decides.
    expect(fourthDimensionOf(header(20, 10, 2), 0, ['MRI'])).toMatchObject({ meaning: 'time', tr: '2 s' })
  })

  it('counts RGB colour as one volume, not as a 4th dimension', () => {
    expect(fourthDimensionSize({ channels: 3, storedDatatype: 'rgb24' })).toBe(1)
    expect(fourthDimensionSize({ channels: 4, storedDatatype: 'rgba32' })).toBe(1)
    expect(fourthDimensionSize({ channels: 4, storedDatatype: 'float32' })).toBe(4)
  })
})

describe('time points as cases', () => {
  it('names them <case>_t000 … with at least three digits, more when there are over 1000', () => {
    expect([0, 1, 19].map((t) => timePointCaseId('functional', t, 20))).toEqual(['functional_t000', 'functional_t001', 'functional_t019'])
    expect(timePointCaseId('cine', 1234, 1500)).toBe('cine_t1234')
    expect(timePointCaseId('cine', 7, 1500)).toBe('cine_t0007')
  })

  it('gives one time point as a 3D volume viewing the 4D voxels, on the same grid', () => {
    const base = syntheticImage([3, 2, 2])
    const data = Int16Array.from({ length: 12 * 3 }, (_, n) => n)
    const series: Volume = { header: { ...base.header, channels: 3, datatype: 'int16' }, data }
    const second = timePoint(series, 1)
    expect(second.header).toEqual({ ...series.header, channels: 1 })
    expect(Array.from(second.data)).toEqual(Array.from({ length: 12 }, (_, n) => 12 + n))
    expect(second.data.buffer).toBe(data.buffer)
  })

  it('explains a refusal with the count, the TR, the case ids and both flags', () => {
    const evidence = fourthDimensionOf(header(20, 10, 2), 0, null)
    if (evidence.meaning !== 'time') throw new Error('expected time')
    expect(timeSeriesRefusal('functional', 20, evidence)).toBe(
      'a 4D time series of 20 time points (TR 2 s; the header gives dim[4] a time step of 2 s (xyzt_units, pixdim[4])), and Voxloop labels 3D volumes: ' +
        'pass --4d time to import each time point as its own case (functional_t000 … functional_t019, same affine), ' +
        'or --4d channels if the 4th dimension holds channels (sequences) of one image'
    )
  })
})
