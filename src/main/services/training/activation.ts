/**
 * The server's check before a model version becomes the project's active model (issue #15 item
 * 8): a version that predicts a label the table no longer has is refused, whatever the client
 * showed, because its predictions would write voxels of a label that does not exist.
 */
import { VoxloopError } from '../../../shared/errors'
import { activationMismatch, type TableLabel } from '../../../shared/modelLabels'
import { modelLabelsOf, readRunJson } from './modelVersionList'

/** Throws INVALID_ARGUMENT naming the labels when `version` (its folder `versionDir`) does not fit `table`. */
export async function assertActivatable(versionDir: string, version: string, table: readonly TableLabel[]): Promise<void> {
  let labels
  try {
    labels = modelLabelsOf(await readRunJson(versionDir))
  } catch (error) {
    throw new VoxloopError('INVALID_ARGUMENT', `${versionDir}: the run.json of ${version} cannot be read, so it cannot be made active (${(error as Error).message.split('\n')[0]})`)
  }
  const mismatch = activationMismatch(version, labels, table)
  if (mismatch) throw new VoxloopError('INVALID_ARGUMENT', mismatch)
}
