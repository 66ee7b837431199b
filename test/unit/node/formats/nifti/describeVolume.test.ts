import { describe, expect, it } from 'vitest'
import { describeVolume, readNifti } from '../../../../../src/node/formats/nifti'
import type { Volume, VolumeHeader, VoxelArray } from '../../../../../src/shared/volume'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

function synthetic(data: VoxelArray, channels = 1): Volume {
  const header = {
    dims: [data.length / channels, 1, 1],
    channels,
    spacing: [1, 1, 1],
    rasFromIjk: [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ],
    orientation: 'RAS',
    storedDatatype: 'float32',
    niftiVersion: 1
  } as unknown as VolumeHeader
  return { header, data }
}

describe('describeVolume', () => {
  itUnless(sharedDataMissing, 'summarises a label map with its label counts', async () => {
    const file = sharedDataPath('labeled', 'msd_task04_hippocampus', 'labelsTr', 'hippocampus_001.nii.gz')
    const description = describeVolume(await readNifti(file), file)
    expect(description).toEqual({
      file,
      dims: [35, 51, 35],
      channels: 1,
      spacing: [1, 1, 1],
      affine: [
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [0, 0, 1, 1],
        [0, 0, 0, 1]
      ],
      orientation: 'RAS',
      datatype: 'uint8',
      niftiVersion: 1,
      intensityRange: [0, 2],
      labelCounts: { '0': 35 * 51 * 35 - 1324 - 1624, '1': 1324, '2': 1624 }
    })
    expect(JSON.parse(JSON.stringify(description))).toEqual(description)
  })

  itUnless(sharedDataMissing, 'gives a range but no label counts for a float image', async () => {
    const file = sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_003.nii.gz')
    const description = describeVolume(await readNifti(file), file)
    expect(description.intensityRange?.[0]).toBe(0)
    expect(description.intensityRange?.[1]).toBeCloseTo(2776.88, 2)
    expect(description.labelCounts).toBeUndefined()
  })

  itUnless(sharedDataMissing, 'counts labels of a float-stored label map and of int16 CT-like data with few values', async () => {
    const file = sharedDataPath('labeled', 'msd_task04_hippocampus', 'labelsTr', 'hippocampus_243.nii.gz')
    expect(describeVolume(await readNifti(file), file).labelCounts).toMatchObject({ '1': 1421, '2': 1535 })
    expect(describeVolume(synthetic(Int16Array.from([-1000, -1000, 0, 40])), 'x').labelCounts).toEqual({ '0': 1, '40': 1, '-1000': 2 })
  })

  it('ignores NaN and infinities in the range', () => {
    const d = describeVolume(synthetic(Float32Array.from([Number.NaN, 3, -2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])), 'x')
    expect(d.intensityRange).toEqual([-2, 3])
    expect(d.labelCounts).toBeUndefined()
    expect(describeVolume(synthetic(Float32Array.from([Number.NaN])), 'x').intensityRange).toBeNull()
  })

  it('stops counting past 1000 distinct values or at a fraction', () => {
    expect(describeVolume(synthetic(Uint16Array.from({ length: 1000 }, (_, i) => i)), 'x').labelCounts).toBeDefined()
    expect(describeVolume(synthetic(Uint16Array.from({ length: 1001 }, (_, i) => i)), 'x').labelCounts).toBeUndefined()
    expect(describeVolume(synthetic(Float64Array.from({ length: 1001 }, (_, i) => i)), 'x').labelCounts).toBeUndefined()
    expect(describeVolume(synthetic(Float32Array.from([1, 2, 2.5])), 'x').labelCounts).toBeUndefined()
    expect(describeVolume(synthetic(Uint8Array.from([1, 2, 3, 4]), 2), 'x').labelCounts).toBeUndefined()
  })
})
