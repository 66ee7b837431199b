/**
 * The transforms added with the presets (shift, resized crop, elastic, transpose, dropout), checked
 * by one parameter table of properties: identity at zero strength, shape kept, label values from the
 * original set, image and label moving together, determinism for a seed, and in-plane only on a
 * one-slice (2D) patch.
 */
import { describe, expect, it } from 'vitest'
import {
  affine,
  dropout,
  drawDropout,
  drawElastic,
  drawResizedCrop,
  elastic,
  elasticField,
  resizedCrop,
  resizedCropBox,
  rot90,
  transposeHW,
  DEFAULT_DROPOUT,
  type Shape3,
  type TrainingSample
} from '../../../../../src/engine/data'
import { createRandom } from '../../../../../src/shared/random'
import { indexedSample, sampleFrom, valuesOf } from '../fixtures'

/** Class 1 in a box, class 2 in a ball, image 1 / 11 / 21 by class on two channels (the second + 100). */
function labelledSample(shape: Shape3): TrainingSample {
  const [D, H, W] = shape
  const inBox = (d: number, h: number, w: number): boolean => d >= Math.floor(D / 4) && d < Math.ceil((3 * D) / 4) && h >= 3 && h < H / 2 && w >= 2 && w < W / 2
  const inBall = (d: number, h: number, w: number): boolean => Math.hypot(D > 1 ? (d - D / 2) / 3 : 0, (h - (3 * H) / 4) / 3, (w - (3 * W) / 4) / 3) < 1
  const labelAt = (d: number, h: number, w: number): number => (inBall(d, h, w) ? 2 : inBox(d, h, w) ? 1 : 0)
  return sampleFrom(shape, 2, (d, h, w, c) => 10 * labelAt(d, h, w) + 1 + 100 * c, labelAt)
}

/**
 * Image and label together: classes 0 and 2 carry the smallest and largest image values (1 and 21),
 * so where the interpolated image is exactly one of them every neighbour it blended is of that class,
 * and the nearest-neighbour label (one of those neighbours) must be that class too.
 */
function alignment(out: TrainingSample): { pure: number; agree: number } {
  let pure = 0
  let agree = 0
  for (let v = 0; v < out.label.length; v++) {
    const x = out.image[2 * v] as number
    for (const cls of [0, 2]) {
      if (Math.abs(x - (10 * cls + 1)) < 1e-4) {
        pure++
        if (out.label[v] === cls) agree++
      }
    }
  }
  return { pure, agree }
}

type Transform = (sample: TrainingSample) => TrainingSample
interface Row {
  name: string
  transform: Transform
  /** Whether the result has the input's shape. */
  keepsShape: boolean
}

/** A shift as the pipeline gives it: none along a one-voxel axis; padding with the background's values. */
const shifted = (s: TrainingSample, shiftVoxels: [number, number, number], rotationRad: [number, number, number] = [0, 0, 0], scale = 1): TrainingSample =>
  affine(s, { rotationRad, scale, shiftVoxels: shiftVoxels.map((v, axis) => (s.shape[axis] === 1 ? 0 : v)) as [number, number, number] }, { padValues: [1, 101] })

const ROWS: Row[] = [
  { name: 'shift (+3, −2, +4 voxels)', transform: (s) => shifted(s, [3, -2, 4]), keepsShape: true },
  { name: 'shift-scale-rotate', transform: (s) => shifted(s, [1.5, -2.5, 0.7], [0.3, 0, 0], 1.15), keepsShape: true },
  { name: 'resized crop (60 %, aspect 1.3)', transform: (s) => resizedCrop(s, { area: 0.6, aspect: 1.3, position: [0.2, 0.7, 0.4] }), keepsShape: true },
  { name: 'resized crop (25 %, aspect 0.8)', transform: (s) => resizedCrop(s, { area: 0.25, aspect: 0.8, position: [1, 0, 0.5] }), keepsShape: true },
  { name: 'elastic α 2 σ 6', transform: (s) => elastic(s, { alphaVoxels: 2, sigmaVoxels: 6, seed: 11 }), keepsShape: true },
  { name: 'elastic α 6 σ 4 (clamped)', transform: (s) => elastic(s, { alphaVoxels: 6, sigmaVoxels: 4, seed: 12 }), keepsShape: true },
  { name: 'transpose', transform: transposeHW, keepsShape: false }
]

