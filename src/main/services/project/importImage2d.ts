import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import { defaultLabelColor, type Image2dSource, type LabelDef } from '../../../shared/project'
import { rasFromIjkFor2d } from '../../../shared/geometry/image2dAffine'
import type { LabelArray, Volume } from '../../../shared/volume'
import { labelsFromMask, readImage2d, type ClassEntry, type Image2D } from '../../../node/formats/image2d'
import { imageHeaderForGrid } from '../../../node/formats/nifti/writeImageNifti'
import type { PlannedCase } from './datasetDiscovery'
import { caseVerdict, type IntensityGuess, type IntensitySummary } from './modalityGuess'

/**
 * A 2D image (PNG, JPEG, TIFF) and its mask as a one-slice case: a width × height × 1 volume whose
 * voxel (i, j, 0) is the pixel in column i, row j (row 0 = the file's top row), with the affine of
 * shared/geometry/image2dAffine.ts, which makes the viewer's axial view show it upright and not
 * mirrored. RGB images keep their three channels; the mask becomes the label map.
 */

/** Spacing used when the file does not state one (the import report says how many files). */
export const DEFAULT_PIXEL_SPACING_MM = 1

/**
 * The image as a width × height × 1 volume of its own bit depth; RGB as 3 channels, channel-major
 * (NIfTI's 4th dimension, as multi-channel cases are stored), de-interleaved from the file's pixels.
 */
export function volumeFromImage2d(image: Image2D, spacingMm: readonly [number, number]): Volume {
  return volumeFromImages2d([image], spacingMm)
}

/**
 * Several pictures of one size (nnU-Net's channel files `<case>_0000.png`, `_0001`, …) as one volume
 * whose channels are theirs in order; 16-bit when any of them is. The caller checks the sizes.
 */
export function volumeFromImages2d(images: readonly Image2D[], spacingMm: readonly [number, number]): Volume {
  const [first] = images
  if (first === undefined) throw new VoxloopError('INVALID_ARGUMENT', 'no image to make a volume of')
  const { width, height } = first
  const pixels = width * height
  const channels = images.reduce((sum, image) => sum + image.channels, 0)
  const datatype = images.some((image) => image.bitsPerSample === 16) ? 'uint16' : 'uint8'
  const header = imageHeaderForGrid({ dims: [width, height, 1], channels, datatype, rasFromIjk: rasFromIjkFor2d(spacingMm) })
  const data = datatype === 'uint16' ? new Uint16Array(pixels * channels) : new Uint8Array(pixels * channels)
  let offset = 0
  for (const image of images) {
    if (image.channels === 1) data.set(image.data.subarray(0, pixels), offset)
    else {
      for (let channel = 0; channel < image.channels; channel++) {
        const plane = offset + channel * pixels
        for (let n = 0; n < pixels; n++) data[plane + n] = image.data[n * image.channels + channel] as number
      }
    }
    offset += image.channels * pixels
  }
  return { header, data }
}

/** The class list's labels (value 0, the background, is not a label); colours from the list or the defaults. */
export function labelDefsFromClasses(classes: readonly ClassEntry[]): LabelDef[] {
  return classes
    .filter((entry) => entry.value > 0)
    .map((entry) => ({ id: entry.value, name: entry.name, color: entry.color ? hexColour(entry.color) : defaultLabelColor(entry.value) }))
    .sort((a, b) => a.id - b.id)
}

function hexColour(color: readonly [number, number, number]): string {
  return `#${color.map((value) => value.toString(16).padStart(2, '0')).join('')}`
}

/**
 * 72 and 96 dpi are what image editors and screenshot tools write into PNG and TIFF files whatever
 * the picture shows (Photoshop's and Windows' defaults), not a detector's pixel size: taken at their
 * word, a chest film would be 18 cm wide at 512 pixels and every area in mm² would be wrong by a
 * factor nobody sees. Such a spacing counts as unknown (1 mm, editable afterwards); other stated
 * resolutions (a film digitiser's 300 dpi, a microscope's µm per pixel) are kept.
 */
const SCREEN_DPI = [72, 96] as const

/** The screen default a stated spacing equals on both axes (within 0.1 %), or null. */
export function screenDefaultDpi(spacingMm: readonly [number, number]): number | null {
  for (const dpi of SCREEN_DPI) {
    const mm = 25.4 / dpi
    if (spacingMm.every((value) => Math.abs(value - mm) <= mm * 1e-3)) return dpi
  }
  return null
}

