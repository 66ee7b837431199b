import { DEMO_LABEL_COLORS } from '../../../shared/labelColors'
import type { LabelDef } from '../../../shared/project'
import type { Mat4, Vec3, Volume } from '../../../shared/volume'
import { ProjectStore } from '../project/ProjectStore'
import { imageHeaderForGrid } from '../../../node/formats/nifti/writeImageNifti'
import { childSeed } from './seededRandom'
import { DEMO_LABELS, drawDemoCaseParams, synthesizeDemoCase, type DemoCase } from './synthesizeCase'

/** The seed the app uses, so every install gets the same demo. */
export const DEFAULT_DEMO_SEED = 20_240_611

export const DEMO_LABEL_TABLE: LabelDef[] = [
  { id: DEMO_LABELS.organ, name: 'Organ', color: DEMO_LABEL_COLORS.organ },
  { id: DEMO_LABELS.lesion, name: 'Lesion', color: DEMO_LABEL_COLORS.lesion },
  { id: DEMO_LABELS.vessel, name: 'Vessel', color: DEMO_LABEL_COLORS.vessel }
]

export interface DemoProjectOptions {
  /** Default DEFAULT_DEMO_SEED. */
  seed?: number
  /** Cases generated; default 10. */
  cases?: number
  /** The first this many cases are saved with their labels (status done); default 6. */
  labeledCases?: number
  name?: string
}

/** Case `index` of the demo for `seed`: a pure function of both. */
export function generateDemoCase(seed: number, index: number): DemoCase {
  return synthesizeDemoCase(drawDemoCaseParams(childSeed(seed, index)))
}

export function demoCaseId(index: number): string {
  return `demo-${String(index + 1).padStart(2, '0')}`
}

/**
 * Voxel → RAS: the given spacing, centred on the origin; every third case is stored with its
 * first axis pointing left (LAS) so the viewer's orientation handling is exercised from day one.
 */
function demoRasFromIjk(dims: Vec3, spacing: Vec3, flipX: boolean): Mat4 {
  const sx = flipX ? -spacing[0] : spacing[0]
  const centre = (axis: 0 | 1 | 2, step: number): number => (-(dims[axis] - 1) / 2) * step
  return [
    [sx, 0, 0, centre(0, sx)],
    [0, spacing[1], 0, centre(1, spacing[1])],
    [0, 0, spacing[2], centre(2, spacing[2])],
    [0, 0, 0, 1]
  ]
}

export function demoVolume(demo: DemoCase, index: number): Volume {
  const { dims, spacing } = demo.params
  const header = imageHeaderForGrid({
    dims,
    datatype: 'int16',
    rasFromIjk: demoRasFromIjk(dims, spacing, index % 3 === 2),
    description: 'Voxloop demo (synthetic MR-like)'
  })
  return { header, data: demo.image }
}

/**
 * Writes the demo project into `dir` (new or empty) through ProjectStore: small synthetic MR-like
 * volumes with an organ, a lesion and a vessel, some labelled and curated, the rest unlabeled, so a
 * new user can label, train and predict offline (the default training took 13 min on 2 cores on
 * 2026-12-05: 600 steps; the minutes field makes it shorter). Returns the open store.
 */
export async function createDemoProject(dir: string, options: DemoProjectOptions = {}): Promise<ProjectStore> {
  const seed = options.seed ?? DEFAULT_DEMO_SEED
  const count = options.cases ?? 10
  const labeled = options.labeledCases ?? 6
  const store = await ProjectStore.create(dir, {
    name: options.name ?? 'Voxloop demo',
    modality: 'MR',
    channelNames: ['MRI'],
    labels: DEMO_LABEL_TABLE,
    settings: { demoSeed: seed }
  })
  try {
    for (let index = 0; index < count; index++) {
      const demo = generateDemoCase(seed, index)
      const withLabel = index < labeled
      await store.addCase({
        id: demoCaseId(index),
        image: demoVolume(demo, index),
        labels: withLabel ? demo.labels : null,
        status: withLabel ? 'done' : 'unlabeled',
        sourceFile: `generated: demo seed ${seed}, case ${index + 1}`,
        actor: 'demo'
      })
    }
  } catch (error) {
    await store.dispose()
    throw error
  }
  return store
}