const SHAPES: { name: string; shape: Shape3 }[] = [
  { name: '3D', shape: [10, 16, 20] },
  { name: '2D (one slice)', shape: [1, 24, 28] }
]

describe.each(SHAPES)('new spatial transforms on a $name patch', ({ shape }) => {
  it.each(ROWS)('$name: keeps label values, shape (or swaps H and W) and image–label alignment', ({ transform, keepsShape }) => {
    const sample = labelledSample(shape)
    const out = transform(sample)
    expect(out.shape).toEqual(keepsShape ? shape : [shape[0], shape[2], shape[1]])
    expect(out.image.length).toBe(out.label.length * 2)
    for (const v of valuesOf(out.label)) expect([0, 1, 2]).toContain(v)
    const { pure, agree } = alignment(out)
    expect(pure).toBeGreaterThan(0.5 * out.label.length)
    expect(agree).toBe(pure)
    // Channels move together: the second is the first + 100 wherever the first is.
    for (let v = 0; v < out.label.length; v++) expect((out.image[2 * v + 1] as number) - (out.image[2 * v] as number)).toBeCloseTo(100, 3)
    // The same parameters, the same result (pure functions).
    expect(transform(sample)).toEqual(out)
  })
})

describe('identity at zero strength', () => {
  const sample = indexedSample([5, 7, 9], 2)
  it.each([
    { name: 'shift 0', out: () => affine(sample, { rotationRad: [0, 0, 0], scale: 1, shiftVoxels: [0, 0, 0] }) },
    { name: 'resized crop of the whole patch', out: () => resizedCrop(sample, { area: 1, aspect: 1, position: [0.3, 0.3, 0.3] }) },
    { name: 'elastic α 0', out: () => elastic(sample, { alphaVoxels: 0, sigmaVoxels: 4, seed: 1 }) },
    { name: 'dropout of no box', out: () => dropout(sample, { boxes: [], fill: 'mean' }) },
    { name: 'transpose twice', out: () => transposeHW(transposeHW(sample)) }
  ])('$name', ({ out }) => {
    expect(out()).toEqual(sample)
  })
})

describe('shift', () => {
  it.each([
    { shiftVoxels: [0, 2, 0] as [number, number, number], from: [3, 5, 4], to: [3, 7, 4] },
    { shiftVoxels: [1, -3, 2] as [number, number, number], from: [3, 5, 4], to: [4, 2, 6] }
  ])('moves the content by whole voxels exactly: $shiftVoxels', ({ shiftVoxels, from, to }) => {
    const sample = indexedSample([7, 10, 9])
    const out = affine(sample, { rotationRad: [0, 0, 0], scale: 1, shiftVoxels })
    const at = (s: TrainingSample, [d, h, w]: number[]): number => s.image[(d! * s.shape[1] + h!) * s.shape[2] + w!] as number
    expect(at(out, to)).toBe(at(sample, from))
    expect(out.label[(to[0]! * 10 + to[1]!) * 9 + to[2]!]).toBe(sample.label[(from[0]! * 10 + from[1]!) * 9 + from[2]!])
  })
})

