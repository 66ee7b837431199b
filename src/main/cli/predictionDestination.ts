/**
 * Where `voxloop predict` may write `<case>.nii.gz` and `<case>.uncertainty.nii.gz`. Without these
 * checks `voxloop predict scan.nii.gz --model …` (no --out: the file's own folder) replaced the
 * input scan with its label map, and `--out <project>/images` replaced a project's images.
 */
import path from 'node:path'
import { VoxloopError } from '../../shared/errors'
import { readNiftiHeader, VOXLOOP_LABEL_DESCRIPTION } from '../../node/formats/nifti'
import { pathExists } from '../../node/storage/pathExists'
import { realPathOfPossiblyMissing } from '../services/project/projectPaths'

/** The folder a file's predictions go to without --out: beside it, never over it. */
export const DEFAULT_PREDICTION_FOLDER = 'voxloop-predictions'

export interface PredictionFiles {
  labels: string
  uncertainty: string
}

/** The real path of `file`, a folder not made yet included (the project's own rule, which refuses a dangling link). */
const realPathOf = (file: string): Promise<string> => realPathOfPossiblyMissing(path.resolve(file))

/** The Voxloop project folder (one holding voxloop.json) that `dir` is in or is, or null. */
async function enclosingProject(dir: string): Promise<string | null> {
  for (let current = await realPathOf(dir); ; current = path.dirname(current)) {
    if (await pathExists(path.join(current, 'voxloop.json'))) return current
    if (path.dirname(current) === current) return null
  }
}

/**
 * The two files of each case in `caseIds` in `out`, refused (naming the files) when `out` is in a
 * Voxloop project (its images, labels and predictions are the project's to write), when a file
 * would be one of `inputs` (the images being predicted), or when a labels file there already exists
 * and is not a label map Voxloop wrote (a reference segmentation, say). All are checked, once each,
 * before the caller writes anything.
 */
export async function predictionFiles(out: string, caseIds: readonly string[], inputs: readonly string[]): Promise<PredictionFiles[]> {
  const project = await enclosingProject(out)
  if (project) {
    throw new VoxloopError('INVALID_ARGUMENT', `--out ${path.resolve(out)} is inside the Voxloop project ${project}: write predictions to a folder outside it (the project keeps its own in predictions/)`)
  }
  const inputPaths = await Promise.all(inputs.map(realPathOf))
  const all: PredictionFiles[] = []
  for (const caseId of caseIds) {
    const files = { labels: path.join(out, `${caseId}.nii.gz`), uncertainty: path.join(out, `${caseId}.uncertainty.nii.gz`) }
    for (const file of [files.labels, files.uncertainty]) {
      const input = inputs[inputPaths.indexOf(await realPathOf(file))]
      if (input !== undefined) throw new VoxloopError('INVALID_ARGUMENT', `writing ${path.basename(file)} into ${path.resolve(out)} would replace the image being predicted, ${input}: give --out another folder`)
    }
    if (await pathExists(files.labels)) {
      const description = await readNiftiHeader(files.labels).then(
        (header) => header.description,
        () => null
      )
      if (description !== VOXLOOP_LABEL_DESCRIPTION) {
        throw new VoxloopError('ALREADY_EXISTS', `${files.labels} exists and is not a label map Voxloop wrote${description === null ? '' : ` (its description: ${JSON.stringify(description)})`}; give --out another folder, or remove the file`)
      }
    }
    all.push(files)
  }
  return all
}
