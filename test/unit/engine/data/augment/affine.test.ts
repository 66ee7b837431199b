import { describe, expect, it } from 'vitest'
import {
  affine,
  affineRegionShape,
  centreCrop,
  DEFAULT_ZOOM,
  rotationMatrix,
  type AffineParams,
  type Shape3
} from '../../../../../src/engine/data'
import { ballSample, dice, indexedSample, sampleFrom, valuesOf } from '../fixtures'

const DEG = Math.PI / 180

describe('affine (rotate + zoom about the centre)', () => {
  it('with no rotation and scale 1 is exactly a centred crop', () => {
    const sample = indexedSample([9, 10, 11], 2)
    const identity: AffineParams = { rotationRad: [0, 0, 0], scale: 1 }
    expect(affine(sample, identity)).toEqual(sample)
    const cropped = affine(sample, identity, { outputShape: [5, 6, 7] })
    expect(cropped).toEqual(centreCrop(sample, [5, 6, 7], { mode: 'constant', values: [0, 0] }))
    expect(cropped.image[0]).toBe(2 + 11 * (2 + 10 * 2)) // voxel (2, 2, 2) of the input
  })

  it.each([
    { name: '90° in plane', rotationRad: [Math.PI / 2, 0, 0] as [number, number, number] },
    { name: '180° about h', rotationRad: [0, Math.PI, 0] as [number, number, number] }
  ])('a quarter/half turn moves whole voxels: $name', ({ rotationRad }) => {
    const sample = indexedSample([5, 5, 5])
    const out = affine(sample, { rotationRad, scale: 1 })
    expect(valuesOf(out.image)).toEqual(valuesOf(sample.image)) // a permutation, no blending
    expect([...out.image].sort((a, b) => a - b)).toEqual([...sample.image].sort((a, b) => a - b))
  })

  it.each([
    { name: '+15° in plane', params: { rotationRad: [15 * DEG, 0, 0], scale: 1 } },
    { name: '−15° in plane', params: { rotationRad: [-15 * DEG, 0, 0], scale: 1 } },
    { name: '10° about every axis', params: { rotationRad: [10 * DEG, 10 * DEG, 10 * DEG], scale: 1 } }
  ] as { name: string; params: AffineParams }[])('keeps a centred ball: $name', ({ params }) => {
    const ball = ballSample([25, 25, 25], 9)
    const out = affine(ball, params)
    expect(dice(out.label, ball.label)).toBeGreaterThan(0.95)
    expect(valuesOf(out.label)).toEqual(new Set([0, 1]))
  })

  it.each([0.85, 1.25])('zoom %f scales the ball radius by the same factor', (scale) => {
    const ball = ballSample([31, 31, 31], 8)
    const out = affine(ball, { rotationRad: [0, 0, 0], scale })
    const volume = (label: Uint8Array): number => label.reduce((sum, v) => sum + v, 0)
    expect(volume(out.label) / volume(ball.label)).toBeCloseTo(scale ** 3, 0)
    expect(Math.abs(volume(out.label) / volume(ball.label) - scale ** 3)).toBeLessThan(0.1 * scale ** 3)
  })

  it('keeps image and label aligned: a labelled cube keeps its image value', () => {
    const inCube = (d: number, h: number, w: number): boolean => d >= 6 && d < 14 && h >= 4 && h < 12 && w >= 7 && w < 15
    const sample = sampleFrom([20, 18, 22], 1, (d, h, w) => (inCube(d, h, w) ? 5 : 0), (d, h, w) => (inCube(d, h, w) ? 2 : 0))
    const out = affine(sample, { rotationRad: [12 * DEG, 0, 0], scale: 1.1 })
    let agree = 0
    let labelled = 0
    for (let v = 0; v < out.label.length; v++) {
      if (out.label[v] !== 2) continue
      labelled++
      if ((out.image[v] as number) > 2.5) agree++
    }
    expect(labelled).toBeGreaterThan(400)
    expect(agree / labelled).toBeGreaterThan(0.97)
  })

  it('fills outside the input with the pad value and background', () => {
    const sample = sampleFrom([4, 4, 4], 1, () => 1, () => 1)
    const out = affine(sample, { rotationRad: [0, 0, 0], scale: 0.5 }, { padValues: [-7] })
    expect(out.image[0]).toBe(-7)
    expect(out.label[0]).toBe(0)
  })

  it('rotationMatrix is orthonormal', () => {
    const r = rotationMatrix([0.3, -0.2, 0.1])
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const dot = r[a * 3]! * r[b * 3]! + r[a * 3 + 1]! * r[b * 3 + 1]! + r[a * 3 + 2]! * r[b * 3 + 2]!
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12)
      }
    }
  })
})

