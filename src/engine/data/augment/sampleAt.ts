/**
 * Resampling a sample at arbitrary positions, shared by the deforming transforms (resized crop,
 * elastic): trilinear for the image, nearest neighbour for the label (so label values stay from the
 * original set), positions clamped to the sample (its edge voxels repeat), and an axis of one voxel
 * (a 2D slice's D) read as a plane.
 */
import { voxelCountOfShape, type Shape3, type TrainingSample } from '../layout'

/**
 * Output voxel v (row-major over `shape`) reads input position (d[v], h[v], w[v]) in voxel
 * coordinates of `sample`. One pass, no allocation beyond the result.
 */
export function sampleAt(sample: TrainingSample, shape: Shape3, d: Float32Array, h: Float32Array, w: Float32Array): TrainingSample {
  const [D, H, W] = sample.shape
  const C = sample.channels
  const n = voxelCountOfShape(shape)
  if (d.length !== n || h.length !== n || w.length !== n) throw new RangeError(`sampleAt: ${n} positions expected, got ${d.length}/${h.length}/${w.length}`)
  const src = sample.image
  const srcLabel = sample.label
  const image = new Float32Array(n * C)
  const label = new Uint8Array(n)
  const HW = H * W
  for (let v = 0; v < n; v++) {
    const x = Math.min(D - 1, Math.max(0, d[v] as number))
    const y = Math.min(H - 1, Math.max(0, h[v] as number))
    const z = Math.min(W - 1, Math.max(0, w[v] as number))
    label[v] = srcLabel[Math.round(x) * HW + Math.round(y) * W + Math.round(z)] as number
    const d0 = Math.min(Math.floor(x), D - 1)
    const h0 = Math.min(Math.floor(y), H - 1)
    const w0 = Math.min(Math.floor(z), W - 1)
    const td = x - d0
    const th = y - h0
    const tw = z - w0
    // The far neighbour of an edge voxel is itself (its weight is 0 there anyway).
    const sD = (d0 + 1 < D ? HW : 0) * C
    const sH = (h0 + 1 < H ? W : 0) * C
    const sW = w0 + 1 < W ? C : 0
    const b = (d0 * HW + h0 * W + w0) * C
    const out = v * C
    for (let c = 0; c < C; c++) {
      const p = b + c
      const v00 = (src[p] as number) + tw * ((src[p + sW] as number) - (src[p] as number))
      const v01 = (src[p + sH] as number) + tw * ((src[p + sH + sW] as number) - (src[p + sH] as number))
      const v10 = (src[p + sD] as number) + tw * ((src[p + sD + sW] as number) - (src[p + sD] as number))
      const v11 = (src[p + sD + sH] as number) + tw * ((src[p + sD + sH + sW] as number) - (src[p + sD + sH] as number))
      const v0 = v00 + th * (v01 - v00)
      const v1 = v10 + th * (v11 - v10)
      image[out + c] = v0 + td * (v1 - v0)
    }
  }
  return { image, label, shape: [...shape], channels: C }
}
