/**
 * The dataset fingerprint (nnU-Net's term): what the training cases are, measured once per run, and
 * the input normalisation chosen from it. Pure functions over the cases' own grids.
 *
 * Normalisation (nnU-Net's rules, which its papers show to matter most for CT):
 * - CT: Hounsfield units mean the same in every scan, so one dataset-wide map fits all cases: clip
 *   to the 0.5–99.5 percentiles of the labelled foreground's intensities, then z-score with the
 *   foreground's mean and sd. The structures being segmented get the whole numeric range, instead
 *   of a fixed −1000…1000 HU window in which soft tissue spans a few hundredths.
 * - MR and other: units differ between scans (the hippocampus set holds a case ~100× brighter than
 *   its neighbours), so each volume is z-scored on its own robust statistics (normalize.ts).
 */
import type { Modality } from '../../shared/project'
import type { DatasetFingerprint, NormalizationPlan } from '../../shared/training'
import type { Vec3 } from '../../shared/volume'
import { shapeFromDims, type Shape3 } from './layout'
import { percentilesInPlace } from './percentile'

/** Voxels sampled per case for the intensity statistics (nnU-Net samples 10,000). */
export const FINGERPRINT_VOXELS_PER_CASE = 10_000

export interface FingerprintCase {
  /** Image dims [x, y, z] (VolumeHeader.dims), spacing [x, y, z] mm, channel count. */
  dims: Vec3
  spacingMm: Vec3
  channels: number
  /** Voxel values, channel-major as in a NIfTI (channel c at c·N + i + nx·(j + ny·k)). */
  data: ArrayLike<number>
  /** Class indices on the same grid (0 = background), or null for an unlabelled case. */
  labels: ArrayLike<number> | null
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

function perAxis<T extends number[]>(rows: readonly T[], reduce: (values: number[]) => number): T {
  const width = rows[0]?.length ?? 0
  return Array.from({ length: width }, (_, axis) => reduce(rows.map((row) => row[axis] as number))) as T
}

/**
 * What one case adds to the fingerprint, so that a run can measure its cases one at a time and keep
 * only this (at most FINGERPRINT_VOXELS_PER_CASE numbers per channel) instead of every volume.
 */
export interface FingerprintContribution {
  spacingMm: Vec3
  /** [D, H, W] of the case's own grid. */
  shape: Shape3
  channels: number
  /** Per channel: the sampled foreground intensities in voxel order; none without a label. */
  foregroundSamples: number[][]
}

export function fingerprintContribution(c: FingerprintCase): FingerprintContribution {
  const foregroundSamples: number[][] = []
  const labels = c.labels
  if (labels) {
    const voxels = labels.length
    let foreground = 0
    for (let v = 0; v < voxels; v++) if (labels[v] !== 0) foreground++
    const stride = Math.max(1, Math.ceil(foreground / FINGERPRINT_VOXELS_PER_CASE))
    for (let channel = 0; channel < c.channels; channel++) {
      const picked: number[] = []
      let seen = 0
      for (let v = 0; v < voxels; v++) {
        if (labels[v] === 0) continue
        if (seen++ % stride !== 0) continue
        const x = c.data[channel * voxels + v] as number
        if (Number.isFinite(x)) picked.push(x)
      }
      foregroundSamples.push(picked)
    }
  }
  return { spacingMm: [...c.spacingMm], shape: [...shapeFromDims(c.dims)], channels: c.channels, foregroundSamples }
}

export function computeFingerprint(cases: readonly FingerprintCase[]): DatasetFingerprint {
  return combineFingerprint(cases.map(fingerprintContribution))
}

/** The fingerprint of the cases whose contributions these are, in this order. */
export function combineFingerprint(contributions: readonly FingerprintContribution[]): DatasetFingerprint {
  const spacings = contributions.map((c) => [...c.spacingMm] as Vec3)
  const shapes = contributions.map((c) => [...c.shape] as Shape3)
  const channels = contributions[0]?.channels ?? 1
  const foregroundIntensity: DatasetFingerprint['foregroundIntensity'] = []
  for (let channel = 0; channel < channels; channel++) {
    const picked: number[] = []
    for (const c of contributions) for (const x of c.foregroundSamples[channel] ?? []) picked.push(x)
    foregroundIntensity.push(intensityStatistics(picked))
  }
  const median = (values: number[]): number => medianOf(values)
  return {
    cases: contributions.length,
    spacingMm: { median: perAxis(spacings, median), min: perAxis(spacings, (v) => Math.min(...v)), max: perAxis(spacings, (v) => Math.max(...v)) },
    shape: {
      median: perAxis(shapes, (v) => Math.round(median(v))),
      min: perAxis(shapes, (v) => Math.min(...v)),
      max: perAxis(shapes, (v) => Math.max(...v))
    },
    foregroundIntensity
  }
}

function intensityStatistics(values: number[]): DatasetFingerprint['foregroundIntensity'][number] {
  if (values.length === 0) return { mean: 0, sd: 1, min: 0, max: 0, p00_5: 0, p99_5: 0, voxels: 0 }
  let mean = 0
  let m2 = 0
  let min = Infinity
  let max = -Infinity
  values.forEach((x, n) => {
    const delta = x - mean
    mean += delta / (n + 1)
    m2 += delta * (x - mean)
    if (x < min) min = x
    if (x > max) max = x
  })
  const [p00_5, p99_5] = percentilesInPlace(Float32Array.from(values), [0.5, 99.5]) as [number, number]
  return { mean, sd: Math.sqrt(m2 / values.length), min, max, p00_5, p99_5, voxels: values.length }
}

/** The normalisation a model uses, from the modality and the fingerprint (see the file comment). */
export function chooseNormalization(modality: Modality, fingerprint: DatasetFingerprint): NormalizationPlan {
  if (modality !== 'CT') {
    return { scheme: 'per-volume-zscore', channels: null, reason: `${modality}: intensities differ between scans, so each volume is z-scored on its own (robust, 0.5–99.5 percentiles)` }
  }
  const stats = fingerprint.foregroundIntensity
  if (stats.length === 0 || stats.some((s) => s.voxels === 0)) {
    return { scheme: 'per-volume-zscore', channels: null, reason: 'CT, but no labelled voxel to measure: each volume is z-scored on its own' }
  }
  const channels = stats.map((s) => {
    // The sd of the clipped foreground is what the network sees; a constant foreground keeps unit scale.
    const sd = s.sd > 1e-6 ? s.sd : 1
    return { kind: 'zscore' as const, clip: [s.p00_5, s.p99_5] as [number, number], offset: s.mean, scale: 1 / sd }
  })
  const first = stats[0] as (typeof stats)[number]
  return {
    scheme: 'ct-dataset',
    channels,
    reason: `CT: clipped to the training foreground's 0.5–99.5 percentiles (${first.p00_5.toFixed(0)}…${first.p99_5.toFixed(0)}), z-scored with its mean ${first.mean.toFixed(1)} and sd ${first.sd.toFixed(1)} (${first.voxels} voxels)`
  }
}
