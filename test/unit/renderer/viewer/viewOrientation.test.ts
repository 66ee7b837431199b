import { describe, expect, it } from 'vitest'
import type { Mat4 } from '../../../../src/shared/volume'
import { extractSlice } from '../../../../src/renderer/src/viewer/sliceExtraction'
import { dominantWorldAxes, viewMapping } from '../../../../src/renderer/src/viewer/viewOrientation'

const diag = (x: number, y: number, z: number): Mat4 => [
  [x, 0, 0, 0],
  [0, y, 0, 0],
  [0, 0, z, 0],
  [0, 0, 0, 1]
]
const RAS = diag(1, 1, 1)
const LPS = diag(-1, -1, 1)

describe('viewMapping', () => {
  it('puts the same letters on the same edges whatever the storage order', () => {
    for (const affine of [RAS, LPS, diag(-2, 1, 3)]) {
      expect(viewMapping('axial', affine).letters).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' })
      expect(viewMapping('coronal', affine).letters).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' })
      expect(viewMapping('sagittal', affine).letters).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' })
    }
  })

  it('flips a RAS volume horizontally in axial (patient right on the left) but not an LPS one', () => {
    expect(viewMapping('axial', RAS)).toMatchObject({ sliceAxis: 2, xAxis: 0, flipX: true, yAxis: 1, flipY: false })
    expect(viewMapping('axial', LPS)).toMatchObject({ sliceAxis: 2, xAxis: 0, flipX: false, yAxis: 1, flipY: true })
    expect(viewMapping('sagittal', RAS)).toMatchObject({ sliceAxis: 0, xAxis: 1, flipX: true, yAxis: 2, flipY: false })
    expect(viewMapping('coronal', LPS)).toMatchObject({ sliceAxis: 1, xAxis: 0, flipX: false, yAxis: 2, flipY: false })
  })

  it('follows permuted axes (i→anterior, j→inferior, k→right, like the AIR test file)', () => {
    const air: Mat4 = [
      [0, 0, 2, 0],
      [2, 0, 0, 0],
      [0, -2, 0, 0],
      [0, 0, 0, 1]
    ]
    expect(dominantWorldAxes(air)).toEqual([
      { worldAxis: 1, sign: 1 },
      { worldAxis: 2, sign: -1 },
      { worldAxis: 0, sign: 1 }
    ])
    expect(viewMapping('axial', air)).toMatchObject({ sliceAxis: 1, xAxis: 2, flipX: true, yAxis: 0, flipY: false })
  })

  it('assigns distinct axes to an oblique affine', () => {
    const c = Math.cos(0.3)
    const s = Math.sin(0.3)
    const oblique: Mat4 = [
      [1, 0, 0, 0],
      [0, c, -s, 0],
      [0, s, c, 0],
      [0, 0, 0, 1]
    ]
    const axes = dominantWorldAxes(oblique).map((a) => a.worldAxis).sort()
    expect(axes).toEqual([0, 1, 2])
  })
})

describe('extractSlice', () => {
  // 3×2×2 volume, value = 100k + 10j + i
  const dims: [number, number, number] = [3, 2, 2]
  const volume = new Float32Array(12)
  for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) volume[i + 3 * (j + 2 * k)] = 100 * k + 10 * j + i

  it('writes an axial slice of a RAS volume mirrored left-right, rows bottom to top', () => {
    const out = extractSlice(volume, dims, viewMapping('axial', RAS), 1, new Float32Array(6))
    expect(Array.from(out)).toEqual([102, 101, 100, 112, 111, 110])
  })

  it('writes an axial slice of an LPS volume as stored, rows flipped', () => {
    const out = extractSlice(volume, dims, viewMapping('axial', LPS), 0, new Float32Array(6))
    expect(Array.from(out)).toEqual([10, 11, 12, 0, 1, 2])
  })

  it('writes a sagittal slice (j horizontal, k vertical)', () => {
    const out = extractSlice(volume, dims, viewMapping('sagittal', RAS), 2, new Float32Array(4))
    // screen x runs posterior, i.e. against +j: j = 1 first
    expect(Array.from(out)).toEqual([12, 2, 112, 102])
  })

  it('reads the requested channel of a 4D image', () => {
    const twoChannels = new Float32Array(24)
    twoChannels.set(volume, 0)
    twoChannels.set(volume.map((v) => v + 1000), 12)
    const out = extractSlice(twoChannels, dims, viewMapping('axial', LPS), 0, new Float32Array(6), 12)
    expect(Array.from(out)).toEqual([1010, 1011, 1012, 1000, 1001, 1002])
  })
})
