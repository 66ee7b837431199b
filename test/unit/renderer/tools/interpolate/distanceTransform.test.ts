import { describe, expect, it } from 'vitest'
import { signedDistance2d, squaredDistanceTransform2d } from '../../../../../src/renderer/src/tools/interpolate/distanceTransform'
import { seededRandom } from '../helpers'

function bruteSquared(mask: Uint8Array, width: number, height: number, su: number, sv: number): Float64Array {
  const out = new Float64Array(width * height).fill(Infinity)
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      for (let q = 0; q < width * height; q++) {
        if (!mask[q]) continue
        const d = ((u - (q % width)) * su) ** 2 + ((v - Math.floor(q / width)) * sv) ** 2
        if (d < out[u + width * v]) out[u + width * v] = d
      }
    }
  }
  return out
}

describe('2D Euclidean distance transform', () => {
  it('measures in mm on anisotropic pixels', () => {
    // 7×5 pixels of 0.5 × 2 mm, one feature at (3, 2).
    const mask = new Uint8Array(35)
    mask[3 + 7 * 2] = 1
    const d2 = squaredDistanceTransform2d(mask, 7, 5, { u: 0.5, v: 2 })
    expect(d2[3 + 7 * 2]).toBe(0)
    expect(d2[5 + 7 * 2]).toBeCloseTo(1, 12) // two pixels along u: 1 mm
    expect(d2[3 + 7 * 3]).toBeCloseTo(4, 12) // one pixel along v: 2 mm
    expect(d2[6 + 7 * 3]).toBeCloseTo(1.5 ** 2 + 4, 12)
    expect(d2[0]).toBeCloseTo(1.5 ** 2 + 16, 12)
  })

  it.each([
    [1, 1, 0.3],
    [0.5, 2, 0.1],
    [3, 0.7, 0.05],
    [1, 1, 0.9]
  ])('is exact against brute force (spacing %f × %f, density %f)', (su, sv, density) => {
    const random = seededRandom(Math.round(su * 100 + sv * 10 + density * 1000))
    const width = 17
    const height = 11
    const mask = Uint8Array.from({ length: width * height }, () => (random() < density ? 1 : 0))
    const fast = squaredDistanceTransform2d(mask, width, height, { u: su, v: sv })
    const brute = bruteSquared(mask, width, height, su, sv)
    for (let p = 0; p < mask.length; p++) expect(fast[p]).toBeCloseTo(brute[p], 9)
  })

  it('is Infinity everywhere without features, and refuses bad input', () => {
    const d2 = squaredDistanceTransform2d(new Uint8Array(6), 3, 2, { u: 1, v: 1 })
    expect(Array.from(d2)).toEqual(new Array(6).fill(Infinity))
    expect(() => squaredDistanceTransform2d(new Uint8Array(5), 3, 2, { u: 1, v: 1 })).toThrow(/need 6/)
    expect(() => squaredDistanceTransform2d(new Uint8Array(6), 3, 2, { u: 0, v: 1 })).toThrow(/positive/)
  })

  it('signs the distance: negative inside, positive outside, ± one pixel at the boundary', () => {
    // Row of 7 pixels, 2 mm wide, inside = pixels 2..4.
    const sdf = signedDistance2d(Uint8Array.from([0, 0, 1, 1, 1, 0, 0]), 7, 1, { u: 2, v: 1 })
    expect(Array.from(sdf)).toEqual([4, 2, -2, -4, -2, 2, 4])
  })
})
