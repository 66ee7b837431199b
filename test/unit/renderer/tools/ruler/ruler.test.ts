import { describe, expect, it } from 'vitest'
import { distanceMm, formatLength } from '../../../../../src/renderer/src/tools/ruler/ruler'

describe('ruler', () => {
  it('measures in millimetres on anisotropic voxels', () => {
    expect(distanceMm([0, 0, 0], [3, 4, 0], [1, 1, 1])).toBe(5)
    // 3 voxels of 0.5 mm across, 2 slices of 3 mm: √(1.5² + 6²).
    expect(distanceMm([1, 2, 3], [4, 2, 5], [0.5, 0.7, 3])).toBeCloseTo(Math.hypot(1.5, 6), 12)
    expect(distanceMm([2.5, 1.25, 0], [2.5, 1.25, 0], [0.8, 0.8, 2])).toBe(0)
    expect(distanceMm([0, 0, 0], [-2, 0, 0], [0.8, 1, 1])).toBeCloseTo(1.6, 12)
  })

  it('refuses a grid without a positive spacing', () => {
    expect(() => distanceMm([0, 0, 0], [1, 0, 0], [1, 0, 1])).toThrow(/spacing must be positive/)
  })

  it('writes lengths with one decimal, whole millimetres from a metre', () => {
    expect(formatLength(42.345)).toBe('42.3 mm')
    expect(formatLength(0)).toBe('0.0 mm')
    expect(formatLength(1234.6)).toBe('1235 mm')
  })
})
