import { describe, expect, it } from 'vitest'
import {
  axisCodesFromRasFromIjk,
  maxAbsDifferenceMat4,
  rasFromIjkFromPixdim,
  rasFromIjkFromQform,
  rotationFromQuaternion,
  selectNiftiAffine
} from '../../../../src/shared/geometry'
import { VoxloopError } from '../../../../src/shared/errors'
import type { Mat4, NiftiGeometry } from '../../../../src/shared/volume'

const f = Math.fround

function geometry(overrides: Partial<NiftiGeometry> = {}): NiftiGeometry {
  return {
    qformCode: 0,
    sformCode: 0,
    quaternB: 0,
    quaternC: 0,
    quaternD: 0,
    qoffsetX: 0,
    qoffsetY: 0,
    qoffsetZ: 0,
    pixdim: [1, 1, 1, 1, 0, 0, 0, 0],
    srowX: [0, 0, 0, 0],
    srowY: [0, 0, 0, 0],
    srowZ: [0, 0, 0, 0],
    xyztUnits: 10,
    ...overrides
  }
}

function expectMatClose(actual: Mat4, expected: Mat4, tolerance = 1e-12): void {
  expect(maxAbsDifferenceMat4(actual, expected)).toBeLessThan(tolerance)
}

describe('rotationFromQuaternion', () => {
  it('is the identity for b = c = d = 0', () => {
    expect(rotationFromQuaternion(0, 0, 0)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1]
    ])
  })

  it('turns 90° about x for b = sin 45°', () => {
    const r = rotationFromQuaternion(Math.SQRT1_2, 0, 0)
    // y → z and z → −y.
    const expected = [
      [1, 0, 0],
      [0, 0, -1],
      [0, 1, 0]
    ]
    r.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 12)))
  })

  it('turns 180° about z for d = 1 (a = 0)', () => {
    const r = rotationFromQuaternion(0, 0, 1)
    const expected = [
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, 1]
    ]
    r.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 12)))
  })

  it('accepts float32 rounding just past |q| = 1 but refuses a real overshoot', () => {
    expect(() => rotationFromQuaternion(f(0.6), f(0.8), f(1e-4))).not.toThrow()
    expect(() => rotationFromQuaternion(0.6, 0.8, 0.1)).toThrow(/not a rotation/)
    expect(() => rotationFromQuaternion(Number.NaN, 0, 0)).toThrow(VoxloopError)
  })
})

describe('rasFromIjkFromQform', () => {
  it('scales by pixdim and translates by qoffset', () => {
    const m = rasFromIjkFromQform(geometry({ pixdim: [1, 2, 3, 4, 0, 0, 0, 0], qoffsetX: 5, qoffsetY: -6, qoffsetZ: 7 }))
    expect(m).toEqual([
      [2, 0, 0, 5],
      [0, 3, 0, -6],
      [0, 0, 4, 7],
      [0, 0, 0, 1]
    ])
  })

  it('flips the k axis when qfac (pixdim[0]) is −1', () => {
    const m = rasFromIjkFromQform(geometry({ pixdim: [-1, 2, 2, 2, 0, 0, 0, 0] }))
    expect(m[2][2]).toBe(-2)
    expect(axisCodesFromRasFromIjk(m)).toBe('RAI')
  })

  it('treats a qfac of 0 as +1 (nifti1.h: only negative means −1)', () => {
    expect(rasFromIjkFromQform(geometry({ pixdim: [0, 1, 1, 1, 0, 0, 0, 0] }))[2][2]).toBe(1)
  })

  it('matches nibabel get_qform for an oblique quaternion with qfac −1', () => {
    // nibabel 5.0: hdr quatern (0.1, −0.2, 0.3), qoffset (10, −20, 30), pixdim [−1, 2, 3, 4].
    const m = rasFromIjkFromQform(
      geometry({ quaternB: f(0.1), quaternC: f(-0.2), quaternD: f(0.3), qoffsetX: 10, qoffsetY: -20, qoffsetZ: 30, pixdim: [-1, 2, 3, 4, 0, 0, 0, 0] })
    )
    expectMatClose(m, [
      [1.4799999666213983, -1.7892513907079222, 1.2437789608206122, 10],
      [1.0328342557035766, 2.3999999552965154, 1.221889513192861, -20],
      [0.8618894935233281, 0.19641709555557982, -3.599999988079071, 30],
      [0, 0, 0, 1]
    ])
    expect(axisCodesFromRasFromIjk(m)).toBe('RAI')
  })

  it.each([0, -2, Number.NaN, Number.POSITIVE_INFINITY])('refuses voxel size %s', (size) => {
    expect(() => rasFromIjkFromQform(geometry({ pixdim: [1, 1, size, 1, 0, 0, 0, 0] }))).toThrow(/pixdim\[2\]/)
  })
})

describe('selectNiftiAffine', () => {
  const sform = { srowX: [-2, 0, 0, 90], srowY: [0, 2, 0, -126], srowZ: [0, 0, 2, -72] } as Pick<NiftiGeometry, 'srowX' | 'srowY' | 'srowZ'>

  it('prefers the sform when both codes are set', () => {
    const a = selectNiftiAffine(geometry({ ...sform, sformCode: 4, qformCode: 1, qoffsetX: 1 }))
    expect(a.affineSource).toBe('sform')
    expect(a.rasFromIjk[0]).toEqual([-2, 0, 0, 90])
    expect(a.spacing).toEqual([2, 2, 2])
  })

  it('uses the qform when only its code is set', () => {
    const a = selectNiftiAffine(geometry({ ...sform, qformCode: 1, qoffsetX: 1, pixdim: [1, 2, 3, 4, 0, 0, 0, 0] }))
    expect(a.affineSource).toBe('qform')
    expect(a.rasFromIjk[0]).toEqual([2, 0, 0, 1])
    expect(a.spacing).toEqual([2, 3, 4])
  })

  it('falls back to pixdim (nifti1.h method 1) when neither code is set, or codes are negative', () => {
    for (const codes of [{}, { sformCode: -1, qformCode: -3 }]) {
      const a = selectNiftiAffine(geometry({ ...sform, ...codes, pixdim: [1, 3, 3, 3, 0, 0, 0, 0] }))
      expect(a.affineSource).toBe('pixdim')
      expect(a.rasFromIjk).toEqual(rasFromIjkFromPixdim({ pixdim: [1, 3, 3, 3] }))
      expect(a.rasFromIjk[0]).toEqual([3, 0, 0, 0])
    }
  })

  it('ignores a garbage pixdim when the sform is used, taking spacing from the sform', () => {
    const a = selectNiftiAffine(geometry({ ...sform, sformCode: 2, pixdim: [1, 0, -1, Number.NaN, 0, 0, 0, 0] }))
    expect(a.spacing).toEqual([2, 2, 2])
  })

  it.each([
    ['NaN', Number.NaN, /NaN or infinite/],
    ['∞', Number.POSITIVE_INFINITY, /NaN or infinite/]
  ])('refuses an sform containing %s', (_name, value, message) => {
    expect(() => selectNiftiAffine(geometry({ ...sform, srowY: [0, 2, 0, value], sformCode: 1 }))).toThrow(message)
  })

  it('refuses a singular sform', () => {
    expect(() => selectNiftiAffine(geometry({ sformCode: 1, srowX: [1, 0, 0, 0], srowY: [1, 0, 0, 0], srowZ: [0, 0, 1, 0] }))).toThrow(
      /singular/
    )
  })
})
