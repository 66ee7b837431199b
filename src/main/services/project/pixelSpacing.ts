import { readFile, rm, stat } from 'node:fs/promises'
import { z } from 'zod'
import { encodeLabelNifti, readLabelNifti, readNifti } from '../../../node/formats/nifti'
import { encodeImageNifti, imageHeaderForGrid } from '../../../node/formats/nifti/writeImageNifti'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { VoxloopError } from '../../../shared/errors'
import { rasFromIjkFor2d } from '../../../shared/geometry/image2dAffine'
import { CaseIdSchema, PIXEL_SPACING_MAX_MM, PIXEL_SPACING_MIN_MM, PixelSpacingMmSchema } from '../../../shared/project'
import type { Mat4, VolumeHeader } from '../../../shared/volume'
import { isErrno } from './fsUtil'

/**
 * The pixel spacing of one-slice cases imported from 2D images (issue #17: "1 mm if unknown,
 * editable"). A change rewrites the headers of every file on the case's grid (image, saved label,
 * prediction, uncertainty map) with the new pixdim and the 2D affine diag(−sx, −sy, 1) of
 * image2dAffine.ts; the voxels of each file are written back exactly as they were read.
 *
 * Why it cannot lose a label:
 * - ProjectStore refuses a case with unsaved edits (the user saves or discards first) instead of
 *   saving for them, so the label file rewritten is exactly what the user last saved;
 * - every file is replaced through writeFileAtomic (old or new, never torn);
 * - several files cannot be renamed at once, so before the first write the change is recorded in
 *   `spacing-change.json`. A write that fails puts back the files already replaced (their old bytes
 *   are kept in memory) and removes the record: the case is as before. A crash leaves the record,
 *   and the next open completes the change (`completeSpacingChange`): rewriting a file that already
 *   has the new spacing changes nothing, so completing is safe whatever the crash left.
 */

/** The record of a change under way, at the project's top level (ProjectPaths.spacingChange). */
export { SPACING_CHANGE_FILE } from './projectPaths'

const SpacingChangeSchema = z
  .object({
    spacingMm: z.tuple([PixelSpacingMmSchema, PixelSpacingMmSchema]),
    caseIds: z.array(CaseIdSchema)
  })
  .strict()
export type SpacingChange = z.infer<typeof SpacingChangeSchema>

/** How files are replaced: writeFileAtomic, or a failing writer in fault-injection tests. */
export type FileWriter = (file: string, data: Uint8Array) => Promise<void>
export const durableWriter: FileWriter = (file, data) => writeFileAtomic(file, data)

/** The spacing checked: finite, PIXEL_SPACING_MIN_MM to PIXEL_SPACING_MAX_MM each way. */
export function checkPixelSpacing(spacingMm: readonly number[]): [number, number] {
  const [x, y] = spacingMm
  const ok = (value: number | undefined): value is number => PixelSpacingMmSchema.safeParse(value).success
  if (spacingMm.length !== 2 || !ok(x) || !ok(y)) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `pixel spacing must be two numbers of ${PIXEL_SPACING_MIN_MM} to ${PIXEL_SPACING_MAX_MM} mm (x, y), got ${spacingMm.map(String).join(' × ') || 'none'}`
    )
  }
  return [x, y]
}

/** Whether an affine has the 2D import's form diag(−sx, −sy, 1) with no offset (image2dAffine.ts). */
export function is2dImageAffine(rasFromIjk: Mat4): boolean {
  for (let row = 0; row < 4; row++) {
    for (let column = 0; column < 4; column++) {
      const value = rasFromIjk[row]?.[column] ?? Number.NaN
      const diagonal = row === column
      if (!diagonal && value !== 0) return false
      if (diagonal && row < 2 && !(value < 0)) return false
      if (diagonal && row >= 2 && value !== 1) return false
    }
  }
  return true
}

/** The files of one case on its grid; null where the case has none. */
export interface CaseGridFiles {
  caseId: string
  image: string
  label: string | null
  prediction: string | null
  uncertainty: string | null
}

export interface FileRewrite {
  file: string
  before: Uint8Array
  after: Uint8Array
}

