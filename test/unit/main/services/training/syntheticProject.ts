/**
 * A real project folder with a few tiny synthetic cases, for the training-service tests that need
 * the store's own label statistics and case files but not a trained model.
 */
import path from 'node:path'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { imageHeaderForGrid } from '../../../../../src/node/formats/nifti/writeImageNifti'
import type { LabelDef } from '../../../../../src/shared/project'
import { createRandom } from '../../../../../src/shared/random'
import { syntheticCase } from '../../../engine/train/trainingFixtures'

export interface SyntheticProjectOptions {
  name: string
  labels: LabelDef[]
  /** Seeds the cases' positions and noise, so that a failure reproduces. */
  seed: number
  /** How many cases (default 3). */
  cases?: number
  /** Index of one case left 'in-review' (labelled but not curated), to check that training leaves it out. */
  inReview?: number
}

/**
 * Creates `<dir>/project` (an MR project) with `cases` 16³ cases (default 3), `case-0`, `case-1` …,
 * each a bright ball (label 1) and a dark box (label 2) in noise, all marked done but `inReview`. The caller disposes
 * the store and removes `dir`; a set-up that fails disposes the store itself.
 */
export async function syntheticProject(dir: string, options: SyntheticProjectOptions): Promise<ProjectStore> {
  const store = await ProjectStore.create(path.join(dir, 'project'), { name: options.name, modality: 'MR', labels: options.labels })
  const random = createRandom(options.seed)
  const header = imageHeaderForGrid({ dims: [16, 16, 16], datatype: 'float32', rasFromIjk: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] })
  try {
    for (let n = 0; n < (options.cases ?? 3); n++) {
      const { image, label } = syntheticCase(16, random)
      await store.addCase({ id: `case-${n}`, image: { header, data: image }, labels: label, status: n === options.inReview ? 'in-review' : 'done' })
    }
  } catch (error) {
    // The caller never gets the store to dispose, so its lock would outlive the failed set-up.
    await store.dispose()
    throw error
  }
  return store
}
