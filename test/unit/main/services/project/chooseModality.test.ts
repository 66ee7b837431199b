import { describe, expect, it } from 'vitest'
import {
  chooseModality,
  describeModalityChoice,
  modalityOfDicomTag,
  modalityOfDicomTags,
  type ModalityEvidence
} from '../../../../../src/main/services/project/chooseModality'
import type { IntensityGuess } from '../../../../../src/main/services/project/modalityGuess'

const CT_GUESS: IntensityGuess = {
  modality: 'CT',
  confident: true,
  reason: 'the image looks like CT in Hounsfield units (…)',
  counts: { CT: 1, 'not-CT': 0, mixed: 0, colour: 0 },
  disagreeing: []
}
const MR_GUESS: IntensityGuess = {
  modality: 'MR',
  confident: false,
  reason: 'none of the 3 images looks like CT in Hounsfield units; taken as MR, which gets the same per-volume normalisation as any modality other than CT',
  counts: { CT: 0, 'not-CT': 3, mixed: 0, colour: 0 },
  disagreeing: []
}

/** A new project (default modality, no cases) importing data with nothing else said. */
function evidence(overrides: Partial<ModalityEvidence> = {}): ModalityEvidence {
  return {
    requested: null,
    project: { modality: 'MR', source: 'default', hasCases: false },
    dicom: null,
    datasetJson: null,
    intensities: null,
    ...overrides
  }
}

describe('chooseModality', () => {
  it('takes a new project’s modality from the intensities, else MR by default', () => {
    expect(chooseModality(evidence({ intensities: CT_GUESS }))).toMatchObject({ modality: 'CT', source: 'intensities', applied: true, warning: null })
    expect(chooseModality(evidence({ intensities: MR_GUESS }))).toMatchObject({ modality: 'MR', source: 'intensities', applied: true, warning: null })
    expect(chooseModality(evidence())).toMatchObject({ modality: 'MR', source: 'default', applied: true })
  })

  it('prefers dataset.json to the intensities, and warns when the voxels say otherwise', () => {
    const agreeing = chooseModality(evidence({ datasetJson: { modality: 'CT', channelNames: ['CT'] }, intensities: CT_GUESS }))
    expect(agreeing).toMatchObject({ modality: 'CT', source: 'dataset.json', warning: null, reason: 'dataset.json names the channel(s) "CT"' })
    const disagreeing = chooseModality(evidence({ datasetJson: { modality: 'MR', channelNames: ['MRI'] }, intensities: CT_GUESS }))
    expect(disagreeing).toMatchObject({ modality: 'MR', source: 'dataset.json' })
    expect(disagreeing.warning).toMatch(/looks like CT in Hounsfield units.*MR is kept/)
  })

  it('lets HU voxels decide when dataset.json names a channel that is neither CT nor MR', () => {
    const generic = chooseModality(evidence({ datasetJson: { modality: 'other', channelNames: ['image'] }, intensities: CT_GUESS }))
    expect(generic).toMatchObject({ modality: 'CT', source: 'intensities', warning: null })
    expect(generic.reason).toMatch(/"image", which is not CT or MR/)
    expect(chooseModality(evidence({ datasetJson: { modality: 'other', channelNames: ['PET'] }, intensities: MR_GUESS }))).toMatchObject({
      modality: 'other',
      source: 'dataset.json',
      warning: null
    })
  })

  it('puts DICOM (0008,0060) above dataset.json (the hook for DICOM import)', () => {
    const choice = chooseModality(evidence({ dicom: ['CT', 'CT'], datasetJson: { modality: 'MR', channelNames: ['MRI'] }, intensities: CT_GUESS }))
    expect(choice).toMatchObject({ modality: 'CT', source: 'dicom', reason: 'the DICOM series say CT in (0008,0060) Modality', warning: null })
    expect([modalityOfDicomTag(' mr '), modalityOfDicomTag('PT'), modalityOfDicomTag('US')]).toEqual(['MR', 'other', 'other'])
    expect(modalityOfDicomTags(['PT', 'CT'])).toBe('other')
    expect(modalityOfDicomTags([])).toBeNull()
  })

  it('keeps the user’s choice over any data, warning where the intensities disagree on CT', () => {
    const requested = chooseModality(evidence({ requested: 'MR', datasetJson: { modality: 'CT', channelNames: ['CT'] }, intensities: CT_GUESS }))
    expect(requested).toMatchObject({ modality: 'MR', source: 'user', applied: true, reason: 'given by the user' })
    expect(requested.warning).toMatch(/looks like CT/)
    const earlier = chooseModality(evidence({ project: { modality: 'CT', source: 'user', hasCases: false }, intensities: MR_GUESS }))
    expect(earlier).toMatchObject({ modality: 'CT', source: 'user', applied: false })
    expect(earlier.warning).toMatch(/none of the 3 images looks like CT in Hounsfield units\. CT is kept/)
    // MR against 'other': the same normalisation, so no warning.
    expect(chooseModality(evidence({ requested: 'other', intensities: MR_GUESS })).warning).toBeNull()
  })

  it('keeps the modality of a project that has cases; --modality still changes it', () => {
    const project = { modality: 'MR' as const, source: 'intensities' as const, hasCases: true }
    const kept = chooseModality(evidence({ project, datasetJson: { modality: 'CT', channelNames: ['CT'] }, intensities: CT_GUESS }))
    expect(kept).toMatchObject({ modality: 'MR', source: 'intensities', applied: false })
    expect(kept.warning).toMatch(/intensities disagree: the image looks like CT.*MR is kept \(the project already has cases/)
    expect(chooseModality(evidence({ project, requested: 'CT', intensities: CT_GUESS }))).toMatchObject({ modality: 'CT', source: 'user', applied: true, warning: null })
    // An older project's manifest has no source: not the user's, so the data decides while it is empty.
    expect(chooseModality(evidence({ project: { modality: 'MR', source: undefined, hasCases: false }, intensities: CT_GUESS }))).toMatchObject({ modality: 'CT', applied: true })
  })

  it('names the images that do not fit the modality chosen', () => {
    const mixed: IntensityGuess = { ...CT_GUESS, counts: { CT: 3, 'not-CT': 1, mixed: 0, colour: 0 }, disagreeing: ['/data/in/brain_t1.nii.gz'] }
    const choice = chooseModality(evidence({ intensities: mixed }))
    expect(choice).toMatchObject({ modality: 'CT', source: 'intensities' })
    expect(choice.warning).toBe(
      '1 of the 4 imported images does not look like CT in Hounsfield units (brain_t1.nii.gz): it is normalised as CT like the rest; check that it belongs in this project.'
    )
  })

  it('describes the choice in one line for the CLI', () => {
    expect(describeModalityChoice(chooseModality(evidence({ intensities: CT_GUESS })))).toBe(
      'Modality: CT, guessed from the intensities: the image looks like CT in Hounsfield units (…)'
    )
    expect(describeModalityChoice(chooseModality(evidence({ project: { modality: 'CT', source: 'user', hasCases: true } })))).toBe(
      "Modality: CT (the project's, set by the user): an import does not override the user's choice"
    )
  })
})
