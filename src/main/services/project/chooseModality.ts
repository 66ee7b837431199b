import path from 'node:path'
import type { Modality, ModalityChoice, ModalitySource } from '../../../shared/project'
import type { IntensityGuess } from './modalityGuess'

/**
 * Which modality a project gets when data is imported, and why. Pure: importDataset gathers the
 * evidence, ProjectStore.commitImport applies the result.
 *
 * Order, strongest first:
 *   1. the user: `voxloop import --modality`, or a modality the user set earlier (project page,
 *      a project created with one), which no import overrides;
 *   2. a project that already has cases keeps its modality (its models were trained with it);
 *   3. DICOM (0008,0060) of the imported series: written by the scanner, so it is the truth;
 *   4. dataset.json (MSD `modality` / nnU-Net `channel_names`), as nnU-Net reads it;
 *   5. the imported images' intensities (modalityGuess.ts);
 *   6. MR, the default, when nothing was imported to judge.
 * The intensity guess is also checked against the modality kept or chosen: where one says CT and the
 * other does not, the import warns (the normalisation differs) but keeps the stronger source. MR and
 * the other modalities are normalised alike, so a disagreement between those two is not worth a warning.
 */

export interface ModalityEvidence {
  /** `--modality` on this import, or null. */
  requested: Modality | null
  /** The project's modality before the import, where it came from (absent in older projects), and whether it has cases. */
  project: { modality: Modality; source: ModalitySource | undefined; hasCases: boolean }
  /**
   * (0008,0060) Modality of each imported DICOM series, e.g. ['CT'], as importDicom.ts reads it from
   * dcm2niix's sidecar; null for NIfTI and MSD imports.
   */
  dicom: readonly string[] | null
  /** What dataset.json says, when it names its channels (MSD `modality` or nnU-Net `channel_names`). */
  datasetJson: { modality: Modality; channelNames: readonly string[] } | null
  /** What the imported images' intensities suggest, or null when no image was imported. */
  intensities: IntensityGuess | null
}

/** DICOM (0008,0060) → project modality: CT and MR as such; PT, NM, US, XA, OT and the rest are 'other'. */
export function modalityOfDicomTag(value: string): Modality {
  const code = value.trim().toUpperCase()
  if (code === 'CT') return 'CT'
  if (code === 'MR') return 'MR'
  return 'other'
}

/** All series agreeing give the modality; a mix (e.g. PT and CT) is 'other'. Null for no series. */
export function modalityOfDicomTags(values: readonly string[]): Modality | null {
  const kinds = new Set(values.map(modalityOfDicomTag))
  if (kinds.size === 0) return null
  const [only] = kinds
  return kinds.size === 1 && only ? only : 'other'
}

type Decision = Omit<ModalityChoice, 'warning'>

function fromData(evidence: ModalityEvidence): Decision {
  const dicom = evidence.dicom ? modalityOfDicomTags(evidence.dicom) : null
  if (dicom) {
    return { modality: dicom, source: 'dicom', applied: true, reason: `the DICOM series say ${[...new Set(evidence.dicom)].join(', ')} in (0008,0060) Modality` }
  }
  const guess = evidence.intensities
  const json = evidence.datasetJson
  if (json) {
    const names = json.channelNames.map((name) => `"${name}"`).join(', ')
    // A channel named "image" or "PET" maps to 'other'; HU voxels still make such a dataset CT.
    if (json.modality === 'other' && guess?.modality === 'CT') {
      return { modality: 'CT', source: 'intensities', applied: true, reason: `dataset.json names the channel(s) ${names}, which is not CT or MR, and ${guess.reason}` }
    }
    return { modality: json.modality, source: 'dataset.json', applied: true, reason: `dataset.json names the channel(s) ${names}` }
  }
  if (guess) return { modality: guess.modality, source: 'intensities', applied: true, reason: guess.reason }
  return { modality: 'MR', source: 'default', applied: true, reason: 'nothing says what the images are; MR is the default' }
}

function decide(evidence: ModalityEvidence): Decision {
  if (evidence.requested) return { modality: evidence.requested, source: 'user', applied: true, reason: 'given by the user' }
  const { project } = evidence
  if (project.source === 'user') {
    return { modality: project.modality, source: 'user', applied: false, reason: "an import does not override the user's choice" }
  }
  if (project.hasCases) {
    return {
      modality: project.modality,
      source: project.source ?? 'default',
      applied: false,
      reason: 'the project already has cases, so an import does not change its modality (the project page or --modality does)'
    }
  }
  return fromData(evidence)
}

/** The first few file names of a list, and how many more. */
function someFiles(files: readonly string[], shown = 5): string {
  const names = files.slice(0, shown).map((file) => path.basename(file))
  return files.length > shown ? `${names.join(', ')} and ${files.length - shown} more` : names.join(', ')
}

/**
 * Where the intensities disagree with the decision in a way that changes training (CT or not),
 * why: the images as a whole, or some of them (a project should hold one modality).
 */
function warningOf(decision: Decision, guess: IntensityGuess | null): string | null {
  if (!guess) return null
  const decidedCt = decision.modality === 'CT'
  if (decidedCt === (guess.modality === 'CT')) {
    if (guess.disagreeing.length === 0) return null
    const total = Object.values(guess.counts).reduce((a, b) => a + b, 0)
    const one = guess.disagreeing.length === 1
    const looks = decidedCt ? (one ? 'does not look' : 'do not look') : one ? 'looks' : 'look'
    return `${guess.disagreeing.length} of the ${total} imported images ${looks} like CT in Hounsfield units (${someFiles(guess.disagreeing)}): ${one ? 'it is' : 'they are'} normalised as ${decision.modality} like the rest; check that ${one ? 'it belongs' : 'they belong'} in this project.`
  }
  // Decided by these very intensities: they cannot disagree (a kept project's 'intensities' came from earlier images).
  if (decision.applied && decision.source === 'intensities') return null
  const seen = guess.reason.replace(/; taken as MR.*$/, '')
  return `The imported images' intensities disagree: ${seen}. ${decision.modality} is kept (${decision.reason}) and decides the input normalisation of the next training.`
}

export function chooseModality(evidence: ModalityEvidence): ModalityChoice {
  const decision = decide(evidence)
  return { ...decision, warning: warningOf(decision, evidence.intensities) }
}

/** "CT (dataset.json: …)" for the CLI and logs. */
export function describeModalityChoice(choice: ModalityChoice): string {
  const from: Record<ModalitySource, string> = {
    user: 'set by the user',
    dicom: 'from DICOM',
    'dataset.json': 'from dataset.json',
    intensities: 'guessed from the intensities',
    default: 'default'
  }
  if (!choice.applied) return `Modality: ${choice.modality} (the project's, ${from[choice.source]}): ${choice.reason}`
  return `Modality: ${choice.modality}, ${from[choice.source]}: ${choice.reason}`
}
