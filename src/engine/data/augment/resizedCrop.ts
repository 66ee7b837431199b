/**
 * Random resized crop (torchvision's RandomResizedCrop, inside the patch): a box of a random share
 * of the patch and a random H/W aspect, placed at random, resampled to the patch's size. A zoom-in
 * with an aspect change and an offset; it never reads outside the patch, so it needs no larger region.
 */
import type { Random } from '../../../shared/random'
import type { Shape3, TrainingSample } from '../layout'
import { sampleAt } from './sampleAt'

export interface ResizedCropOptions {
  /** Chance (0–1) of a crop. Default 0 (off; the 'light' and 'heavy' presets turn it on). */
  probability: number
  /** Share of the patch the box covers (its area in 2D, its volume in 3D), [min, max] in (0, 1]. */
  area: [number, number]
  /** Box H/W aspect [min, max], drawn log-uniform (so r and 1/r are equally likely). */
  aspect: [number, number]
}

export const DEFAULT_RESIZED_CROP: Readonly<ResizedCropOptions> = Object.freeze({ probability: 0, area: [0.5, 1] as [number, number], aspect: [0.75, 4 / 3] as [number, number] })

/** One crop, independent of the patch size: box share, aspect and where in the free room it sits. */
export interface ResizedCropParams {
  area: number
  aspect: number
  /** Per axis [d, h, w], 0–1: the box's origin as a share of the room left beside it. */
  position: [number, number, number]
}

/**
 * The box per axis [origin, size] in voxels for a patch of `shape`. Axes of one voxel are kept whole;
 * the share is spread over the others (area^(1/k) per edge), the aspect splits H against W.
 */
export function resizedCropBox(shape: Shape3, params: ResizedCropParams): { origin: Shape3; size: Shape3 } {
  const active = shape.filter((n) => n > 1).length
  const edge = active ? Math.pow(params.area, 1 / active) : 1
  const root = Math.sqrt(params.aspect)
  const factors = [edge, shape[2] > 1 ? edge * root : edge, shape[1] > 1 ? edge / root : edge]
  const size = shape.map((n, axis) => (n > 1 ? n * Math.min(1, factors[axis] as number) : n)) as Shape3
  const origin = shape.map((n, axis) => (n - (size[axis] as number)) * (params.position[axis] as number)) as Shape3
  return { origin, size }
}

export function resizedCrop(sample: TrainingSample, params: ResizedCropParams): TrainingSample {
  if (!(params.area > 0 && params.area <= 1) || !(params.aspect > 0)) throw new RangeError(`resized crop: area must be in (0, 1] and aspect positive, got ${params.area} and ${params.aspect}`)
  const shape = sample.shape
  const { origin, size } = resizedCropBox(shape, params)
  if (size.every((n, axis) => n === shape[axis])) return sample
  const [D, H, W] = shape
  const n = D * H * W
  const d = new Float32Array(n)
  const h = new Float32Array(n)
  const w = new Float32Array(n)
  // Voxel centres map onto voxel centres: output p reads origin + (p + ½)·size/n − ½.
  const at = (axis: 0 | 1 | 2, p: number): number => (origin[axis] as number) + ((p + 0.5) * (size[axis] as number)) / (shape[axis] as number) - 0.5
  let v = 0
  for (let i = 0; i < D; i++) {
    const x = at(0, i)
    for (let j = 0; j < H; j++) {
      const y = at(1, j)
      for (let k = 0; k < W; k++, v++) {
        d[v] = x
        h[v] = y
        w[v] = at(2, k)
      }
    }
  }
  return sampleAt(sample, shape, d, h, w)
}

/** A crop, or null when it does not fire; always six draws. */
export function drawResizedCrop(options: ResizedCropOptions, random: Random): ResizedCropParams | null {
  const hit = random.chance(options.probability)
  const area = random.uniform(options.area[0], options.area[1])
  const aspect = Math.exp(random.uniform(Math.log(options.aspect[0]), Math.log(options.aspect[1])))
  const position: [number, number, number] = [random.next(), random.next(), random.next()]
  return hit ? { area, aspect, position } : null
}

export function randomResizedCrop(sample: TrainingSample, options: ResizedCropOptions, random: Random): TrainingSample {
  const params = drawResizedCrop(options, random)
  return params ? resizedCrop(sample, params) : sample
}
