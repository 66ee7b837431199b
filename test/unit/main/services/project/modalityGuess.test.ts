import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  MAX_INTENSITY_SAMPLES,
  caseVerdict,
  guessModalityFromIntensities,
  summarizeIntensities,
  type IntensitySummary
} from '../../../../../src/main/services/project/modalityGuess'
import { readNifti } from '../../../../../src/node/formats/nifti'
import type { Vec3, VoxelArray, Volume } from '../../../../../src/shared/volume'
import { listSharedNiftiFiles, sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { syntheticImage } from './projectFixtures'

/**
 * What each image in the shared data is (MANIFEST.md): CT in Hounsfield units, MR, colour, or a
 * test image that is neither (maps, masks, phantoms). Label maps (labelsTr/, *_seg) are not images.
 */
const CT_FILES = ['labeled/msd_task09_spleen_crop/imagesTr/spleen_2.nii.gz', 'labeled/totalsegmentator_examples/imagesTr/example_ct_sm.nii.gz']
/** A real head CT exported as 8-bit grey values (0–255): no Hounsfield units left to recognise. */
const CT_WITHOUT_HU = 'nifti-suite/niivue-demo-images/CT_pitch.nii.gz'
const MR_FILES = [
  'labeled/totalsegmentator_examples/imagesTr/example_mr_sm.nii.gz',
  'dicom/_reference/dcm_qa_nih_ge_epi_mr_0004_dcm2niix.nii',
  'dicom/_reference/dcm_qa_ts_dcm2niix.nii',
  'nifti-suite/nibabel/anatomical.nii',
  'nifti-suite/nibabel/functional.nii',
  'nifti-suite/nibabel/example4d.nii.gz',
  'nifti-suite/nibabel/example_nifti2.nii.gz',
  'nifti-suite/nibabel/reoriented_anat_moved.nii',
  'nifti-suite/nibabel/someones_anatomy.nii.gz',
  'nifti-suite/nifti-reader-js/avg152T1_LR_nifti.nii.gz',
  'nifti-suite/nifti-reader-js/avg152T1_LR_nifti2.nii.gz',
  'nifti-suite/nifti_nimh/avg152T1_RL_nifti.nii.gz'
]
const COLOUR_FILES = ['nifti-suite/ivadomed/rgb_test_file.nii.gz', 'nifti-suite/niivue-demo-images/Thalamus_Nuclei-HCP-4DSPAMs_paqd.nii.gz']
const isLabelMap = (relative: string): boolean => relative.includes('/labelsTr/') || relative.endsWith('_seg.nii.gz')
const isHippocampus = (relative: string): boolean => relative.startsWith('labeled/msd_task04_hippocampus/imagesTr/')

async function summaryOf(relative: string): Promise<IntensitySummary> {
  return summarizeIntensities(await readNifti(sharedDataPath(relative)), relative)
}

/** A volume of the given voxels on a small grid (header from the int16 fixture, datatype as told). */
function volumeOf(data: VoxelArray, dims: Vec3, storedDatatype: Volume['header']['storedDatatype'] = 'int16', channels = 1): Volume {
  const header = { ...syntheticImage(dims).header, channels, storedDatatype }
  return { header, data }
}

/**
 * A CT-like slab stack: a disc of body (fat ring −100, soft tissue 40, a bone core 1000) in air
 * (−1000), and outside the reconstruction circle the scanner's padding value.
 */
function phantomCt(size: number, padding: number, offset = 0): Volume {
  const dims: Vec3 = [size, size, 8]
  const data = new Int16Array(size * size * 8)
  const c = (size - 1) / 2
  for (let k = 0; k < 8; k++) {
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++) {
        const r = Math.hypot(i - c, j - c) / c
        const hu = r > 1 ? padding : r > 0.8 ? -1000 : r > 0.7 ? -100 : r > 0.2 ? 40 : 1000
        data[i + size * (j + size * k)] = r > 1 ? hu : hu + offset
      }
    }
  }
  return volumeOf(data, dims)
}

