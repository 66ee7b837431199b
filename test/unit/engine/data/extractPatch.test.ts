import { describe, expect, it } from 'vitest'
import {
  buildForegroundIndex,
  extractPatch,
  patchOriginForCentre,
  randomForegroundVoxel,
  type ImagePadding,
  type Shape3
} from '../../../../src/engine/data'
import { createRandom } from '../../../../src/shared/random'
import { indexedSample, sampleFrom } from './fixtures'

describe('extractPatch', () => {
  const source = sampleFrom([3, 3, 4], 2, (d, h, w, c) => 100 * d + 10 * h + w + 0.5 * c, (d, h, w) => (d + h + w) % 3)
  const constant: ImagePadding = { mode: 'constant', values: [-9, -8] }

  it('copies an interior box exactly', () => {
    const patch = extractPatch(source, [1, 1, 1], [2, 2, 3], constant)
    expect(Array.from(patch.image.filter((_, i) => i % 2 === 0))).toEqual([111, 112, 113, 121, 122, 123, 211, 212, 213, 221, 222, 223])
    expect(Array.from(patch.image.filter((_, i) => i % 2 === 1))).toEqual([111.5, 112.5, 113.5, 121.5, 122.5, 123.5, 211.5, 212.5, 213.5, 221.5, 222.5, 223.5])
    expect(Array.from(patch.label)).toEqual([0, 1, 2, 1, 2, 0, 1, 2, 0, 2, 0, 1])
  })

  it.each<{ name: string; origin: Shape3; padding: ImagePadding; row: number[] }>([
    // the first row (d = 0, h = 0) of a [1, 1, 6] patch starting at w = −1, channel 0
    { name: 'constant per channel, left and right', origin: [0, 0, -1], padding: { mode: 'constant', values: [-9, -8] }, row: [-9, 0, 1, 2, 3, -9] },
    { name: 'edge', origin: [0, 0, -1], padding: { mode: 'edge' }, row: [0, 0, 1, 2, 3, 3] },
    { name: 'constant, row outside the volume', origin: [-1, 0, -1], padding: { mode: 'constant', values: [-9, -8] }, row: [-9, -9, -9, -9, -9, -9] },
    { name: 'edge, row outside the volume', origin: [-1, 4, -1], padding: { mode: 'edge' }, row: [20, 20, 21, 22, 23, 23] }
  ])('pads at the border: $name', ({ origin, padding, row }) => {
    const patch = extractPatch(source, origin, [1, 1, 6], padding)
    expect(Array.from(patch.image.filter((_, i) => i % 2 === 0))).toEqual(row)
    // Channel 1 is channel 0 + ½ inside, and pads with its own value.
    expect(Array.from(patch.image.filter((_, i) => i % 2 === 1))).toEqual(row.map((v) => (v === -9 ? -8 : v + 0.5)))
  })

  it('pads a volume smaller than the patch on every side, labels with 0', () => {
    const small = indexedSample([2, 2, 2])
    const patch = extractPatch({ ...small, label: small.label.map(() => 7) }, patchOriginForCentre([1, 1, 1], [4, 4, 4]), [4, 4, 4], { mode: 'constant', values: [-1] })
    expect(patch.image.filter((v) => v === -1).length).toBe(64 - 8)
    expect(patch.label.filter((v) => v === 7).length).toBe(8)
    expect(patch.label.filter((v) => v === 0).length).toBe(56)
  })

  it('centres the patch on the given voxel', () => {
    expect(patchOriginForCentre([5, 5, 5], [4, 5, 6])).toEqual([3, 3, 2])
  })
})

describe('foreground index', () => {
  it('lists every voxel of every class present', () => {
    const { label } = sampleFrom([4, 5, 6], 1, () => 0, (d, h, w) => (d === 1 && h === 2 ? 3 : w === 5 ? 1 : 0))
    const index = buildForegroundIndex(label)
    expect(index.classes).toEqual([1, 3])
    expect(index.voxelsByClass[0]!.length).toBe(4 * 5 - 1)
    expect(index.voxelsByClass[1]!.length).toBe(6)
    for (const [n, cls] of index.classes.entries()) for (const v of index.voxelsByClass[n]!) expect(label[v]).toBe(cls)
  })

  it.each<{ allowed: number[] | undefined; expected: number[] }>([
    { allowed: undefined, expected: [1, 3] },
    { allowed: [3], expected: [3] },
    { allowed: [2], expected: [] }
  ])('draws labelled voxels of the allowed classes $allowed, by class uniformly', ({ allowed, expected }) => {
    const shape: Shape3 = [4, 5, 6]
    const { label } = sampleFrom(shape, 1, () => 0, (d, h, w) => (d === 1 && h === 2 && w === 0 ? 3 : w === 5 ? 1 : 0))
    const index = buildForegroundIndex(label)
    const random = createRandom(1)
    const seen: Record<number, number> = {}
    for (let n = 0; n < 400; n++) {
      const voxel = randomForegroundVoxel(index, shape, random, allowed)
      if (expected.length === 0) {
        expect(voxel).toBeNull()
        continue
      }
      const cls = label[(voxel![0] * shape[1] + voxel![1]) * shape[2] + voxel![2]]!
      seen[cls] = (seen[cls] ?? 0) + 1
    }
    expect(Object.keys(seen).map(Number).sort()).toEqual(expected)
    // One voxel of class 3 against 20 of class 1, yet both classes come up about equally often.
    if (expected.length === 2) expect(seen[3]! / 400).toBeCloseTo(0.5, 1)
  })
})
