import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { VoxloopError } from '../../../shared/errors'
import { DICOM_REFERENCES_DIR, PROJECT_DIRS, STAGING_PREFIX, type ProjectPaths } from './projectPaths'
import { isErrno } from './fsUtil'
import { removeStaleTemporaries } from './staleFiles'

/** Folder-level steps of creating, opening and importing into a project. */

export async function assertEmptyFolder(root: string): Promise<void> {
  const entries = (await readdir(root)).filter((name) => !name.startsWith('.'))
  if (entries.includes('voxloop.json')) throw new VoxloopError('ALREADY_EXISTS', `${root} is already a Voxloop project`)
  if (entries.length > 0) {
    throw new VoxloopError('ALREADY_EXISTS', `${root} is not empty (${entries.slice(0, 3).join(', ')}…); choose an empty folder`)
  }
}

/** Creates missing folders, checks none is a symlink leading out, and clears leftovers of a crash. */
export async function prepareFolders(paths: ProjectPaths): Promise<void> {
  for (const name of PROJECT_DIRS) {
    await mkdir(paths.dir(name), { recursive: true })
    await paths.confine(paths.dir(name))
  }
  for (const name of await readdir(paths.root)) {
    if (name.startsWith(STAGING_PREFIX)) await rm(paths.resolveRelative(name), { recursive: true, force: true })
  }
  // dicom/ exists only in projects with DICOM imports; a missing folder is skipped.
  await removeStaleTemporaries([paths.root, ...PROJECT_DIRS.map((name) => paths.dir(name)), paths.resolveRelative(DICOM_REFERENCES_DIR)])
}

/** Renames without replacing an existing file (an import never overwrites). */
export async function renameNoClobber(from: string, to: string): Promise<void> {
  const existing = await lstat(to).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  })
  if (existing) throw new VoxloopError('ALREADY_EXISTS', `${to} already exists`)
  await rename(from, to)
}