describeUnless(sharedDataMissing, 'guessing the modality of the shared real images', () => {
  it('detects every CT stored in Hounsfield units as CT', async () => {
    for (const relative of CT_FILES) {
      const guess = guessModalityFromIntensities([await summaryOf(relative)])
      expect(guess, relative).toMatchObject({ modality: 'CT', confident: true })
      expect(guess?.reason).toMatch(/Hounsfield/)
    }
  })

  it('takes every MR image (the 41 hippocampus crops included, uint8 and float32, 3D and 4D) as MR', async () => {
    const files = [...MR_FILES, ...listSharedNiftiFiles().map((file) => path.relative(sharedDataPath(), file)).filter(isHippocampus)]
    expect(files.length).toBe(MR_FILES.length + 41)
    for (const relative of files) {
      const summary = await summaryOf(relative)
      expect(caseVerdict(summary), relative).toBe('not-CT')
      expect(guessModalityFromIntensities([summary])?.modality, relative).toBe('MR')
    }
    // As one dataset: the hippocampus folder, including _044 stored on a 100x scale.
    const hippocampus = await Promise.all(files.filter(isHippocampus).map(summaryOf))
    expect(guessModalityFromIntensities(hippocampus)).toMatchObject({ modality: 'MR', confident: false, disagreeing: [], counts: { 'not-CT': 41 } })
  })

  it('calls colour images other, and says why an 8-bit CT export cannot be recognised', async () => {
    for (const relative of COLOUR_FILES) {
      expect(guessModalityFromIntensities([await summaryOf(relative)]), relative).toMatchObject({ modality: 'other', confident: true })
    }
    const pitch = guessModalityFromIntensities([await summaryOf(CT_WITHOUT_HU)])
    expect(pitch).toMatchObject({ modality: 'MR', confident: false })
    expect(pitch?.reason).toMatch(/8-bit values, which cannot hold Hounsfield units/)
  })

  it('finds CT in no other readable image of the shared data', async () => {
    const checked: string[] = []
    for (const file of listSharedNiftiFiles()) {
      const relative = path.relative(sharedDataPath(), file)
      if (isLabelMap(relative)) continue
      const volume = await readNifti(file).catch(() => null) // not-nifti, CIFTI and 5D files are refused by the reader
      if (!volume) continue
      checked.push(relative)
      expect(caseVerdict(summarizeIntensities(volume, relative)) === 'CT', relative).toBe(CT_FILES.includes(relative))
    }
    expect(checked.length).toBeGreaterThan(60)
  })

  it('follows the majority of a mixed import and names the images that differ', async () => {
    const ct = await summaryOf(CT_FILES[1] as string)
    const mr = await summaryOf(MR_FILES[0] as string)
    const mostlyCt = guessModalityFromIntensities([ct, await summaryOf(CT_FILES[0] as string), mr])
    expect(mostlyCt).toMatchObject({ modality: 'CT', counts: { CT: 2, 'not-CT': 1 }, disagreeing: [MR_FILES[0]] })
    // One of each (the TotalSegmentator folder as a whole): no majority for CT, so MR, and the CT one is named.
    const even = guessModalityFromIntensities([ct, mr])
    expect(even).toMatchObject({ modality: 'MR', confident: false, disagreeing: [CT_FILES[1]] })
    expect(even?.reason).toMatch(/^1 of the 2 images does not look like CT in Hounsfield units \(1 does: not a majority\)/)
  })
})

describe('guessModalityFromIntensities on constructed images', () => {
  it('sees through the padding outside the field of view (−3024, −2048) and the usual −1024 floor', () => {
    for (const padding of [-3024, -2048, -1024]) {
      const summary = summarizeIntensities(phantomCt(48, padding), `pad${padding}`)
      // −1024 is where many scanners clamp air itself: kept as air, not left out as padding.
      expect(summary.channels[0]?.padding?.value ?? null, `padding ${padding}`).toBe(padding < -1024 ? padding : null)
      expect(guessModalityFromIntensities([summary])?.modality, `padding ${padding}`).toBe('CT')
    }
  })

  it('does not take signed images spread below air (phase maps) or CT stored without its intercept for CT', () => {
    const phase = new Int16Array(40 * 40 * 8)
    for (let n = 0; n < phase.length; n++) phase[n] = ((n * 7919) % 8192) - 4096
    expect(guessModalityFromIntensities([summarizeIntensities(volumeOf(phase, [40, 40, 8]), 'phase')])?.modality).toBe('MR')
    // Raw stored values with the −1024 intercept dropped: air at 0, nothing negative — a documented blind spot.
    expect(caseVerdict(summarizeIntensities(phantomCt(48, 0, 1024), 'raw'))).toBe('not-CT')
    // Metal everywhere (over 0.5 % above 4000) is not a CT range either.
    const metal = phantomCt(48, -1024)
    metal.data.fill(6000, 0, Math.ceil(metal.data.length * 0.01))
    expect(caseVerdict(summarizeIntensities(metal, 'metal'))).toBe('not-CT')
  })

  it('calls a channel stack of CT with a non-CT channel (PET/CT) other', () => {
    const ct = phantomCt(32, -1024)
    const pet = new Int16Array(ct.data.length)
    for (let n = 0; n < pet.length; n++) pet[n] = n % 500
    const both = new Int16Array(ct.data.length * 2)
    both.set(ct.data as Int16Array, 0)
    both.set(pet, ct.data.length)
    const guess = guessModalityFromIntensities([summarizeIntensities(volumeOf(both, [32, 32, 8], 'int16', 2), 'petct')])
    expect(guess).toMatchObject({ modality: 'other', confident: true, counts: { mixed: 1 } })
  })

  it('samples at most MAX_INTENSITY_SAMPLES voxels per channel, across every column', () => {
    const dims: Vec3 = [256, 256, 16]
    const data = new Float32Array(256 * 256 * 16)
    // Only the left half of each row is air: a sample of one column stripe would miss it or see only it.
    for (let n = 0; n < data.length; n++) data[n] = n % 256 < 128 ? -1000 : 40.5
    const summary = summarizeIntensities(volumeOf(data, dims, 'float32'), 'big')
    const channel = summary.channels[0]
    expect(channel?.samples).toBeLessThanOrEqual(MAX_INTENSITY_SAMPLES)
    expect(channel?.atOrBelowMinus100).toBeGreaterThan(0.45)
    expect(channel?.atOrBelowMinus100).toBeLessThan(0.55)
    expect(caseVerdict(summary)).toBe('CT')
  })

  it('has nothing to say without images', () => {
    expect(guessModalityFromIntensities([])).toBeNull()
  })
})
