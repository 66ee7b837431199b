/**
 * A scratch folder per test with the projects it opens (vitest hooks): apart from projectFixtures.ts,
 * which bench/ and test/helpers/ import outside vitest (importing vitest there throws).
 */
import path from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { ProjectStore, type CreateProjectOptions } from '../../../../../src/main/services/project/ProjectStore'
import { makeTempDir, removeDir } from './projectFixtures'

/** A scratch folder for each test and the projects the test has open in it. */
export interface ScratchProjects {
  /** This test's folder: made before it, removed after it. */
  readonly base: string
  /** A new project `<base>/<name>` (named `projectName` unless `options` says otherwise), closed after the test. */
  newProject(name?: string, options?: Partial<CreateProjectOptions>): Promise<ProjectStore>
  /** Closes `store` after the test: a project the test opened itself. */
  track(store: ProjectStore): ProjectStore
  /** The test closed `store` itself: it is not closed again. */
  forget(store: ProjectStore): void
}

/**
 * Registers, in the calling test file, a fresh folder `voxloop-<prefix>-…` before each test and,
 * after it, closes every project tracked and removes the folder (the import and export tests each
 * wrote this by hand).
 */
export function scratchProjects(prefix: string, projectName = 'Imported'): ScratchProjects {
  let base: string | null = null
  let open: ProjectStore[] = []
  beforeEach(async () => {
    base = await makeTempDir(prefix)
  })
  afterEach(async () => {
    for (const store of open) await store.dispose()
    open = []
    if (base) await removeDir(base)
    base = null
  })
  const scratch: ScratchProjects = {
    get base(): string {
      if (base === null) throw new Error('scratchProjects: base is only there while a test runs')
      return base
    },
    async newProject(name = 'project', options = {}) {
      return scratch.track(await ProjectStore.create(path.join(scratch.base, name), { name: projectName, ...options }))
    },
    track(store) {
      open.push(store)
      return store
    },
    forget(store) {
      open = open.filter((candidate) => candidate !== store)
    }
  }
  return scratch
}
