/**
 * A 2D mask image read as label ids. Masks come in a few encodings and the file does not say
 * which, so the values decide, by these rules (tests: maskLabels.test.ts):
 *
 * Grey 8-bit, no class list
 *   1. Only 0 and 255 → 'binary-255': 255 is label 1.
 *   2. 0/255 with a few in-between values (anti-aliased edges): when they are under 2 % of the pixels
 *      and lie along edges rather than forming regions of their own (under 10 % of them have four
 *      neighbours of their own value), they are thresholded at 128 (≥ 128 is label 1), with a note.
 *   3. At most 64 distinct non-zero values → 'ids': each value is a label id as stored. This takes
 *      0/1 and 0/1/2… masks, and also masks that space their classes out for visibility
 *      ({0, 128, 255} gives labels 128 and 255, not 1 and 2): no renumbering, so a class list
 *      written for the values applies, and a mask exported with 'ids' has the values it came with.
 *   4. More → refused: a grey photo or X-ray given as a mask by mistake.
 *   An all-zero mask is 'ids' with no ids (and a note).
 * Grey from a JPEG: lossy compression leaves no value exact, so only black-and-white masks are
 *   read: under 2 % of pixels between 33 and 222 → thresholded at 128 (a note says so); anything
 *   else is refused with the advice to save masks as PNG.
 * Grey 16-bit: 'ids' as stored (at most 64 distinct non-zero values without a class list).
 * Grey with a class list: rule 2 only when some in-between value is not a listed value; then every
 *   non-zero value must be a listed value ('ids', as stored), or the mask must be 0/255 with 1
 *   listed and 255 not ('binary-255', 255 → 1), or every value v must be a listed colour (v, v, v)
 *   ('colours', e.g. {"lung": "#ffffff"}). Otherwise the unlisted values are named.
 * RGB: needs a class list with colours ('colours'); each pixel's colour must be a listed colour;
 *   black is the background unless the list gives black to a class. From a JPEG, colours within a
 *   distance of 48 (in RGB units) of a listed colour take it, and up to 2 % of pixels further away
 *   (edges blurred by chroma subsampling) take the nearest; notes give both counts.
 */
import { VoxloopError } from '../../../shared/errors'
import type { ClassEntry } from './classList'
import { formatCount, type Image2D } from './common'

export interface MaskLabels {
  /** width*height label ids, row-major like Image2D.data. */
  labels: Uint8Array | Uint16Array
  /** How the mask's values were read: 'binary-255' (0/255 → 0/1), 'ids' (values used as label ids), 'colours' (RGB mapped through the class list). */
  encoding: 'binary-255' | 'ids' | 'colours'
  /** Label ids present (without 0). */
  ids: number[]
  /** Human-readable notes for the import report, e.g. "thresholded 1,204 anti-aliased edge pixels at 128". */
  notes: string[]
}

export interface LabelsFromMaskOptions {
  /** The class list's file name, for messages ("… is not in classes.json"); "the class list" when absent. */
  classFile?: string
}

/** More distinct values than this, without a class list, is an image rather than a mask. */
export const MAX_MASK_VALUES = 64
/** In-between values on fewer than this fraction of pixels may be anti-aliasing (or JPEG noise). */
const MAX_IN_BETWEEN_FRACTION = 0.02
/** In-between pixels forming regions (four equal neighbours) above this fraction are a class, not an edge. */
const MAX_INTERIOR_FRACTION = 0.1
/** JPEG grey: values this close to 0 or 255 count as black or white. */
const JPEG_GREY_TOLERANCE = 32
/** JPEG colour: Euclidean RGB distance within which a pixel takes the nearest listed colour. */
const JPEG_COLOUR_TOLERANCE = 48

function maskError(file: string, problem: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `${file}: ${problem}`)
}

function labelArray(pixelCount: number, maxId: number): Uint8Array | Uint16Array {
  return maxId > 255 ? new Uint16Array(pixelCount) : new Uint8Array(pixelCount)
}

