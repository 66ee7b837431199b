/** Small synthetic volumes and samples for the data pipeline tests, plus real cases from the shared data. */
import type { LabelArray, LabelVolume, Vec3, Volume } from '../../../../src/shared/volume'
import { labelIndex, voxelCountOfShape, type Shape3, type TrainingSample } from '../../../../src/engine/data'
import { readLabelNifti, readNifti } from '../../../../src/node/formats/nifti'
import { sharedDataPath } from '../../../helpers/sharedData'
import { testVolumeHeader } from '../../../helpers/volumeHeader'

/** A RAS float32 header on `dims` (the shared test header). */
export const headerFor = testVolumeHeader

/** A volume whose voxel (i, j, k, c) holds f(i, j, k, c), channel-major as in a Volume. */
export function volumeFrom(dims: Vec3, spacing: Vec3, channels: number, f: (i: number, j: number, k: number, c: number) => number): Volume {
  const data = new Float32Array(dims[0] * dims[1] * dims[2] * channels)
  let o = 0
  for (let c = 0; c < channels; c++) for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) data[o++] = f(i, j, k, c)
  return { header: headerFor(dims, spacing, channels), data }
}

export function labelVolumeFrom(dims: Vec3, spacing: Vec3, f: (i: number, j: number, k: number) => number, data: LabelArray = new Uint8Array(dims[0] * dims[1] * dims[2])): LabelVolume {
  let o = 0
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) data[o++] = f(i, j, k)
  return { header: { ...headerFor(dims, spacing), datatype: data instanceof Uint8Array ? 'uint8' : 'uint16' }, data }
}

/** A sample whose image is f(d, h, w, c) and label g(d, h, w). */
export function sampleFrom(shape: Shape3, channels: number, f: (d: number, h: number, w: number, c: number) => number, g: (d: number, h: number, w: number) => number = () => 0): TrainingSample {
  const image = new Float32Array(voxelCountOfShape(shape) * channels)
  const label = new Uint8Array(voxelCountOfShape(shape))
  for (let d = 0; d < shape[0]; d++) {
    for (let h = 0; h < shape[1]; h++) {
      for (let w = 0; w < shape[2]; w++) {
        const v = labelIndex(shape, d, h, w)
        label[v] = g(d, h, w)
        for (let c = 0; c < channels; c++) image[v * channels + c] = f(d, h, w, c)
      }
    }
  }
  return { image, label, shape, channels }
}

/** Distinct values per voxel and channel, so any misplaced voxel shows. */
export function indexedSample(shape: Shape3, channels = 1): TrainingSample {
  return sampleFrom(
    shape,
    channels,
    (d, h, w, c) => 1000 * c + labelIndex(shape, d, h, w),
    (d, h, w) => labelIndex(shape, d, h, w) % 3
  )
}

/** A ball of class 1 (radius r voxels) at the centre, image = 10 inside, 0 outside. */
export function ballSample(shape: Shape3, radius: number): TrainingSample {
  const centre = shape.map((n) => (n - 1) / 2)
  const inside = (d: number, h: number, w: number): boolean => Math.hypot(d - (centre[0] as number), h - (centre[1] as number), w - (centre[2] as number)) <= radius
  return sampleFrom(shape, 1, (d, h, w) => (inside(d, h, w) ? 10 : 0), (d, h, w) => (inside(d, h, w) ? 1 : 0))
}

export function dice(a: Uint8Array, b: Uint8Array, cls = 1): number {
  let both = 0
  let sum = 0
  for (let v = 0; v < a.length; v++) {
    const x = a[v] === cls
    const y = b[v] === cls
    if (x && y) both++
    sum += Number(x) + Number(y)
  }
  return sum === 0 ? 1 : (2 * both) / sum
}

export function valuesOf(array: ArrayLike<number>): Set<number> {
  const out = new Set<number>()
  for (let i = 0; i < array.length; i++) out.add(array[i] as number)
  return out
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0
  for (let i = 0; i < values.length; i++) mean += values[i] as number
  mean /= values.length
  let m2 = 0
  for (let i = 0; i < values.length; i++) m2 += ((values[i] as number) - mean) ** 2
  return { mean, std: Math.sqrt(m2 / values.length) }
}

const HIPPOCAMPUS = ['labeled', 'msd_task04_hippocampus']

export async function readHippocampus(id: string): Promise<{ image: Volume; label: LabelVolume }> {
  const file = `${id}.nii.gz`
  const [image, label] = await Promise.all([readNifti(sharedDataPath(...HIPPOCAMPUS, 'imagesTr', file)), readLabelNifti(sharedDataPath(...HIPPOCAMPUS, 'labelsTr', file))])
  return { image, label }
}
