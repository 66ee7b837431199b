import type { Modality } from '../../../shared/project'
import type { Volume } from '../../../shared/volume'

/**
 * Modality from the voxel values alone: the last resort when neither the user, DICOM (0008,0060)
 * nor a dataset.json says what the images are (chooseModality.ts has the order).
 *
 * Why this matters: the modality picks the input normalisation of training (fingerprint.ts). CT is
 * calibrated (Hounsfield units: air −1000, fat about −100, water 0, soft tissue 20–80, bone up to
 * ~3000), so nnU-Net normalises it with one dataset-wide window; MR and the rest are uncalibrated
 * and z-scored per volume. nnU-Net and MONAI (Auto3DSeg, Label) never guess: the user writes the
 * modality into dataset.json / the app config. We guess only so that a plain folder of CT gets CT
 * normalisation without that step, and we report the guess and its reason so that a wrong one is
 * seen and overridden (`voxloop import --modality`, the project page).
 *
 * The rule, per image channel (after the reader has applied scl_slope/scl_inter, so CT stored as
 * rescaled integers is already in HU):
 *   1. Padding: scanners fill voxels outside the reconstructed field of view with one constant far
 *      below air (−1024 on some, −2000, −2048, −3024 on others). The most frequent value below
 *      −1024 is left out when it holds ≥ 0.5 % of the voxels, so that a padded CT is judged on the body.
 *   2. HU evidence: at least 2 % of the remaining voxels are ≤ −100 HU (air, lung or fat). MR
 *      magnitude images are non-negative apart from small interpolation or noise-floor dips; the
 *      TotalSegmentator MR example reaches −47, a normalised SPM image dips to −610 in 0.1 % of its voxels.
 *   3. HU range: at most 0.5 % below −1200 (nothing is denser-than-nothing: air is the floor of the
 *      scale, so phase maps and other signed data spread far below fail here) and at most 0.5 % above
 *      4000 (bone and contrast stay below ~3000; beyond it only metal, which is small).
 * A case looks like CT when every channel passes; a dataset is CT when most of its cases do (a tight
 * crop inside one organ may hold no air or fat; one such case does not outvote its neighbours).
 *
 * What it cannot tell, and says so in its reason: CT exported as 8-bit or windowed grey values
 * (no HU left, e.g. niivue's CT_pitch.nii.gz), CT whose intercept was dropped (air at 0), and
 * symmetric signed images within ±1200 (subtraction maps), which can pass as CT. Non-CT images are
 * reported as MR, with low confidence: intensities cannot tell MR from PET or other modalities, and
 * all of them get the same per-volume normalisation, so the choice between them changes nothing in
 * training. Colour (RGB) images are 'other': they are neither CT nor MR.
 */

/** The most voxels per channel looked at; a strided sample beyond that (enough for 0.1 % tails). */
export const MAX_INTENSITY_SAMPLES = 1 << 18

const PADDING_BELOW = -1024
const PADDING_MIN_FRACTION = 0.005
const HU_LOW = -100
const HU_LOW_MIN_FRACTION = 0.02
const HU_FLOOR = -1200
const HU_CEILING = 4000
const OUT_OF_RANGE_MAX_FRACTION = 0.005

/** What the guess needs from one channel of one image. */
export interface ChannelIntensities {
  /** Voxels looked at (after leaving out padding). */
  samples: number
  /** The outside-field-of-view constant left out, or null. */
  padding: { value: number; fraction: number } | null
  /** Shares of the samples (padding excluded). */
  atOrBelowMinus100: number
  belowMinus1200: number
  above4000: number
  min: number
  max: number
  /** Share of samples that are whole numbers (HU are stored as integers). */
  integral: number
}

/** One imported image: where it came from, how it was stored, and its channels' intensities. */
export interface IntensitySummary {
  file: string
  storedDatatype: string
  channels: ChannelIntensities[]
}

export type CaseIntensityVerdict = 'CT' | 'not-CT' | 'mixed' | 'colour'

export interface IntensityGuess {
  modality: Modality
  /** True when the data showed positive evidence (HU values, colour); false for "no sign of CT". */
  confident: boolean
  /** One sentence for the import report: what was seen and what it means. */
  reason: string
  /** How many images gave each verdict. */
  counts: Record<CaseIntensityVerdict, number>
  /** Images on the other side of the CT / not-CT line from the guess (a project should hold one modality). */
  disagreeing: string[]
}

/** The intensity statistics of every channel of `volume`, from at most MAX_INTENSITY_SAMPLES voxels each. */
export function summarizeIntensities(volume: Volume, file: string, maxSamples = MAX_INTENSITY_SAMPLES): IntensitySummary {
  const [nx, ny, nz] = volume.header.dims
  const perChannel = nx * ny * nz
  const channels: ChannelIntensities[] = []
  for (let c = 0; c < volume.header.channels; c++) {
    channels.push(channelIntensities(volume.data, c * perChannel, perChannel, maxSamples))
  }
  return { file, storedDatatype: volume.header.storedDatatype, channels }
}

/**
 * An odd stride through the channel: with power-of-two row lengths it visits every column (the
 * stride and the row length share no factor), so the sample is not one stripe of the image.
 */
