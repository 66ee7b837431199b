/**
 * Copying a box out of a channels-last volume, padding where the box leaves it (patches near the
 * border, volumes smaller than the patch). Rows are copied with `TypedArray.set`, so the cost is a
 * memcpy per row plus the padded parts.
 */
import { VoxloopError } from '../../shared/errors'
import { voxelCountOfShape, type Shape3, type TrainingSample } from './layout'

/**
 * How image voxels outside the volume are filled. Labels are always padded with 0 (background).
 * - constant: one value per channel (e.g. each channel's normalised minimum, i.e. "air").
 * - edge: the nearest voxel inside the volume.
 */
export type ImagePadding = { mode: 'constant'; values: ArrayLike<number> } | { mode: 'edge' }

/** A volume to cut from; `label` may be absent (inference), then only the image is cut. */
export interface PatchSource {
  image: Float32Array
  label: Uint8Array | null
  shape: Shape3
  channels: number
}

/** Origin ([d, h, w], may be negative) of the patch of `patchShape` centred on voxel `centre`. */
export function patchOriginForCentre(centre: Shape3, patchShape: Shape3): Shape3 {
  return [centre[0] - Math.floor(patchShape[0] / 2), centre[1] - Math.floor(patchShape[1] / 2), centre[2] - Math.floor(patchShape[2] / 2)]
}

/** Origin of a box of `innerShape` centred in a box of `outerShape` (floor when the margin is odd). */
export function centredOrigin(outerShape: Shape3, innerShape: Shape3): Shape3 {
  return [Math.floor((outerShape[0] - innerShape[0]) / 2), Math.floor((outerShape[1] - innerShape[1]) / 2), Math.floor((outerShape[2] - innerShape[2]) / 2)]
}

function fillPad(out: Float32Array, start: number, voxels: number, channels: number, values: ArrayLike<number>): void {
  if (channels === 1) {
    out.fill(values[0] as number, start, start + voxels)
    return
  }
  for (let v = 0, o = start * channels; v < voxels; v++) for (let c = 0; c < channels; c++) out[o++] = values[c] as number
}

/**
 * Writes the box [origin, origin + patchShape) of `source` into `imageOut` (and `labelOut` when both
 * the source has a label and one is given). The outputs may be views into a batch buffer.
 */
export function extractPatchInto(
  source: PatchSource,
  origin: Shape3,
  patchShape: Shape3,
  padding: ImagePadding,
  imageOut: Float32Array,
  labelOut: Uint8Array | null
): void {
  const { image, label, shape, channels: C } = source
  const [D, H, W] = shape
  const [pd, ph, pw] = patchShape
  if (imageOut.length !== voxelCountOfShape(patchShape) * C || (labelOut && labelOut.length !== voxelCountOfShape(patchShape))) {
    throw new VoxloopError('INVALID_ARGUMENT', `patch buffers do not match patch shape [${patchShape.join(', ')}] × ${C}`)
  }
  if (padding.mode === 'constant' && padding.values.length < C) {
    throw new VoxloopError('INVALID_ARGUMENT', `padding needs ${C} values, one per channel`)
  }
  // Columns of the patch that fall inside the volume: [wIn0, wIn1).
  const wIn0 = Math.min(pw, Math.max(0, -origin[2]))
  const wIn1 = Math.max(wIn0, Math.min(pw, W - origin[2]))
  for (let d = 0; d < pd; d++) {
    const sd = origin[0] + d
    for (let h = 0; h < ph; h++) {
      const sh = origin[1] + h
      const row = (d * ph + h) * pw
      const inside = sd >= 0 && sd < D && sh >= 0 && sh < H
      if (labelOut) {
        if (inside && label && wIn1 > wIn0) {
          const src = (sd * H + sh) * W + origin[2]
          labelOut.fill(0, row, row + wIn0)
          labelOut.set(label.subarray(src + wIn0, src + wIn1), row + wIn0)
          labelOut.fill(0, row + wIn1, row + pw)
        } else {
          labelOut.fill(0, row, row + pw)
        }
      }
      if (padding.mode === 'constant') {
        if (!inside || wIn1 === wIn0) {
          fillPad(imageOut, row, pw, C, padding.values)
          continue
        }
        const src = ((sd * H + sh) * W + origin[2]) * C
        fillPad(imageOut, row, wIn0, C, padding.values)
        imageOut.set(image.subarray(src + wIn0 * C, src + wIn1 * C), (row + wIn0) * C)
        fillPad(imageOut, row + wIn1, pw - wIn1, C, padding.values)
      } else {
        // Edge: clamp every coordinate into the volume.
        const cd = Math.min(D - 1, Math.max(0, sd))
        const ch = Math.min(H - 1, Math.max(0, sh))
        const srcRow = (cd * H + ch) * W
        for (let w = 0; w < pw; w++) {
          const sw = Math.min(W - 1, Math.max(0, origin[2] + w))
          const s = (srcRow + sw) * C
          const o = (row + w) * C
          for (let c = 0; c < C; c++) imageOut[o + c] = image[s + c] as number
        }
      }
    }
  }
}

/** A new patch [origin, origin + patchShape) of `source`; an absent label comes back all background. */
export function extractPatch(source: PatchSource, origin: Shape3, patchShape: Shape3, padding: ImagePadding): TrainingSample {
  const image = new Float32Array(voxelCountOfShape(patchShape) * source.channels)
  const label = new Uint8Array(voxelCountOfShape(patchShape))
  extractPatchInto(source, origin, patchShape, padding, image, label)
  return { image, label, shape: [...patchShape], channels: source.channels }
}

/** The centred box of `outputShape` (crop when smaller, pad when larger). */
export function centreCrop(sample: TrainingSample, outputShape: Shape3, padding: ImagePadding): TrainingSample {
  return extractPatch(sample, centredOrigin(sample.shape, outputShape), outputShape, padding)
}
