/**
 * 2D images (PNG, JPEG, TIFF) as one plain shape for the import: a typed array of samples, row-major
 * from the top row, channels interleaved. Alpha is dropped (a mask or an X-ray has no use for it)
 * and an RGB image whose three channels are equal everywhere becomes grey, because many tools save
 * grey masks and X-rays as RGB(A) and the label rules must see one channel to read them.
 *
 * The format is chosen by the file's magic bytes, not its extension: a mask saved as "m.png" by a
 * tool that wrote JPEG must be read (and treated) as the lossy JPEG it is.
 */
import { VoxloopError } from '../../../shared/errors'

export type Image2dFormat = 'png' | 'jpeg' | 'tiff'

export interface Image2D {
  /** The path (or name) it came from, for error messages. */
  file: string
  format: Image2dFormat
  width: number
  height: number
  /** Alpha dropped; an RGB(A) image whose R, G and B are equal everywhere is returned as 1 channel. */
  channels: 1 | 3
  bitsPerSample: 8 | 16
  /** Row-major, row 0 = top row of the file, channels interleaved (RGBRGB…). */
  data: Uint8Array | Uint16Array
  /** Pixel spacing in mm [x (column), y (row)] when the file states it (PNG pHYs with unit metre; TIFF X/YResolution with unit cm or inch), else null. */
  spacingMm: [number, number] | null
}

/**
 * Largest width or height accepted. 16384 is the texture limit of most GPUs (the viewer shows the
 * image as one texture) and keeps a 16-bit RGB image within 1.5 GiB; larger slides need tiling,
 * which a one-slice case cannot offer.
 */
export const MAX_IMAGE_2D_SIDE = 16384

/** Every image failure names the file first, like the NIfTI reader's, for import reports. */
export function imageError(file: string, problem: string, cause?: unknown): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `${file}: ${problem}`, cause === undefined ? {} : { cause })
}

/** The size checks every decoder runs on the header, before anything of that size is allocated. */
export function checkImageSize(file: string, width: number, height: number): void {
  if (!(width > 0) || !(height > 0)) throw imageError(file, `the image is ${width}×${height} pixels; a width or height of 0 holds no image`)
  if (width > MAX_IMAGE_2D_SIDE || height > MAX_IMAGE_2D_SIDE) {
    throw imageError(file, `the image is ${width}×${height} pixels, too large (at most ${MAX_IMAGE_2D_SIDE}×${MAX_IMAGE_2D_SIDE})`)
  }
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US')
}

/**
 * Interleaved samples with `inChannels` per pixel (1..4) reduced to what Image2D keeps: the first
 * channel when the image is grey (1 or 2 channels, or 3/4 with R = G = B everywhere), else R, G, B.
 * `hasColour` false means channels 1..2 are not colour (grey, grey + alpha).
 */
export function keptChannels<T extends Uint8Array | Uint16Array>(
  samples: T,
  pixelCount: number,
  inChannels: number,
  hasColour: boolean,
  make: (length: number) => T
): { data: T; channels: 1 | 3 } {
  if (!hasColour) {
    if (inChannels === 1) return { data: samples.length === pixelCount ? samples : (samples.subarray(0, pixelCount) as T), channels: 1 }
    const grey = make(pixelCount)
    for (let pixel = 0, at = 0; pixel < pixelCount; pixel++, at += inChannels) grey[pixel] = samples[at] ?? 0
    return { data: grey, channels: 1 }
  }
  let isGrey = true
  for (let at = 0, end = pixelCount * inChannels; at < end; at += inChannels) {
    const red = samples[at]
    if (red !== samples[at + 1] || red !== samples[at + 2]) {
      isGrey = false
      break
    }
  }
  if (isGrey) {
    const grey = make(pixelCount)
    for (let pixel = 0, at = 0; pixel < pixelCount; pixel++, at += inChannels) grey[pixel] = samples[at] ?? 0
    return { data: grey, channels: 1 }
  }
  if (inChannels === 3) return { data: samples.length === pixelCount * 3 ? samples : (samples.subarray(0, pixelCount * 3) as T), channels: 3 }
  const rgb = make(pixelCount * 3)
  for (let pixel = 0, at = 0, out = 0; pixel < pixelCount; pixel++, at += inChannels, out += 3) {
    rgb[out] = samples[at] ?? 0
    rgb[out + 1] = samples[at + 1] ?? 0
    rgb[out + 2] = samples[at + 2] ?? 0
  }
  return { data: rgb, channels: 3 }
}

