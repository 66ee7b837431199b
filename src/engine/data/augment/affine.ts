/**
 * Small rotations and scaling about the patch centre, in one resampling pass: trilinear for the
 * image, nearest neighbour for the label (so label values stay from the original set).
 *
 * Output voxel p reads input position cIn + Rᵀ·(p − s − cOut) / scale, with R = R_d(α)·R_h(β)·R_w(γ),
 * s the shift
 * and the centres cOut = (nOut − 1)/2, cIn = ⌊(nIn − nOut)/2⌋ + cOut. The output may be smaller than
 * the input: the batch sampler cuts a larger region (`affineRegionShape`) so that rotated corners
 * read real voxels instead of padding, and this pass also crops it to the patch. With no rotation and
 * scale 1 it is exactly a centred crop. Rotation is in voxel units, so it is physical only on
 * (near-)isotropic grids, which is why out-of-plane rotation is off by default.
 */
import type { Random } from '../../../shared/random'
import { centreCrop } from '../extractPatch'
import { voxelCountOfShape, type Shape3, type TrainingSample } from '../layout'

export interface AffineParams {
  /** Radians about the d axis (turns the H × W plane), the h axis (D × W) and the w axis (D × H). */
  rotationRad: [number, number, number]
  /** Magnification: > 1 enlarges the content (zoom in), < 1 shrinks it. */
  scale: number
  /** Content shift [d, h, w] in output voxels (+ moves the content towards higher indices); default none. */
  shiftVoxels?: [number, number, number]
}

export interface AffineOutput {
  /** Shape of the result, centred in the input; default the input's shape. */
  outputShape?: Shape3
  /** Image value per channel where the output reads outside the input; default 0. Labels read 0 there. */
  padValues?: ArrayLike<number>
}

export interface RotateOptions {
  /** Chance (0–1) of a rotation. Default 0.2 (nnU-Net). */
  probability: number
  /** Largest angle in degrees, drawn uniformly in ±max: in the axial plane (about d) and about h and w. Default 15 and 0. */
  maxDegrees: { inPlane: number; outOfPlane: number }
}

export interface ZoomOptions {
  /** Chance (0–1) of scaling. Default 0.2 (nnU-Net). */
  probability: number
  /** Magnification range [min, max]; default [0.85, 1.25]. */
  range: [number, number]
}

export const DEFAULT_ROTATE: Readonly<RotateOptions> = Object.freeze({ probability: 0.2, maxDegrees: { inPlane: 15, outOfPlane: 0 } })
export const DEFAULT_ZOOM: Readonly<ZoomOptions> = Object.freeze({ probability: 0.2, range: [0.85, 1.25] as [number, number] })

/** Row-major 3 × 3 rotation R = R_d(α)·R_h(β)·R_w(γ) acting on (d, h, w) offsets. */
export function rotationMatrix(rotationRad: readonly [number, number, number]): number[] {
  const [a, b, g] = rotationRad
  const rd = [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)]
  const rh = [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)]
  const rw = [Math.cos(g), -Math.sin(g), 0, Math.sin(g), Math.cos(g), 0, 0, 0, 1]
  return multiply3(multiply3(rd, rh), rw)
}

function multiply3(x: readonly number[], y: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0)
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] = (out[r * 3 + c] as number) + (x[r * 3 + k] as number) * (y[k * 3 + c] as number)
  return out
}

function isIdentity(params: AffineParams): boolean {
  return params.scale === 1 && params.rotationRad.every((angle) => angle === 0) && (params.shiftVoxels ?? [0, 0, 0]).every((s) => s === 0)
}

function padArray(channels: number, padValues: ArrayLike<number> | undefined): Float32Array {
  const out = new Float32Array(channels)
  if (padValues) for (let c = 0; c < channels; c++) out[c] = padValues[c] ?? 0
  return out
}

