import type { VoxelArray } from '../../../shared/volume'

/** Display window: values at or below `center - width/2` are black, at or above `+width/2` white. */
export interface WindowLevel {
  center: number
  width: number
}

/** The usual CT windows, in Hounsfield units. */
export const CT_PRESETS: Record<'brain' | 'softTissue' | 'lung' | 'bone', WindowLevel & { label: string }> = {
  brain: { label: 'Brain', center: 40, width: 80 },
  softTissue: { label: 'Soft tissue', center: 50, width: 400 },
  lung: { label: 'Lung', center: -600, width: 1500 },
  bone: { label: 'Bone', center: 400, width: 1800 }
}

/**
 * Percentiles of a volume's values from a strided sample (a full sort of 78 M voxels would stall
 * the first frame). Non-finite values are ignored.
 */
export function samplePercentiles(data: VoxelArray, percentiles: readonly number[], maxSamples = 200_000, length = data.length): number[] {
  const step = Math.max(1, Math.floor(length / maxSamples))
  const sample = new Float32Array(Math.ceil(length / step))
  let n = 0
  for (let i = 0; i < length; i += step) {
    const v = data[i] as number
    if (Number.isFinite(v)) sample[n++] = v
  }
  const sorted = sample.subarray(0, n).sort()
  return percentiles.map((p) => {
    if (n === 0) return 0
    const index = Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))))
    return sorted[index] as number
  })
}

/**
 * MR has no absolute scale, so its window comes from the data: 0.5th to 99.5th percentile,
 * ignoring the background when most voxels are zero.
 */
export function autoWindow(data: VoxelArray, length = data.length): WindowLevel {
  let [low, high] = samplePercentiles(data, [0.5, 99.5], 200_000, length) as [number, number]
  if (low === high) {
    const [min, max] = samplePercentiles(data, [0, 100], 200_000, length) as [number, number]
    low = min
    high = max === min ? min + 1 : max
  }
  return { center: (low + high) / 2, width: Math.max(high - low, Number.EPSILON) }
}

/** Mouse drag → new window: horizontal changes width, vertical changes level, scaled to the range. */
export function dragWindow(start: WindowLevel, dx: number, dy: number, range: number): WindowLevel {
  const scale = Math.max(range, 1e-6) / 500
  return { center: start.center - dy * scale, width: Math.max(start.width + dx * scale, scale) }
}
