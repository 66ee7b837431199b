import { describe, expect, it } from 'vitest'
import {
  applyMat4ToPoint,
  applyMat4ToVector,
  determinant3,
  identityMat4,
  invertMat4,
  isFiniteMat4,
  maxAbsDifferenceMat4,
  multiplyMat4
} from '../../../../src/shared/geometry'
import { VoxloopError } from '../../../../src/shared/errors'
import type { Mat4 } from '../../../../src/shared/volume'

// An oblique, anisotropic, translated affine (rotation 30° about z, voxels 0.5 × 2 × 3 mm).
const c = Math.cos(Math.PI / 6)
const s = Math.sin(Math.PI / 6)
const oblique: Mat4 = [
  [0.5 * c, -2 * s, 0, 10],
  [0.5 * s, 2 * c, 0, -20],
  [0, 0, 3, 30],
  [0, 0, 0, 1]
]

function expectMatClose(actual: Mat4, expected: Mat4, tolerance = 1e-12): void {
  expect(maxAbsDifferenceMat4(actual, expected)).toBeLessThan(tolerance)
}

describe('mat4', () => {
  it('multiplies with identity as neutral element and in the right order', () => {
    expectMatClose(multiplyMat4(identityMat4(), oblique), oblique)
    expectMatClose(multiplyMat4(oblique, identityMat4()), oblique)
    const translate: Mat4 = [
      [1, 0, 0, 5],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ]
    const scale: Mat4 = [
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1]
    ]
    // translate · scale applies scale first: (1,0,0) → (2,0,0) → (7,0,0).
    expect(applyMat4ToPoint(multiplyMat4(translate, scale), [1, 0, 0])).toEqual([7, 0, 0])
    expect(applyMat4ToPoint(multiplyMat4(scale, translate), [1, 0, 0])).toEqual([12, 0, 0])
  })

  it('applies to points with translation and to vectors without', () => {
    expect(applyMat4ToPoint(oblique, [0, 0, 0])).toEqual([10, -20, 30])
    expect(applyMat4ToVector(oblique, [0, 0, 1])).toEqual([0, 0, 3])
    const p = applyMat4ToPoint(oblique, [2, 0, 0])
    expect(p[0]).toBeCloseTo(10 + c, 12)
    expect(p[1]).toBeCloseTo(-20 + s, 12)
  })

  it('inverts an oblique affine', () => {
    const inverse = invertMat4(oblique)
    expectMatClose(multiplyMat4(inverse, oblique), identityMat4())
    expectMatClose(multiplyMat4(oblique, inverse), identityMat4())
    expect(determinant3(oblique)).toBeCloseTo(0.5 * 2 * 3, 12)
  })

  it('inverts tiny-voxel grids (singularity is judged relative to scale)', () => {
    const micro: Mat4 = [
      [1e-4, 0, 0, 0],
      [0, 1e-4, 0, 0],
      [0, 0, 1e-4, 0],
      [0, 0, 0, 1]
    ]
    expect(invertMat4(micro)[0][0]).toBeCloseTo(1e4, 6)
  })

  it.each([
    ['a zero column', [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]],
    ['two parallel columns', [[1, 2, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]],
    ['NaN', [[Number.NaN, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]]
  ] as [string, Mat4][])('refuses to invert a matrix with %s', (_name, m) => {
    expect(() => invertMat4(m)).toThrow(VoxloopError)
    expect(() => invertMat4(m)).toThrow(/singular/)
  })

  it('reports non-finite entries', () => {
    expect(isFiniteMat4(oblique)).toBe(true)
    const bad = identityMat4()
    bad[1][3] = Number.POSITIVE_INFINITY
    expect(isFiniteMat4(bad)).toBe(false)
    expect(maxAbsDifferenceMat4(bad, identityMat4())).toBe(Number.POSITIVE_INFINITY)
  })
})