function channelIntensities(data: ArrayLike<number>, start: number, length: number, maxSamples: number): ChannelIntensities {
  const step = Math.max(1, Math.ceil(length / maxSamples)) | 1
  const values: number[] = []
  for (let n = start; n < start + length; n += step) {
    const value = data[n] as number
    if (Number.isFinite(value)) values.push(value)
  }
  const padding = paddingOf(values)
  let count = 0
  let low = 0
  let floor = 0
  let ceiling = 0
  let integral = 0
  let min = Infinity
  let max = -Infinity
  for (const value of values) {
    if (padding && value === padding.value) continue
    count++
    if (value <= HU_LOW) low++
    if (value < HU_FLOOR) floor++
    if (value > HU_CEILING) ceiling++
    if (Number.isInteger(value)) integral++
    if (value < min) min = value
    if (value > max) max = value
  }
  const share = (n: number): number => (count === 0 ? 0 : n / count)
  return {
    samples: count,
    padding,
    atOrBelowMinus100: share(low),
    belowMinus1200: share(floor),
    above4000: share(ceiling),
    min: count === 0 ? 0 : min,
    max: count === 0 ? 0 : max,
    integral: share(integral)
  }
}

/** The most frequent value below −1024 when it fills ≥ 0.5 % of the channel (see the file comment). */
function paddingOf(values: readonly number[]): { value: number; fraction: number } | null {
  const counts = new Map<number, number>()
  for (const value of values) if (value < PADDING_BELOW) counts.set(value, (counts.get(value) ?? 0) + 1)
  let best: [number, number] | null = null
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry
  if (!best || values.length === 0) return null
  const fraction = best[1] / values.length
  return fraction >= PADDING_MIN_FRACTION ? { value: best[0], fraction } : null
}

/** Whether one channel's values look like Hounsfield units (rules 2 and 3 of the file comment). */
export function looksLikeHounsfield(channel: ChannelIntensities): boolean {
  return (
    channel.samples > 0 &&
    channel.atOrBelowMinus100 >= HU_LOW_MIN_FRACTION &&
    channel.belowMinus1200 <= OUT_OF_RANGE_MAX_FRACTION &&
    channel.above4000 <= OUT_OF_RANGE_MAX_FRACTION
  )
}

/** The verdict for one image: every channel in HU is CT, some is a mix (e.g. PET stacked on CT). */
export function caseVerdict(summary: IntensitySummary): CaseIntensityVerdict {
  if (summary.storedDatatype === 'rgb24' || summary.storedDatatype === 'rgba32') return 'colour'
  const hu = summary.channels.filter(looksLikeHounsfield).length
  if (hu === 0) return 'not-CT'
  return hu === summary.channels.length ? 'CT' : 'mixed'
}

/**
 * The modality the imported images' intensities suggest (rule and limits: the file comment), or
 * null when there are no images to judge.
 */
export function guessModalityFromIntensities(summaries: readonly IntensitySummary[]): IntensityGuess | null {
  if (summaries.length === 0) return null
  const counts: Record<CaseIntensityVerdict, number> = { CT: 0, 'not-CT': 0, mixed: 0, colour: 0 }
  const verdicts = summaries.map(caseVerdict)
  for (const verdict of verdicts) counts[verdict]++
  const total = summaries.length
  const disagreeingWith = (ct: boolean): string[] => summaries.filter((_, n) => (verdicts[n] === 'CT') !== ct).map((summary) => summary.file)
  const of = (n: number): string => (total === 1 ? (n === 1 ? 'the image' : 'no image') : `${n} of ${total} images`)
  if (counts.CT * 2 > total) {
    return {
      modality: 'CT',
      confident: true,
      counts,
      disagreeing: disagreeingWith(true),
      reason: `${of(counts.CT)} look${counts.CT === 1 && total === 1 ? 's' : ''} like CT in Hounsfield units (air, lung or fat at −100 or below; nothing below −1200 or above 4000 apart from outside-view padding)`
    }
  }
  if (counts.colour * 2 > total) {
    return { modality: 'other', confident: true, counts, disagreeing: disagreeingWith(false), reason: `${of(counts.colour)} ${counts.colour === 1 ? 'is a colour (RGB) image' : 'are colour (RGB) images'}, neither CT nor MR` }
  }
  if (counts.mixed * 2 > total) {
    return {
      modality: 'other',
      confident: true,
      counts,
      disagreeing: disagreeingWith(false),
      reason: `${of(counts.mixed)} stack${counts.mixed === 1 && total === 1 ? 's' : ''} channels in Hounsfield units with channels that are not (e.g. PET with CT)`
    }
  }
  const eightBit = summaries.filter((s) => s.storedDatatype === 'uint8' || s.storedDatatype === 'int8').length
  const hint =
    eightBit * 2 > total
      ? `; ${total === 1 ? 'it is' : 'they are'} stored as 8-bit values, which cannot hold Hounsfield units (a CT exported as grey values looks the same)`
      : ''
  const ctNote = counts.CT > 0 ? ` (${counts.CT} ${counts.CT === 1 ? 'does' : 'do'}: not a majority)` : ''
  return {
    modality: 'MR',
    confident: false,
    counts,
    disagreeing: disagreeingWith(false),
    reason: `${total === 1 ? 'the image does not look' : counts.CT === 0 ? `none of the ${total} images looks` : `${total - counts.CT} of the ${total} images ${total - counts.CT === 1 ? 'does' : 'do'} not look`} like CT in Hounsfield units${ctNote}${hint}; taken as MR, which gets the same per-volume normalisation as any modality other than CT`
  }
}