/** Applies `idOf` (indexed by stored value) to every pixel. */
function mapValues(data: Uint8Array | Uint16Array, idOf: Uint16Array): { labels: Uint8Array | Uint16Array; ids: number[] } {
  let maxId = 0
  for (const id of idOf) if (id > maxId) maxId = id
  const labels = labelArray(data.length, maxId)
  const present = new Set<number>()
  for (let index = 0; index < data.length; index++) {
    const id = idOf[data[index] ?? 0] ?? 0
    labels[index] = id
    if (id !== 0) present.add(id)
  }
  return { labels, ids: [...present].sort((a, b) => a - b) }
}

function histogram(data: Uint8Array | Uint16Array, bits: 8 | 16): Uint32Array {
  const counts = new Uint32Array(bits === 16 ? 65536 : 256)
  for (let index = 0; index < data.length; index++) {
    const value = data[index] ?? 0
    counts[value] = (counts[value] ?? 0) + 1
  }
  return counts
}

function presentValues(counts: Uint32Array): number[] {
  const values: number[] = []
  for (let value = 0; value < counts.length; value++) if ((counts[value] ?? 0) > 0) values.push(value)
  return values
}

/** In-between (not 0, not 255) pixels whose four neighbours in the image all share their value. */
function interiorInBetween(mask: Image2D): number {
  const { width, height, data } = mask
  let interior = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * width + x
      const value = data[at] ?? 0
      if (value === 0 || value === 255) continue
      if (x > 0 && data[at - 1] !== value) continue
      if (x < width - 1 && data[at + 1] !== value) continue
      if (y > 0 && data[at - width] !== value) continue
      if (y < height - 1 && data[at + width] !== value) continue
      interior++
    }
  }
  return interior
}

function listValues(values: readonly number[], counts: Uint32Array): string {
  const shown = values.slice(0, 10).join(', ')
  const more = values.length > 10 ? ` and ${values.length - 10} more` : ''
  const pixels = values.reduce((sum, value) => sum + (counts[value] ?? 0), 0)
  return `${shown}${more} (on ${formatCount(pixels)} pixel${pixels === 1 ? '' : 's'})`
}

/** The 8-bit grey mask thresholded at 128 when rule 2 (or the JPEG rule) applies, with its note; null when it does not. */
function thresholded(mask: Image2D, counts: Uint32Array): { data: Uint8Array; note: string } | null {
  const pixelCount = mask.width * mask.height
  const inBetween = pixelCount - (counts[0] ?? 0) - (counts[255] ?? 0)
  if (mask.format === 'jpeg') {
    let middle = 0
    for (let value = JPEG_GREY_TOLERANCE + 1; value < 255 - JPEG_GREY_TOLERANCE; value++) middle += counts[value] ?? 0
    if (middle >= MAX_IN_BETWEEN_FRACTION * pixelCount) return null
    const note = `JPEG mask: thresholded at 128 (${formatCount(inBetween)} pixels were not exactly 0 or 255 after lossy compression)`
    return { data: binarised(mask.data), note }
  }
  if ((counts[255] ?? 0) === 0 || inBetween === 0 || inBetween >= MAX_IN_BETWEEN_FRACTION * pixelCount) return null
  if (interiorInBetween(mask) >= MAX_INTERIOR_FRACTION * inBetween) return null
  return { data: binarised(mask.data), note: `thresholded ${formatCount(inBetween)} anti-aliased edge pixel${inBetween === 1 ? '' : 's'} at 128` }
}

function binarised(data: Uint8Array | Uint16Array): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let index = 0; index < data.length; index++) out[index] = (data[index] ?? 0) >= 128 ? 255 : 0
  return out
}