export interface CaseRewrite {
  caseId: string
  /** The spacing the image had, [x, y] mm. */
  from: [number, number]
  /** The image's new header. */
  header: VolumeHeader
  /** Image first, then label, prediction, uncertainty. */
  files: FileRewrite[]
}

/** `file` when it is there, else null (a record may name a file that a crash or the user removed). */
async function present(file: string | null): Promise<string | null> {
  if (file === null) return null
  return ((await stat(file).catch(() => null))?.isFile() ?? false) ? file : null
}

/**
 * Reads a case's files and encodes them with the new spacing (nothing is written). Refuses, naming
 * the case, an image that is not a one-slice image in the 2D import's orientation.
 */
export async function prepareSpacingRewrite(files: CaseGridFiles, spacingMm: readonly [number, number]): Promise<CaseRewrite> {
  const imageBytes = await readFile(files.image)
  const image = await readNifti(files.image)
  const old = image.header
  if (old.dims[2] !== 1 || !is2dImageAffine(old.rasFromIjk)) {
    throw new VoxloopError(
      'INVALID_ARGUMENT',
      `case ${files.caseId}: its image is not a one-slice 2D image in the orientation the 2D import gives (${old.dims.join('×')}, ${old.orientation}), so its pixel spacing cannot be set`
    )
  }
  const header = imageHeaderForGrid({ dims: old.dims, channels: old.channels, datatype: old.datatype, rasFromIjk: rasFromIjkFor2d(spacingMm) })
  const rewrites: FileRewrite[] = [{ file: files.image, before: imageBytes, after: encodeImageNifti({ header, data: image.data }) }]
  for (const candidate of [files.label, files.prediction]) {
    const labelFile = await present(candidate)
    if (labelFile === null) continue
    const before = await readFile(labelFile)
    const label = await readLabelNifti(labelFile)
    rewrites.push({ file: labelFile, before, after: encodeLabelNifti(label.data, header) })
  }
  const uncertainty = await present(files.uncertainty)
  if (uncertainty !== null) {
    const before = await readFile(uncertainty)
    const map = await readNifti(uncertainty)
    rewrites.push({ file: uncertainty, before, after: encodeImageNifti({ header: { ...header, channels: 1 }, data: map.data }) })
  }
  const from: [number, number] = [Math.abs(old.rasFromIjk[0][0]), Math.abs(old.rasFromIjk[1][1])]
  return { caseId: files.caseId, from, header, files: rewrites }
}

/** A failed change whose replaced files could not all be put back: the record must stay for the next open. */
export class SpacingRestoreError extends VoxloopError {}

/**
 * Writes every rewrite; on a failure puts back the files already written, in reverse order, and
 * rethrows. If putting back fails too, it throws SpacingRestoreError, saying that the next open
 * completes the change (the caller then keeps spacing-change.json).
 */
export async function writeRewrites(rewrites: readonly FileRewrite[], write: FileWriter): Promise<void> {
  const written: FileRewrite[] = []
  try {
    for (const rewrite of rewrites) {
      await write(rewrite.file, rewrite.after)
      written.push(rewrite)
    }
  } catch (error) {
    try {
      for (const rewrite of written.reverse()) await write(rewrite.file, rewrite.before)
    } catch (restoreError) {
      throw new SpacingRestoreError(
        'INTERNAL',
        `the pixel spacing change failed (${(error as Error).message}) and the files already rewritten could not be put back (${(restoreError as Error).message}); no voxel was changed, and the change is completed when the project is next opened`,
        { cause: restoreError }
      )
    }
    throw error
  }
}

export async function writeSpacingChange(file: string, change: SpacingChange, write: FileWriter): Promise<void> {
  await write(file, new TextEncoder().encode(`${JSON.stringify(change)}\n`))
}

/** The recorded change, or null when none is under way. Throws PROJECT_CORRUPT naming the file when it cannot be read. */
export async function readSpacingChange(file: string): Promise<SpacingChange | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
  try {
    return SpacingChangeSchema.parse(JSON.parse(text))
  } catch (error) {
    throw new VoxloopError('PROJECT_CORRUPT', `${file}: not a pixel spacing change record (${(error as Error).message})`, { cause: error })
  }
}

export async function removeSpacingChange(file: string): Promise<void> {
  await rm(file, { force: true })
}