describe('resized crop', () => {
  it.each([
    { shape: [10, 20, 30] as Shape3, area: 0.5, aspect: 1 },
    { shape: [10, 20, 30] as Shape3, area: 0.3, aspect: 2 },
    { shape: [1, 40, 40] as Shape3, area: 0.5, aspect: 0.5 },
    { shape: [1, 40, 40] as Shape3, area: 0.81, aspect: 1 }
  ])('box of share $area and aspect $aspect inside $shape', ({ shape, area, aspect }) => {
    const { origin, size } = resizedCropBox(shape, { area, aspect, position: [1, 1, 1] })
    const share = size.reduce((p, n, axis) => p * (n / shape[axis]!), 1)
    expect(share).toBeCloseTo(area, 5)
    expect(size[1]! / shape[1]! / (size[2]! / shape[2]!)).toBeCloseTo(aspect, 5)
    size.forEach((n, axis) => expect(origin[axis]! + n).toBeCloseTo(shape[axis]!, 6)) // position 1: at the far end
    if (shape[0] === 1) expect(size[0]).toBe(1) // in plane only
  })

  it('magnifies: a crop of a quarter of the plane doubles a square', () => {
    const shape: Shape3 = [1, 32, 32]
    const sample = sampleFrom(shape, 1, (_d, h, w) => (h >= 12 && h < 20 && w >= 12 && w < 20 ? 5 : 0), (_d, h, w) => (h >= 12 && h < 20 && w >= 12 && w < 20 ? 1 : 0))
    const out = resizedCrop(sample, { area: 0.25, aspect: 1, position: [0.5, 0.5, 0.5] })
    expect(out.label.reduce((a, v) => a + v, 0)).toBe(4 * 64)
  })

  it('draws the same crop for the same seed, nothing when it does not fire', () => {
    const options = { probability: 1, area: [0.5, 1] as [number, number], aspect: [0.75, 1.33] as [number, number] }
    expect(drawResizedCrop(options, createRandom(4))).toEqual(drawResizedCrop(options, createRandom(4)))
    expect(drawResizedCrop({ ...options, probability: 0 }, createRandom(4))).toBeNull()
    for (let seed = 0; seed < 50; seed++) {
      const crop = drawResizedCrop(options, createRandom(seed))!
      expect(crop.area).toBeGreaterThanOrEqual(0.5)
      expect(crop.aspect).toBeGreaterThanOrEqual(0.75)
      expect(crop.aspect).toBeLessThanOrEqual(1.33)
    }
  })
})

describe('elastic', () => {
  it.each([
    { shape: [12, 20, 16] as Shape3, alphaVoxels: 2, sigmaVoxels: 5 },
    { shape: [1, 30, 26] as Shape3, alphaVoxels: 3, sigmaVoxels: 8 },
    { shape: [9, 9, 9] as Shape3, alphaVoxels: 50, sigmaVoxels: 4 }
  ])('field on $shape: clamped, monotone along each axis (no fold), none along a one-voxel axis, seeded', ({ shape, alphaVoxels, sigmaVoxels }) => {
    const params = { alphaVoxels, sigmaVoxels, seed: 3 }
    const field = elasticField(shape, params)
    expect(elasticField(shape, params)).toEqual(field)
    expect(elasticField(shape, { ...params, seed: 4 })).not.toEqual(field)
    const [D, H, W] = shape
    for (let axis = 0; axis < 3; axis++) {
      const component = field[axis]!
      if (shape[axis] === 1) {
        expect(component.every((v) => v === 0)).toBe(true)
        continue
      }
      const n = shape[axis]!
      const spacing = (n - 1) / Math.ceil((n - 1) / sigmaVoxels)
      // Clamped to ±0.45 of the control spacing, so a voxel step along the axis never reverses order.
      expect(Math.max(...component.map(Math.abs))).toBeLessThanOrEqual(0.45 * spacing + 1e-5)
      const stride = axis === 0 ? H * W : axis === 1 ? W : 1
      for (let v = 0; v + stride < component.length; v++) {
        const coord = axis === 0 ? Math.floor(v / (H * W)) : axis === 1 ? Math.floor(v / W) % H : v % W
        if (coord === n - 1) continue
        expect(1 + component[v + stride]! - component[v]!).toBeGreaterThan(0)
      }
    }
    expect(D * H * W).toBe(field[0].length)
  })

  it("deforms the label yet keeps each class's size within 25 %", () => {
    const sample = labelledSample([12, 24, 24])
    const out = elastic(sample, { alphaVoxels: 3, sigmaVoxels: 6, seed: 8 })
    expect(out.label).not.toEqual(sample.label) // it does deform
    const counts = (label: Uint8Array, cls: number): number => label.filter((v) => v === cls).length
    for (const cls of [1, 2]) expect(Math.abs(counts(out.label, cls) - counts(sample.label, cls))).toBeLessThan(0.25 * counts(sample.label, cls))
  })

  it('draws α in range and a seed; none when it does not fire', () => {
    const options = { probability: 1, alphaVoxels: [1, 2] as [number, number], sigmaVoxels: 10 }
    const draw = drawElastic(options, createRandom(5))!
    expect(draw.alphaVoxels).toBeGreaterThanOrEqual(1)
    expect(draw.alphaVoxels).toBeLessThan(2)
    expect(draw.sigmaVoxels).toBe(10)
    expect(drawElastic({ ...options, probability: 0 }, createRandom(5))).toBeNull()
  })
})

