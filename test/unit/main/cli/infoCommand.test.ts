import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatDescription } from '../../../../src/main/cli/commands/infoCommand'
import { describeVolume, readNifti } from '../../../../src/node/formats/nifti'
import { SHARED_DATA_DIR } from '../../../helpers/sharedData'

describe('voxloop info', () => {
  it('lists the voxels per value of a label map, in value order', async () => {
    const file = path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus', 'labelsTr', 'hippocampus_001.nii.gz')
    const text = formatDescription(describeVolume(await readNifti(file), file))
    expect(text).toContain('orientation  RAS')
    expect(text).toMatch(/voxels per value\n\s+0\s+[\d,]+\n\s+1\s+1,324\n\s+2\s+1,624/)
  })

  it('summarises an integer image instead of listing hundreds of values', async () => {
    const file = path.join(SHARED_DATA_DIR, 'labeled', 'totalsegmentator_examples', 'imagesTr', 'example_mr_sm.nii.gz')
    const text = formatDescription(describeVolume(await readNifti(file), file))
    expect(text).toContain('orientation  LPS')
    expect(text).toMatch(/\d+ distinct integer values/)
  })
})
