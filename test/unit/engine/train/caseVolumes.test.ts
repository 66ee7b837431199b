import { describe, expect, it } from 'vitest'
import { readModelInputVolumes } from '../../../../src/engine/train/caseVolumes'
import type { TrainingClass } from '../../../../src/shared/training'
import { sharedDataPath } from '../../../helpers/sharedData'

const CLASSES: TrainingClass[] = [
  { index: 1, labelId: 1, name: 'Anterior' },
  { index: 2, labelId: 2, name: 'Posterior' }
]
const HIPPOCAMPUS = sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz')
// nibabel's example: a 4D file of 2 time points.
const SERIES = sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz')

describe('readModelInputVolumes', () => {
  it('reads an image with the model\'s channels', async () => {
    const volumes = await readModelInputVolumes({ id: 'h1', imagePath: HIPPOCAMPUS, labelPath: null }, { classes: CLASSES, inputChannels: 1 }, 'v0001-20261207-100000')
    expect(volumes.image.header.channels).toBe(1)
    expect(volumes.image.header.dims).toEqual([35, 51, 35])
  })

  it('refuses another count of values per voxel, naming the file, the count and the model', async () => {
    await expect(readModelInputVolumes({ id: 's', imagePath: SERIES, labelPath: null }, { classes: CLASSES, inputChannels: 1 }, 'v0004-20261207-223820')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `${SERIES}: the image has 2 values per voxel (channels or time points: dims 128×96×24×2); model v0004-20261207-223820 was trained on images with 1 channel(s)`
    })
    await expect(readModelInputVolumes({ id: 'h1', imagePath: HIPPOCAMPUS, labelPath: null }, { classes: CLASSES, inputChannels: 4 }, 'v0002-20261207-110000')).rejects.toThrow(
      `${HIPPOCAMPUS}: the image has one value per voxel; model v0002-20261207-110000 was trained on images with 4 channel(s)`
    )
  })
})