describe('transpose', () => {
  it('swaps H and W: (d, h, w) reads (d, w, h), and equals rot90 then mirror', () => {
    const sample = indexedSample([2, 3, 4], 2)
    const out = transposeHW(sample)
    expect(out.shape).toEqual([2, 4, 3])
    expect(out.image[((1 * 4 + 3) * 3 + 2) * 2 + 1]).toBe(sample.image[((1 * 3 + 2) * 4 + 3) * 2 + 1])
    // rot90 by k = 1 reads (j, W − 1 − i); mirroring its rows gives (j, i).
    const turned = rot90(sample, 1)
    const [D, H, W] = turned.shape
    for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) expect(out.label[(d * H + h) * W + w]).toBe(turned.label[(d * H + (H - 1 - h)) * W + w])
  })
})

describe('dropout', () => {
  it.each([
    { fill: 'mean' as const, shape: [6, 20, 20] as Shape3 },
    { fill: 'zero' as const, shape: [1, 32, 24] as Shape3 }
  ])('fills boxes in the image only ($fill, $shape); the label is untouched', ({ fill, shape }) => {
    const sample = labelledSample(shape)
    const params = { boxes: [{ position: [0.5, 0.5, 0.5] as [number, number, number], size: [0.5, 0.25, 0.5] as [number, number, number] }], fill }
    const out = dropout(sample, params)
    expect(out.label).toBe(sample.label)
    expect(out.shape).toEqual(shape)
    const mean = [0, 1].map((c) => sample.image.filter((_, i) => i % 2 === c).reduce((a, v) => a + v, 0) / sample.label.length)
    const expected = fill === 'mean' ? mean : [0, 0]
    const [D, H, W] = shape
    const ed = D === 1 ? 1 : Math.round(D * 0.5)
    const eh = Math.round(H * 0.25)
    const ew = Math.round(W * 0.5)
    let changed = 0
    for (let v = 0; v < out.label.length; v++) {
      for (let c = 0; c < 2; c++) {
        if (out.image[2 * v + c] !== sample.image[2 * v + c]) {
          changed++
          expect(out.image[2 * v + c]).toBeCloseTo(expected[c]!, 4)
        }
      }
    }
    // Every voxel of the box changes: no image value here equals the fill (the mean is not one of 1, 11, 21, …; zero is none).
    expect(changed).toBe(ed * eh * ew * 2)
  })

  it('draws a whole number of boxes in range, each with sizes in range; seeded', () => {
    const options = { ...DEFAULT_DROPOUT, probability: 1, boxes: [2, 5] as [number, number] }
    for (let seed = 0; seed < 30; seed++) {
      const draw = drawDropout(options, createRandom(seed))!
      expect(draw).toEqual(drawDropout(options, createRandom(seed)))
      expect(draw.boxes.length).toBeGreaterThanOrEqual(2)
      expect(draw.boxes.length).toBeLessThanOrEqual(5)
      for (const box of draw.boxes) for (const s of box.size) expect(s >= 0.05 && s <= 0.2).toBe(true)
    }
  })
})