function greyLabels(mask: Image2D, classes: readonly ClassEntry[] | null, classFile: string): MaskLabels {
  const notes: string[] = []
  let data = mask.data
  let counts = histogram(data, mask.bitsPerSample)
  const listed = new Map<number, ClassEntry>()
  for (const entry of classes ?? []) listed.set(entry.value, entry)
  const isEightBit = mask.bitsPerSample === 8
  const onlyBlackAndWhite = (): boolean => presentValues(counts).every((value) => value === 0 || value === 255)

  if (isEightBit && !onlyBlackAndWhite()) {
    // A class list that names every in-between value says they are classes, not edges; JPEG
    // values are never exact, so a JPEG mask is always thresholded.
    const unlistedExists = classes === null || presentValues(counts).some((value) => value !== 0 && !listed.has(value))
    const result = unlistedExists || mask.format === 'jpeg' ? thresholded(mask, counts) : null
    if (result !== null) {
      data = result.data
      counts = histogram(data, 8)
      notes.push(result.note)
    } else if (mask.format === 'jpeg') {
      throw maskError(mask.file, 'a JPEG mask that is not black and white (0/255): lossy JPEG changes label values, so save masks as PNG')
    }
  }
  const values = presentValues(counts)
  const nonZero = values.filter((value) => value !== 0)
  const identity = (): Uint16Array => {
    const idOf = new Uint16Array(counts.length)
    for (const value of nonZero) idOf[value] = value
    return idOf
  }
  const finish = (encoding: MaskLabels['encoding'], idOf: Uint16Array): MaskLabels => {
    const { labels, ids } = mapValues(data, idOf)
    if (ids.length === 0) notes.push('empty mask (every pixel is 0)')
    return { labels, encoding, ids, notes }
  }

  if (classes === null) {
    if (nonZero.length === 0) return finish('ids', identity())
    if (isEightBit && values.every((value) => value === 0 || value === 255)) {
      const idOf = new Uint16Array(256)
      idOf[255] = 1
      return finish('binary-255', idOf)
    }
    if (nonZero.length > MAX_MASK_VALUES) {
      throw maskError(
        mask.file,
        `${formatCount(values.length)} distinct grey values — this looks like an image, not a mask (a mask has at most ${MAX_MASK_VALUES} label values; give a class list if it really has more)`
      )
    }
    return finish('ids', identity())
  }

  const unlisted = nonZero.filter((value) => !listed.has(value))
  if (unlisted.length === 0) return finish('ids', identity())
  if (isEightBit && unlisted.length === 1 && unlisted[0] === 255 && nonZero.length === 1 && listed.has(1)) {
    const idOf = new Uint16Array(256)
    idOf[255] = 1
    return finish('binary-255', idOf)
  }
  if (isEightBit) {
    // A list of grey colours ({"lung": "#ffffff"}) read against a mask stored as grey.
    const byGrey = new Map<number, ClassEntry>()
    for (const entry of classes) if (entry.color !== null && entry.color[0] === entry.color[1] && entry.color[1] === entry.color[2]) byGrey.set(entry.color[0], entry)
    if (byGrey.size > 0 && values.every((value) => byGrey.has(value) || value === 0)) {
      const idOf = new Uint16Array(256)
      for (const value of values) idOf[value] = byGrey.get(value)?.value ?? 0
      return finish('colours', idOf)
    }
  }
  throw maskError(mask.file, `grey value${unlisted.length === 1 ? '' : 's'} ${listValues(unlisted, counts)} ${unlisted.length === 1 ? 'is' : 'are'} not in ${classFile}`)
}

function colourKey(red: number, green: number, blue: number): number {
  return (red << 16) | (green << 8) | blue
}

function describeColour(key: number): string {
  return `(${(key >> 16) & 0xff}, ${(key >> 8) & 0xff}, ${key & 0xff})`
}

