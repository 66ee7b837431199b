/**
 * What the 4th dimension of a 4D NIfTI image holds: channels (sequences of one image, such as
 * FLAIR/T1/T1Gd/T2) or time points (fMRI, perfusion, cine), decided per file from what the dataset
 * and the header say (issue #14).
 *
 * NIfTI reserves dim[4] for time: bits 3–5 of xyzt_units give the unit of pixdim[4] (the TR), and
 * dcm2niix writes seconds and the TR there. But MSD's BraTS images and many ITK-written files keep
 * channels in dim[4] with the same "seconds" unit and pixdim[4] = 1, so a dataset.json that lists
 * exactly dim[4] channels outranks the header. Without either the file is ambiguous, and the import
 * keeps reading it as channels, as it always has; the channel-count check then names --4d time.
 */
import type { Volume, VolumeHeader } from '../../../shared/volume'
import { voxelCount } from '../../../shared/volume'

export type FourthDimension =
  | { meaning: 'channels'; why: string }
  | { meaning: 'time'; why: string; tr: string | null }
  | { meaning: 'unknown' }

/** nifti1.h NIFTI_INTENT_TIME_SERIES: "the value at each location is from a time series". */
export const NIFTI_INTENT_TIME_SERIES = 2001
/** nifti1.h: the time bits of xyzt_units (NIFTI_UNITS_SEC, _MSEC, _USEC; 32–48 are spectral). */
const TIME_UNIT_MASK = 0x38
const TIME_UNITS: Readonly<Record<number, string>> = { 8: 's', 16: 'ms', 24: 'µs' }

/** dim[4] of the file: 1 for 3D images and for RGB, whose channels are packed in one voxel. */
export function fourthDimensionSize(header: Pick<VolumeHeader, 'channels' | 'storedDatatype'>): number {
  return header.storedDatatype === 'rgb24' || header.storedDatatype === 'rgba32' ? 1 : header.channels
}

/** "2 s" from pixdim[4] and the time unit, or null when the header gives no unit or no positive step. */
function repetitionTime(header: Pick<VolumeHeader, 'geometry'>): string | null {
  const unit = TIME_UNITS[header.geometry.xyztUnits & TIME_UNIT_MASK]
  const step = header.geometry.pixdim[4] ?? 0
  // pixdim is float32 in NIfTI-1: 0.8 is stored as 0.800000011920929.
  return unit !== undefined && Number.isFinite(step) && step > 0 ? `${Number(step.toPrecision(6))} ${unit}` : null
}

/**
 * The meaning of dim[4] (call only when it is above 1): channels when dataset.json states exactly
 * that many channels (`datasetChannels`, null when it states none); else time when the header gives
 * a time unit with a positive pixdim[4], or the time-series intent; else unknown.
 */
export function fourthDimensionOf(
  header: Pick<VolumeHeader, 'channels' | 'storedDatatype' | 'geometry'>,
  intentCode: number,
  datasetChannels: readonly string[] | null
): FourthDimension {
  const size = fourthDimensionSize(header)
  if (datasetChannels !== null && datasetChannels.length === size) {
    return { meaning: 'channels', why: `dataset.json lists ${size} channels (${datasetChannels.join(', ')})` }
  }
  const tr = repetitionTime(header)
  if (tr !== null) return { meaning: 'time', why: `the header gives dim[4] a time step of ${tr} (xyzt_units, pixdim[4])`, tr }
  if (intentCode === NIFTI_INTENT_TIME_SERIES) return { meaning: 'time', why: `the header's intent code is ${intentCode} (time series)`, tr: null }
  return { meaning: 'unknown' }
}

/** `<case>_t000`, `_t001`, …: zero-padded to three digits, or more when there are over 1000 time points. */
export function timePointCaseId(caseId: string, point: number, points: number): string {
  const width = Math.max(3, String(points - 1).length)
  return `${caseId}_t${String(point).padStart(width, '0')}`
}

/** Why a time series was not imported without `--4d`, and what to pass instead. */
export function timeSeriesRefusal(caseId: string, points: number, evidence: Extract<FourthDimension, { meaning: 'time' }>): string {
  const first = timePointCaseId(caseId, 0, points)
  const last = timePointCaseId(caseId, points - 1, points)
  return (
    `a 4D time series of ${points} time points (TR ${evidence.tr ?? 'not stated'}; ${evidence.why}), and Voxloop labels 3D volumes: ` +
    `pass --4d time to import each time point as its own case (${first} … ${last}, same affine), ` +
    'or --4d channels if the 4th dimension holds channels (sequences) of one image'
  )
}

/** Time point `point` of a 4D volume as a 3D volume: a view of its voxels, not a copy. */
export function timePoint(volume: Volume, point: number): Volume {
  const voxels = voxelCount(volume.header)
  return { header: { ...volume.header, channels: 1 }, data: volume.data.subarray(point * voxels, (point + 1) * voxels) }
}
