/**
 * Coarse dropout (cutout): random boxes of the image set to the patch's mean per channel, or to 0,
 * so the network cannot lean on any one region. The label is unchanged (and shared with the input):
 * a hidden organ is still that organ, and the network learns to infer it from the context.
 */
import { createRandom, type Random } from '../../../shared/random'
import type { TrainingSample } from '../layout'

export interface DropoutOptions {
  /** Chance (0–1) of dropping boxes. Default 0 (off; the 'heavy' preset turns it on). */
  probability: number
  /** How many boxes [min, max], whole numbers ≥ 1, uniform. */
  boxes: [number, number]
  /** Each box edge as a share [min, max] of the patch edge (axes of one voxel: the whole voxel). */
  size: [number, number]
  /** 'mean': each channel's mean over the patch; 'zero': 0 (the mean of a z-scored volume). */
  fill: 'mean' | 'zero'
}

export const DEFAULT_DROPOUT: Readonly<DropoutOptions> = Object.freeze({ probability: 0, boxes: [1, 4] as [number, number], size: [0.05, 0.2] as [number, number], fill: 'mean' as const })

export interface DropoutBox {
  /** Per axis [d, h, w], 0–1: the box's origin as a share of the room beside it. */
  position: [number, number, number]
  /** Per axis, the box edge as a share of the patch edge. */
  size: [number, number, number]
}

export interface DropoutParams {
  boxes: DropoutBox[]
  fill: 'mean' | 'zero'
}

export function dropout(sample: TrainingSample, params: DropoutParams): TrainingSample {
  if (params.boxes.length === 0) return sample
  const [D, H, W] = sample.shape
  const C = sample.channels
  const image = new Float32Array(sample.image)
  const fill = new Float64Array(C)
  if (params.fill === 'mean') {
    for (let v = 0; v < image.length; v++) fill[v % C] = (fill[v % C] as number) + (image[v] as number)
    for (let c = 0; c < C; c++) fill[c] = (fill[c] as number) / (D * H * W)
  }
  for (const box of params.boxes) {
    const extent = sample.shape.map((n, axis) => (n === 1 ? 1 : Math.max(1, Math.min(n, Math.round(n * (box.size[axis] as number))))))
    const start = sample.shape.map((n, axis) => Math.min(n - (extent[axis] as number), Math.floor((box.position[axis] as number) * (n - (extent[axis] as number) + 1))))
    const [d0, h0, w0] = start as [number, number, number]
    const [ed, eh, ew] = extent as [number, number, number]
    for (let d = d0; d < d0 + ed; d++) {
      for (let h = h0; h < h0 + eh; h++) {
        const row = ((d * H + h) * W + w0) * C
        for (let i = 0; i < ew * C; i++) image[row + i] = fill[i % C] as number
      }
    }
  }
  return { ...sample, image }
}

/**
 * Boxes, or null when it does not fire; always three draws (hit, count, seed): the boxes come from
 * their own generator seeded by the last, so a larger box count does not shift the draws after it.
 */
export function drawDropout(options: DropoutOptions, random: Random): DropoutParams | null {
  const hit = random.chance(options.probability)
  const count = random.int(Math.round(options.boxes[0]), Math.round(options.boxes[1]))
  const seed = random.int(0, 0xffffffff)
  if (!hit) return null
  const boxRandom = createRandom(seed)
  const boxes: DropoutBox[] = []
  for (let b = 0; b < count; b++) {
    const position: [number, number, number] = [boxRandom.next(), boxRandom.next(), boxRandom.next()]
    const size: [number, number, number] = [0, 0, 0].map(() => boxRandom.uniform(options.size[0], options.size[1])) as [number, number, number]
    boxes.push({ position, size })
  }
  return { boxes, fill: options.fill }
}

export function randomDropout(sample: TrainingSample, options: DropoutOptions, random: Random): TrainingSample {
  const params = drawDropout(options, random)
  return params ? dropout(sample, params) : sample
}
