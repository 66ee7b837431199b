import { describe, expect, it } from 'vitest'
import { type Mat3, orthogonalFactor, svd3 } from '../../../../src/shared/geometry'

function reconstruct({ u, s, v }: ReturnType<typeof svd3>): Mat3 {
  const out: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0]
  ]
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r][c] += u[r][k] * s[k] * v[c][k]
  return out
}

function maxDiff(a: Mat3, b: Mat3): number {
  let m = 0
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(a[r][c] - b[r][c]))
  return m
}

describe('svd3', () => {
  it.each([
    ['general', [[2.04, -2.56, 0.42], [-0.57, -0.45, -0.22], [-2.02, -0.23, -0.87]]],
    ['sheared', [[1, 0.9, 0], [0, 0.5, 0], [0, 0, 1]]],
    ['rank 2', [[1, 2, 3], [2, 4, 6], [0, 1, 1]]],
    ['zero column', [[1, 0, 0], [0, 1, 0], [0, 0, 0]]]
  ] as [string, Mat3][])('reconstructs a %s matrix', (_name, a) => {
    const svd = svd3(a)
    expect(maxDiff(reconstruct(svd), a)).toBeLessThan(1e-12)
    expect(svd.s.every((v) => v >= 0)).toBe(true)
  })

  it('gives an orthogonal polar factor for a full-rank matrix', () => {
    const r = orthogonalFactor([
      [1, 0.9, 0],
      [0, 0.5, 0],
      [0, 0, 1]
    ])
    const rtr: Mat3 = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0]
    ]
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) rtr[i][j] += r[k][i] * r[k][j]
    expect(maxDiff(rtr, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])).toBeLessThan(1e-12)
  })
})