export function affine(sample: TrainingSample, params: AffineParams, output: AffineOutput = {}): TrainingSample {
  const outShape: Shape3 = output.outputShape ? [...output.outputShape] : [...sample.shape]
  const pad = padArray(sample.channels, output.padValues)
  if (isIdentity(params)) return centreCrop(sample, outShape, { mode: 'constant', values: pad })
  if (!(params.scale > 0)) throw new RangeError(`scale must be positive, got ${params.scale}`)

  const [D, H, W] = sample.shape
  const C = sample.channels
  const src = sample.image
  const srcLabel = sample.label
  const r = rotationMatrix(params.rotationRad)
  // Inverse map Rᵀ / scale: column j of m is how input position moves per output step along axis j.
  const m = [0, 1, 2].flatMap((row) => [0, 1, 2].map((col) => (r[col * 3 + row] as number) / params.scale))
  // A shift moves the content: output p shows what p − shift showed, so it moves the output centre.
  const shift = params.shiftVoxels ?? [0, 0, 0]
  const cOut = outShape.map((n, axis) => (n - 1) / 2 + (shift[axis] as number))
  const cIn = sample.shape.map((n, axis) => Math.floor((n - (outShape[axis] as number)) / 2) + ((outShape[axis] as number) - 1) / 2)
  const image = new Float32Array(voxelCountOfShape(outShape) * C)
  const label = new Uint8Array(voxelCountOfShape(outShape))
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m as [number, number, number, number, number, number, number, number, number]
  const HW = H * W
  let o = 0
  for (let d = 0; d < outShape[0]; d++) {
    const qd = d - (cOut[0] as number)
    for (let h = 0; h < outShape[1]; h++) {
      const qh = h - (cOut[1] as number)
      const qw0 = -(cOut[2] as number)
      let x = (cIn[0] as number) + m00 * qd + m01 * qh + m02 * qw0
      let y = (cIn[1] as number) + m10 * qd + m11 * qh + m12 * qw0
      let z = (cIn[2] as number) + m20 * qd + m21 * qh + m22 * qw0
      for (let w = 0; w < outShape[2]; w++, o++, x += m02, y += m12, z += m22) {
        // Label: nearest voxel, background outside.
        const nd = Math.round(x)
        const nh = Math.round(y)
        const nw = Math.round(z)
        label[o] = nd >= 0 && nd < D && nh >= 0 && nh < H && nw >= 0 && nw < W ? (srcLabel[nd * HW + nh * W + nw] as number) : 0
        // Image: trilinear, pad value for neighbours outside.
        const d0 = Math.floor(x)
        const h0 = Math.floor(y)
        const w0 = Math.floor(z)
        const td = x - d0
        const th = y - h0
        const tw = z - w0
        const out = o * C
        if (d0 >= 0 && d0 + 1 < D && h0 >= 0 && h0 + 1 < H && w0 >= 0 && w0 + 1 < W) {
          const b = (d0 * HW + h0 * W + w0) * C
          const sH = W * C
          const sD = HW * C
          for (let c = 0; c < C; c++) {
            const p = b + c
            const v00 = (src[p] as number) + tw * ((src[p + C] as number) - (src[p] as number))
            const v01 = (src[p + sH] as number) + tw * ((src[p + sH + C] as number) - (src[p + sH] as number))
            const v10 = (src[p + sD] as number) + tw * ((src[p + sD + C] as number) - (src[p + sD] as number))
            const v11 = (src[p + sD + sH] as number) + tw * ((src[p + sD + sH + C] as number) - (src[p + sD + sH] as number))
            const v0 = v00 + th * (v01 - v00)
            const v1 = v10 + th * (v11 - v10)
            image[out + c] = v0 + td * (v1 - v0)
          }
        } else {
          for (let c = 0; c < C; c++) {
            let sum = 0
            for (let corner = 0; corner < 8; corner++) {
              const cd = d0 + (corner >> 2)
              const ch = h0 + ((corner >> 1) & 1)
              const cw = w0 + (corner & 1)
              const weight = (corner >> 2 ? td : 1 - td) * ((corner >> 1) & 1 ? th : 1 - th) * (corner & 1 ? tw : 1 - tw)
              if (weight === 0) continue
              const inside = cd >= 0 && cd < D && ch >= 0 && ch < H && cw >= 0 && cw < W
              sum += weight * (inside ? (src[(cd * HW + ch * W + cw) * C + c] as number) : (pad[c] as number))
            }
            image[out + c] = sum
          }
        }
      }
    }
  }
  return { image, label, shape: outShape, channels: C }
}