describe('affineRegionShape', () => {
  it.each<{ name: string; patch: Shape3; inPlane: number; outOfPlane: number; zoom: [number, number] }>([
    { name: 'in-plane 15°, zoom 0.85–1.25', patch: [16, 24, 32], inPlane: 15, outOfPlane: 0, zoom: [0.85, 1.25] },
    { name: '15° about every axis', patch: [20, 20, 20], inPlane: 15, outOfPlane: 15, zoom: [1, 1] },
    { name: 'large in-plane angle', patch: [8, 16, 16], inPlane: 45, outOfPlane: 0, zoom: [0.9, 1.1] }
  ])('is large enough that no allowed transform reads padding ($name)', ({ patch, inPlane, outOfPlane, zoom }) => {
    const region = affineRegionShape(patch, { probability: 1, maxDegrees: { inPlane, outOfPlane } }, { probability: 1, range: zoom })
    region.forEach((n, axis) => expect((n - patch[axis]!) % 2).toBe(0))
    const ones = sampleFrom(region, 1, () => 1, () => 1)
    for (const sign of [-1, 1]) {
      for (const scale of zoom) {
        const a = sign * inPlane * DEG
        const b = sign * outOfPlane * DEG
        const out = affine(ones, { rotationRad: [a, b, -b], scale }, { outputShape: patch, padValues: [-1000] })
        expect(Math.min(...out.image)).toBeCloseTo(1, 5)
        expect(Math.min(...out.label)).toBe(1)
      }
    }
  })

  it('a one-slice (2D) patch reads its own slice only, under every default rotation and zoom: no depth scaling leaks in', () => {
    // Region the sampler cuts for a [1, 16, 16] patch: 3 slices (the middle one is the patch's), whose
    // values and labels differ by slice; padding elsewhere would read −1000.
    const patch: Shape3 = [1, 16, 16]
    const region = affineRegionShape(patch, { probability: 1, maxDegrees: { inPlane: 15, outOfPlane: 0 } }, { probability: 1, range: DEFAULT_ZOOM.range })
    expect(region[0]).toBe(3)
    const slices = sampleFrom(region, 1, (d, h, w) => 1000 * d + h + w / 100, (d) => d + 1)
    for (const scale of [DEFAULT_ZOOM.range[0], 1, DEFAULT_ZOOM.range[1]]) {
      for (const angle of [-15, 7, 15]) {
        const out = affine(slices, { rotationRad: [angle * DEG, 0, 0], scale }, { outputShape: patch, padValues: [-1000] })
        expect(out.shape).toEqual(patch)
        expect(new Set(out.label)).toEqual(new Set([2]))
        expect(Math.min(...out.image)).toBeGreaterThanOrEqual(1000)
        expect(Math.max(...out.image)).toBeLessThan(1000 + region[1] + region[2])
      }
    }
  })

  it('is the patch itself when nothing can rotate or zoom out', () => {
    expect(affineRegionShape([8, 8, 8], { probability: 0, maxDegrees: { inPlane: 15, outOfPlane: 0 } }, { ...DEFAULT_ZOOM, probability: 0 })).toEqual([8, 8, 8])
  })
})
