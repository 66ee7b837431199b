import { describe, expect, it } from 'vitest'
import { applyTurn, canonicalTurn, isIdentityTurn, turnedVec3 } from '../../../../src/engine/data/reorient'
import { applyMat4ToPoint } from '../../../../src/shared/geometry/mat4'
import { axisCodesFromRasFromIjk } from '../../../../src/shared/geometry/orientation'
import type { Mat4, Vec3 } from '../../../../src/shared/volume'

/** An affine with voxel axis p running along world axis `world[p]` in direction `sign[p]`, spacing s. */
function affine(world: [number, number, number], sign: [number, number, number], spacing: Vec3): Mat4 {
  const m: Mat4 = [
    [0, 0, 0, 5],
    [0, 0, 0, -7],
    [0, 0, 0, 11],
    [0, 0, 0, 1]
  ]
  for (let p = 0; p < 3; p++) (m[world[p] as number] as number[])[p] = (sign[p] as number) * (spacing[p] as number)
  return m
}

const CASES: Array<[string, Mat4]> = [
  ['RAS', affine([0, 1, 2], [1, 1, 1], [1, 2, 3])],
  ['LPS', affine([0, 1, 2], [-1, -1, 1], [1, 2, 3])],
  ['PSR', affine([1, 2, 0], [-1, 1, 1], [1, 2, 3])],
  ['ILA', affine([2, 0, 1], [-1, -1, 1], [0.5, 0.8, 2])]
]

describe('canonical reorientation', () => {
  it.each(CASES)('%s: turns voxels so that i, j, k run towards R, A, S, keeping every voxel at its world point', (codes, rasFromIjk) => {
    expect(axisCodesFromRasFromIjk(rasFromIjk)).toBe(codes)
    const dims: Vec3 = [4, 3, 5]
    const n = dims[0] * dims[1] * dims[2]
    const data = Float32Array.from({ length: n }, (_, v) => v)
    const turn = canonicalTurn(rasFromIjk)
    expect(isIdentityTurn(turn)).toBe(codes === 'RAS')
    const turned = applyTurn(data, dims, 1, turn)
    const canonicalDims = turnedVec3(dims, turn)
    // Brute force: each canonical voxel holds the original voxel at the same world point, and
    // canonical axes increase towards +x, +y, +z.
    const worldOf = (ijk: Vec3): Vec3 => applyMat4ToPoint(rasFromIjk, ijk)
    const originalAt = new Map<string, number>()
    for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) originalAt.set(worldOf([i, j, k]).map((x) => x.toFixed(6)).join(), data[i + dims[0] * (j + dims[1] * k)] as number)
    const [cx, cy, cz] = canonicalDims
    const origin = [...Array.from(originalAt.keys()).map((key) => key.split(',').map(Number))].reduce((lo, p) => lo.map((x, a) => Math.min(x, p[a] as number)), [Infinity, Infinity, Infinity])
    const spacingWorld = turnedVec3([1, 2, 3].map((_, p) => Math.hypot(rasFromIjk[0][p] as number, rasFromIjk[1][p] as number, rasFromIjk[2][p] as number)) as Vec3, turn)
    for (let k = 0; k < cz; k++) {
      for (let j = 0; j < cy; j++) {
        for (let i = 0; i < cx; i++) {
          const world = [origin[0]! + i * spacingWorld[0], origin[1]! + j * spacingWorld[1], origin[2]! + k * spacingWorld[2]]
          expect(turned[i + cx * (j + cy * k)]).toBe(originalAt.get(world.map((x) => x.toFixed(6)).join()))
        }
      }
    }
    // And back, exactly, several channels included.
    const twoChannels = Float32Array.from({ length: 2 * n }, (_, v) => v * 0.5)
    expect(Array.from(applyTurn(applyTurn(twoChannels, dims, 2, turn), canonicalDims, 2, turn, true))).toEqual(Array.from(twoChannels))
  })

  it('keeps the array type (label maps stay integers)', () => {
    const turn = canonicalTurn(CASES[1]![1])
    const labels = Uint16Array.from({ length: 60 }, (_, v) => v * 300)
    expect(applyTurn(labels, [4, 3, 5], 1, turn)).toBeInstanceOf(Uint16Array)
  })
})
