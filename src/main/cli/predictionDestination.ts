/**
 * Where `voxloop predict` may write `<case>.nii.gz` and `<case>.uncertainty.nii.gz`. Without these
 * checks `voxloop predict scan.nii.gz --model …` (no --out: the file's own folder) replaced the
 * input scan with its label map, and `--out <project>/images` replaced a project's images.
 */
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../shared/errors'
import { readNiftiHeader } from '../../node/formats/nifti'

/** The folder a file's predictions go to without --out: beside it, never over it. */
export const DEFAULT_PREDICTION_FOLDER = 'voxloop-predictions'

/** What writeLabelNifti puts in a label map's description: a file Voxloop wrote, safe to replace. */
const VOXLOOP_LABEL_DESCRIPTION = 'Voxloop label map'

export interface PredictionFiles {
  labels: string
  uncertainty: string
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false
  )
}

/** The real path of `file`, or of its nearest existing ancestor with the rest appended (a folder not made yet). */
async function realPathOf(file: string): Promise<string> {
  const resolved = path.resolve(file)
  const real = await realpath(resolved).catch(() => null)
  if (real) return real
  const parent = path.dirname(resolved)
  return parent === resolved ? resolved : path.join(await realPathOf(parent), path.basename(resolved))
}

/** The Voxloop project folder (one holding voxloop.json) that `dir` is in or is, or null. */
async function enclosingProject(dir: string): Promise<string | null> {
  for (let current = await realPathOf(dir); ; current = path.dirname(current)) {
    if (await exists(path.join(current, 'voxloop.json'))) return current
    if (path.dirname(current) === current) return null
  }
}

/**
 * The two files for `caseId` in `out`, refused (INVALID_ARGUMENT, naming the files) when `out` is in
 * a Voxloop project (its images, labels and predictions are the project's to write), when a file
 * would be one of `inputs` (the image being predicted), or when a labels file there already exists
 * and is not a label map Voxloop wrote (a reference segmentation, say): nothing is written then.
 */
export async function predictionFiles(out: string, caseId: string, inputs: readonly string[]): Promise<PredictionFiles> {
  const files = { labels: path.join(out, `${caseId}.nii.gz`), uncertainty: path.join(out, `${caseId}.uncertainty.nii.gz`) }
  const project = await enclosingProject(out)
  if (project) {
    throw new VoxloopError('INVALID_ARGUMENT', `--out ${path.resolve(out)} is inside the Voxloop project ${project}: write predictions to a folder outside it (the project keeps its own in predictions/)`)
  }
  const inputPaths = await Promise.all(inputs.map(realPathOf))
  for (const file of [files.labels, files.uncertainty]) {
    const target = await realPathOf(file)
    const input = inputs[inputPaths.indexOf(target)]
    if (input !== undefined) throw new VoxloopError('INVALID_ARGUMENT', `writing ${path.basename(file)} into ${path.resolve(out)} would replace the image being predicted, ${input}: give --out another folder`)
  }
  if (await exists(files.labels)) {
    const description = await readNiftiHeader(files.labels).then(
      (header) => header.description,
      () => null
    )
    if (description !== VOXLOOP_LABEL_DESCRIPTION) {
      throw new VoxloopError('ALREADY_EXISTS', `${files.labels} exists and is not a label map Voxloop wrote${description === null ? '' : ` (its description: ${JSON.stringify(description)})`}; give --out another folder, or remove the file`)
    }
  }
  return files
}
