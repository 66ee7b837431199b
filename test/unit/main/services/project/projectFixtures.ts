import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Mat4, Vec3, Volume } from '../../../../../src/shared/volume'
import type { LabelDef } from '../../../../../src/shared/project'
import { imageHeaderForGrid } from '../../../../../src/node/formats/nifti/writeImageNifti'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'

export const TEST_LABELS: LabelDef[] = [
  { id: 1, name: 'Organ', color: '#ff0000' },
  { id: 2, name: 'Lesion', color: '#00ff00' },
  { id: 3, name: 'Vessel', color: '#0000ff' }
]

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `voxloop-${prefix}-`))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** A small int16 image with a ramp, on an axis-aligned grid of the given spacing. */
export function syntheticImage(dims: Vec3, spacing: Vec3 = [1, 1, 1]): Volume {
  const rasFromIjk: Mat4 = [
    [spacing[0], 0, 0, -10],
    [0, spacing[1], 0, -20],
    [0, 0, spacing[2], 5],
    [0, 0, 0, 1]
  ]
  const header = imageHeaderForGrid({ dims, datatype: 'int16', rasFromIjk, description: 'synthetic' })
  const data = new Int16Array(dims[0] * dims[1] * dims[2])
  for (let n = 0; n < data.length; n++) data[n] = n % 1000
  return { header, data }
}

export interface ProjectFixtureOptions {
  cases?: number
  dims?: Vec3
  spacing?: Vec3
  labels?: LabelDef[]
}

/** A project with `cases` unlabeled cases named case-0, case-1, … */
export async function createProjectWithCases(dir: string, options: ProjectFixtureOptions = {}): Promise<ProjectStore> {
  const store = await ProjectStore.create(dir, { name: 'Test', modality: 'MR', labels: options.labels ?? TEST_LABELS })
  for (let n = 0; n < (options.cases ?? 2); n++) {
    await store.addCase({ id: `case-${n}`, image: syntheticImage(options.dims ?? [8, 6, 5], options.spacing) })
  }
  return store
}

/** Every file under `dir` with its bytes (relative path → content), folders included as ''. */
export async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const full = path.join(current, name)
      const relative = path.relative(dir, full)
      const info = await lstat(full)
      if (info.isSymbolicLink()) {
        out.set(relative, `-> ${await readlink(full)}`)
      } else if (info.isDirectory()) {
        out.set(`${relative}/`, '')
        await walk(full)
      } else {
        out.set(relative, (await readFile(full)).toString('base64'))
      }
    }
  }
  await walk(dir)
  return out
}

export function editOf(indices: number[], values: number[]): { indices: Uint32Array; values: Uint8Array } {
  return { indices: Uint32Array.from(indices), values: Uint8Array.from(values) }
}
