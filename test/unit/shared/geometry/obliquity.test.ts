import { describe, expect, it } from 'vitest'
import { isOblique, obliquityDegrees } from '../../../../src/shared/geometry'
import type { Mat4 } from '../../../../src/shared/volume'

const rad = (degrees: number): number => (degrees * Math.PI) / 180

/** Voxel axes scaled by `zoom`, rotated by `degrees` about world x, then by `aboutZ` about z. */
function rotated(degrees: number, zoom: [number, number, number] = [1, 1, 1], aboutZ = 0): Mat4 {
  const cx = Math.cos(rad(degrees))
  const sx = Math.sin(rad(degrees))
  const cz = Math.cos(rad(aboutZ))
  const sz = Math.sin(rad(aboutZ))
  // Rz · Rx
  const r = [
    [cz, -sz * cx, sz * sx],
    [sz, cz * cx, -cz * sx],
    [0, sx, cx]
  ]
  return [
    [r[0][0] * zoom[0], r[0][1] * zoom[1], r[0][2] * zoom[2], 10],
    [r[1][0] * zoom[0], r[1][1] * zoom[1], r[1][2] * zoom[2], -20],
    [r[2][0] * zoom[0], r[2][1] * zoom[1], r[2][2] * zoom[2], 30],
    [0, 0, 0, 1]
  ]
}

describe('obliquityDegrees', () => {
  it('is 0 for axis-aligned grids, whatever the zoom, flips or axis order (LPS, PSR)', () => {
    expect(obliquityDegrees(rotated(0, [0.5, 2, 3]))).toBe(0)
    const lps: Mat4 = [
      [-0.9, 0, 0, 0],
      [0, -0.9, 0, 0],
      [0, 0, 2.5, 0],
      [0, 0, 0, 1]
    ]
    const psr: Mat4 = [
      [0, 0, 1, 0],
      [-1, 0, 0, 0],
      [0, 1.2, 0, 0],
      [0, 0, 0, 1]
    ]
    expect(obliquityDegrees(lps)).toBe(0)
    expect(obliquityDegrees(psr)).toBe(0)
    expect(isOblique(psr)).toBe(false)
  })

  it('is the tilt of a grid rotated from the scanner axes, zoom not counting', () => {
    expect(obliquityDegrees(rotated(12, [0.8, 0.8, 4]))).toBeCloseTo(12, 6)
    expect(obliquityDegrees(rotated(-7.5))).toBeCloseTo(7.5, 6)
    // Two rotations: the voxel axis tilted most counts (here the j axis, by both).
    const both = obliquityDegrees(rotated(10, [1, 1, 1], 20))
    expect(both).toBeGreaterThan(20)
    expect(both).toBeLessThan(30)
    expect(isOblique(rotated(12))).toBe(true)
  })

  it('calls float noise of a stored affine axis-aligned, and measures nothing on a degenerate or non-finite matrix', () => {
    expect(isOblique(rotated(1e-5))).toBe(false)
    expect(isOblique(rotated(0.05))).toBe(true)
    const degenerate: Mat4 = [
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ]
    expect(obliquityDegrees(degenerate)).toBe(0)
    const broken = rotated(20)
    broken[0][0] = Number.NaN
    expect(Number.isFinite(obliquityDegrees(broken))).toBe(true)
  })
})