const DEG = Math.PI / 180

/** Draws a rotation and a scale; always six draws. Null when neither fires. */
export function drawAffine(rotate: RotateOptions, zoom: ZoomOptions, random: Random): AffineParams | null {
  const rotates = random.chance(rotate.probability)
  const a = random.uniform(-1, 1) * rotate.maxDegrees.inPlane * DEG
  const b = random.uniform(-1, 1) * rotate.maxDegrees.outOfPlane * DEG
  const g = random.uniform(-1, 1) * rotate.maxDegrees.outOfPlane * DEG
  const zooms = random.chance(zoom.probability)
  const scale = random.uniform(zoom.range[0], zoom.range[1])
  if (!rotates && !zooms) return null
  return { rotationRad: rotates ? [a, b, g] : [0, 0, 0], scale: zooms ? scale : 1 }
}

export function randomAffine(sample: TrainingSample, rotate: RotateOptions, zoom: ZoomOptions, random: Random, output: AffineOutput = {}): TrainingSample {
  const params = drawAffine(rotate, zoom, random)
  return params ? affine(sample, params, output) : centreCrop(sample, output.outputShape ?? sample.shape, { mode: 'constant', values: padArray(sample.channels, output.padValues) })
}

/**
 * The input region that every rotation and scale allowed by the options reads from when producing
 * `outputShape`, so that no output voxel needs padding. Differs from the output by an even number of
 * voxels per axis, so the two share a centre exactly.
 */
export function affineRegionShape(outputShape: Shape3, rotate: RotateOptions, zoom: ZoomOptions): Shape3 {
  const minScale = zoom.probability > 0 ? Math.min(1, zoom.range[0]) : 1
  const maxIn = rotate.probability > 0 ? Math.abs(rotate.maxDegrees.inPlane) * DEG : 0
  const maxOut = rotate.probability > 0 ? Math.abs(rotate.maxDegrees.outOfPlane) * DEG : 0
  const half = outputShape.map((n) => (n - 1) / 2)
  const reach = [0, 0, 0]
  // The reach is a maximum of |Rᵀ|·half over the angle box; a grid including the ends and zero is enough
  // in practice (the function is smooth, and 1 voxel of slack is added).
  const steps = 8
  const angles = (max: number): number[] => (max === 0 ? [0] : Array.from({ length: 2 * steps + 1 }, (_, i) => ((i - steps) / steps) * max))
  for (const a of angles(maxIn)) {
    for (const b of angles(maxOut)) {
      for (const g of angles(maxOut)) {
        const r = rotationMatrix([a, b, g])
        for (let axis = 0; axis < 3; axis++) {
          let sum = 0
          for (let j = 0; j < 3; j++) sum += Math.abs(r[j * 3 + axis] as number) * (half[j] as number)
          reach[axis] = Math.max(reach[axis] as number, sum / minScale)
        }
      }
    }
  }
  return outputShape.map((n, axis) => {
    const margin = Math.max(0, Math.ceil((reach[axis] as number) - (half[axis] as number) + (isNoOp(maxIn, maxOut, minScale) ? 0 : 1)))
    return n + 2 * margin
  }) as Shape3
}

function isNoOp(maxIn: number, maxOut: number, minScale: number): boolean {
  return maxIn === 0 && maxOut === 0 && minScale === 1
}