export interface Image2dCase {
  image: Volume
  label: LabelArray | null
  /** What cases.json keeps for the PNG mask export. */
  source: Image2dSource
  /** False when the file did not state its pixel spacing (1 mm was assumed). */
  spacingKnown: boolean
  /** What the mask decoding noticed, each naming the file. */
  notes: string[]
}

/** A decoding failure names the file: the decoder's own errors do; anything else is wrapped. */
async function readNamed(file: string): Promise<Image2D> {
  try {
    return await readImage2d(file)
  } catch (error) {
    if (error instanceof VoxloopError && error.message.includes(file)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new VoxloopError('INVALID_ARGUMENT', `${file}: cannot read the image: ${reason}`, { cause: error })
  }
}

/**
 * Reads one planned 2D case. Throws, naming the file, when the image or mask cannot be decoded or
 * the mask's size is not the image's: the import then stops with nothing changed (importDataset.ts).
 */
export async function read2dCase(
  planned: PlannedCase,
  classes: readonly ClassEntry[] | null,
  classFile: string | null = null
): Promise<Image2dCase> {
  const file = planned.imageFiles[0]
  if (file === undefined) throw new VoxloopError('INVALID_ARGUMENT', `case ${planned.caseId}: no image file`)
  const picture = await readNamed(file)
  // nnU-Net's further channel files (`<case>_0001.png`, …) must be pictures of the same size.
  const pictures = [picture]
  for (const channelFile of planned.imageFiles.slice(1)) {
    const channel = await readNamed(channelFile)
    if (channel.width !== picture.width || channel.height !== picture.height) {
      throw new VoxloopError(
        'GRID_MISMATCH',
        `${channelFile}: this channel is ${channel.width}×${channel.height} pixels but ${path.basename(file)} of the same case is ${picture.width}×${picture.height}`
      )
    }
    pictures.push(channel)
  }
  const screenDpi = picture.spacingMm ? screenDefaultDpi(picture.spacingMm) : null
  const stated = screenDpi === null ? picture.spacingMm : null
  const spacing = stated ?? [DEFAULT_PIXEL_SPACING_MM, DEFAULT_PIXEL_SPACING_MM]
  const image = volumeFromImages2d(pictures, spacing)
  const source: Image2dSource = { file: path.basename(file), maskEncoding: null }
  const notes = screenDpi === null ? [] : [`${file}: states ${screenDpi} dpi, a screen default rather than a pixel size; treated as unknown`]
  const result: Image2dCase = { image, label: null, source, spacingKnown: stated !== null, notes }
  if (!planned.labelFile) return result
  const mask = await readNamed(planned.labelFile)
  if (mask.width !== picture.width || mask.height !== picture.height) {
    throw new VoxloopError(
      'GRID_MISMATCH',
      `${planned.labelFile}: the mask is ${mask.width}×${mask.height} pixels but its image ${path.basename(file)} is ${picture.width}×${picture.height}`
    )
  }
  const decoded = labelsFromMask(mask, classes, classFile ? { classFile: path.basename(classFile) } : {})
  result.label = decoded.labels
  const maskFile = planned.labelFile
  result.notes.push(...decoded.notes.map((note) => `${maskFile}: ${note}`))
  source.maskEncoding = decoded.encoding
  if (decoded.encoding === 'colours' && classes) {
    source.maskColours = classes.flatMap((entry) => (entry.color ? [{ id: entry.value, color: [...entry.color] as [number, number, number] }] : []))
  }
  return result
}

/**
 * The modality evidence of 2D pictures: PNG, JPEG and TIFF hold grey or colour values, never
 * Hounsfield units, so they are 'other' (X-rays, photographs, microscopy), not MR, which the
 * intensity rule would call any non-CT image. Only the user or a dataset.json naming its channels
 * says otherwise (chooseModality.ts).
 */
export function pictureModalityGuess(summaries: readonly IntensitySummary[]): IntensityGuess | null {
  if (summaries.length === 0) return null
  const counts: IntensityGuess['counts'] = { CT: 0, 'not-CT': 0, mixed: 0, colour: 0 }
  for (const summary of summaries) counts[caseVerdict(summary)]++
  const total = summaries.length
  return {
    modality: 'other',
    confident: true,
    counts,
    disagreeing: [],
    reason: `${total === 1 ? 'the image is a 2D picture' : `the ${total} images are 2D pictures`} (PNG, JPEG or TIFF) of grey or colour values, not Hounsfield units: neither CT nor MR`
  }
}