function colourLabels(mask: Image2D, classes: readonly ClassEntry[] | null, classFile: string): MaskLabels {
  const coloured = (classes ?? []).filter((entry) => entry.color !== null)
  if (coloured.length === 0) {
    const why = classes === null ? 'none was given' : `${classFile} gives no colours`
    throw maskError(mask.file, `an RGB colour mask needs a class list with colours (name → colour); ${why}`)
  }
  if (mask.bitsPerSample !== 8) throw maskError(mask.file, 'a 16-bit RGB mask; colour masks must be 8-bit')
  const idOfColour = new Map<number, number>()
  for (const entry of coloured) if (entry.color !== null) idOfColour.set(colourKey(...entry.color), entry.value)
  if (!idOfColour.has(0)) idOfColour.set(0, 0)

  // Every distinct colour once: a mask has a handful, and the mapping is then one lookup a pixel.
  const pixelCount = mask.width * mask.height
  const colourCounts = new Map<number, number>()
  const keys = new Uint32Array(pixelCount)
  for (let pixel = 0, at = 0; pixel < pixelCount; pixel++, at += 3) {
    const key = colourKey(mask.data[at] ?? 0, mask.data[at + 1] ?? 0, mask.data[at + 2] ?? 0)
    keys[pixel] = key
    colourCounts.set(key, (colourCounts.get(key) ?? 0) + 1)
  }
  const unmatched = [...colourCounts.entries()].filter(([key]) => !idOfColour.has(key)).sort((a, b) => b[1] - a[1])
  const notes: string[] = []
  if (unmatched.length > 0) {
    if (mask.format !== 'jpeg') throw unmatchedError(mask.file, unmatched, classFile)
    const listedColours = [...idOfColour.entries()]
    let near = 0
    const far: [number, number][] = []
    for (const [key, count] of unmatched) {
      let best = listedColours[0] ?? [0, 0]
      let bestDistance = Number.POSITIVE_INFINITY
      for (const candidate of listedColours) {
        const distance = Math.hypot(((key >> 16) & 0xff) - ((candidate[0] >> 16) & 0xff), ((key >> 8) & 0xff) - ((candidate[0] >> 8) & 0xff), (key & 0xff) - (candidate[0] & 0xff))
        if (distance < bestDistance) {
          bestDistance = distance
          best = candidate
        }
      }
      idOfColour.set(key, best[1])
      if (bestDistance <= JPEG_COLOUR_TOLERANCE) near += count
      else far.push([key, count])
    }
    const farPixels = far.reduce((sum, [, count]) => sum + count, 0)
    if (farPixels > MAX_IN_BETWEEN_FRACTION * pixelCount) throw unmatchedError(mask.file, far, classFile, ` (more than ${JPEG_COLOUR_TOLERANCE} from any listed colour)`)
    if (near > 0) notes.push(`JPEG mask: ${formatCount(near)} pixels took the nearest class colour (within ${JPEG_COLOUR_TOLERANCE})`)
    if (farPixels > 0) notes.push(`JPEG mask: ${formatCount(farPixels)} edge pixels further than ${JPEG_COLOUR_TOLERANCE} from any class colour took the nearest one`)
  }
  let maxId = 0
  for (const id of idOfColour.values()) if (id > maxId) maxId = id
  const labels = labelArray(pixelCount, maxId)
  const present = new Set<number>()
  for (let pixel = 0; pixel < pixelCount; pixel++) {
    const id = idOfColour.get(keys[pixel] ?? 0) ?? 0
    labels[pixel] = id
    if (id !== 0) present.add(id)
  }
  if (present.size === 0) notes.push('empty mask (every pixel is background)')
  return { labels, encoding: 'colours', ids: [...present].sort((a, b) => a - b), notes }
}

function unmatchedError(file: string, unmatched: readonly [number, number][], classFile: string, qualifier = ''): VoxloopError {
  const [first] = unmatched
  if (first === undefined) return maskError(file, 'colours are not in the class list')
  const [key, count] = first
  const others = unmatched.slice(1)
  const otherPixels = others.reduce((sum, [, pixels]) => sum + pixels, 0)
  const more = others.length === 0 ? '' : `, nor are ${formatCount(others.length)} other colour${others.length === 1 ? '' : 's'} on ${formatCount(otherPixels)} pixels`
  const looksLikeImage = unmatched.length > 256 ? ' — this looks like an image, not a mask' : ''
  return maskError(file, `colour ${describeColour(key)} on ${formatCount(count)} pixel${count === 1 ? '' : 's'} is not in ${classFile}${qualifier}${more}${looksLikeImage}`)
}

/** The label ids of a mask (rules above). Throws INVALID_ARGUMENT naming the mask and the problem. */
export function labelsFromMask(mask: Image2D, classes: readonly ClassEntry[] | null, options: LabelsFromMaskOptions = {}): MaskLabels {
  const classFile = options.classFile ?? 'the class list'
  const list = classes === null || classes.length === 0 ? null : classes
  return mask.channels === 3 ? colourLabels(mask, list, classFile) : greyLabels(mask, list, classFile)
}
