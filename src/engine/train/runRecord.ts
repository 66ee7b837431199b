/**
 * A model version folder and its run.json (the schema is in src/shared/training.ts):
 *
 *   models/<version>/
 *     run.json              plan, status, history, best epoch, and which checkpoints count;
 *                           rewritten atomically after every epoch: the commit point
 *     checkpoints/e0007/    the last epoch's checkpoint (see checkpoint.ts)
 *     checkpoints/e0005/    the best epoch's (the version's model), when it is another one
 *
 * A checkpoint folder run.json does not name is debris of an interrupted save and is removed.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { VoxloopError } from '../../shared/errors'
import { isValidCaseId } from '../../shared/project'
import { TrainingRunRecordSchema, type TrainingRunRecord } from '../../shared/training'
// Plain Node code shared with main: crash-safe replacement of one file.
import { writeFileAtomic } from '../../node/storage/durableWrite'
import { readJsonChecked } from '../../node/storage/readJsonChecked'
import { nextModelVersion } from '../../node/models/modelVersions'

export const RUN_JSON = 'run.json'
export const CHECKPOINTS_DIR = 'checkpoints'

export function versionDir(modelsDir: string, version: string): string {
  if (!isValidCaseId(version)) throw new VoxloopError('INVALID_ARGUMENT', `not a model version name: ${JSON.stringify(version)}`)
  return join(modelsDir, version)
}

/** Creates the next version folder (`v0003-…`); a folder another process made first is skipped. */
export async function createVersionFolder(modelsDir: string, now: Date = new Date()): Promise<{ version: string; dir: string }> {
  await mkdir(modelsDir, { recursive: true })
  for (let attempt = 0; ; attempt++) {
    const version = await nextModelVersion(modelsDir, now)
    const dir = join(modelsDir, version)
    try {
      await mkdir(dir)
      return { version, dir }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error
    }
  }
}

export async function readRunRecord(dir: string): Promise<TrainingRunRecord> {
  return readJsonChecked(join(dir, RUN_JSON), TrainingRunRecordSchema, 'a valid run record', (error) => {
    throw new VoxloopError('NOT_FOUND', `${dir} is not a trained model version (no ${RUN_JSON})`, { cause: error })
  })
}

export async function writeRunRecord(dir: string, record: TrainingRunRecord): Promise<void> {
  await writeFileAtomic(join(dir, RUN_JSON), `${JSON.stringify(record, null, 2)}\n`)
}
