import { lstat, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { isValidCaseId } from '../../../shared/project'
import { VoxloopError } from '../../../shared/errors'
import { isErrno } from './fsUtil'

/**
 * Every path the store touches is derived here from the project root and a case id (or a relative
 * path), and confined to the root: ids must match a strict pattern, the joined path must stay under
 * the root lexically, and its real path (symlinks resolved) must too. Anything else is
 * PATH_OUTSIDE_PROJECT, so a hostile id or a symlink planted in the folder cannot read or write
 * elsewhere.
 */

export const MANIFEST_FILE = 'voxloop.json'
export const CASE_INDEX_FILE = 'cases.json'
export const AUDIT_FILE = 'audit.jsonl'
/** A pixel spacing change under way (pixelSpacing.ts). */
export const SPACING_CHANGE_FILE = 'spacing-change.json'
export const LOCK_FILE = '.voxloop.lock'
/** Prefix of the staging folders an import writes into before moving files into place. */
export const STAGING_PREFIX = '.import-'

export const PROJECT_DIRS = ['images', 'labels', 'predictions', 'models', 'journal'] as const
export type ProjectDir = (typeof PROJECT_DIRS)[number]
/** Created by the first DICOM import, not with the project: most projects never have one. */
export const DICOM_REFERENCES_DIR = 'dicom'

export { isValidCaseId }

export const NIFTI_GZ = '.nii.gz'
export const JOURNAL_EXT = '.vxj'

export function assertCaseId(id: unknown): string {
  if (typeof id !== 'string' || !isValidCaseId(id)) {
    throw new VoxloopError(
      'PATH_OUTSIDE_PROJECT',
      `Invalid case id ${JSON.stringify(id)}: use a letter or digit, then letters, digits, ".", "_" or "-" ` +
        '(at most 128 characters, no "..", no device names, not ending in ".uncertainty")'
    )
  }
  return id
}

/** Model version folder names follow the same rule as case ids. */
export const assertModelVersion = assertCaseId

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate)
  if (relative === '') return false
  return !path.isAbsolute(relative) && relative !== '..' && !relative.startsWith(`..${path.sep}`)
}

function outside(root: string, candidate: string, why: string): VoxloopError {
  return new VoxloopError('PATH_OUTSIDE_PROJECT', `${candidate} is outside the project folder ${root}: ${why}`)
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * The real path `candidate` refers to, resolving symlinks in the part that exists; the missing tail
 * is appended as is. A dangling symlink is refused: we cannot tell where a write through it lands.
 */
export async function realPathOfPossiblyMissing(candidate: string): Promise<string> {
  const missingTail: string[] = []
  let probe = candidate
  for (;;) {
    try {
      return path.join(await realpath(probe), ...missingTail)
    } catch (error) {
      if (!isNotFound(error)) throw error
      const stat = await lstat(probe).catch(() => null)
      if (stat?.isSymbolicLink()) throw new VoxloopError('PATH_OUTSIDE_PROJECT', `${probe} is a dangling symlink`)
      const parent = path.dirname(probe)
      if (parent === probe) throw error
      missingTail.unshift(path.basename(probe))
      probe = parent
    }
  }
}

export class ProjectPaths {
  /** `root` must already be a real, absolute path (see `ProjectPaths.forFolder`). */
  private constructor(readonly root: string) {}

  /** Resolves `dir` to its real path; throws NOT_A_PROJECT when the folder does not exist. */
  static async forFolder(dir: string): Promise<ProjectPaths> {
    // Node refuses NUL inside paths with a TypeError, which would surface as an internal error.
    if (dir.includes('\0')) throw new VoxloopError('INVALID_ARGUMENT', `The path ${JSON.stringify(dir)} contains a NUL character`)
    let root: string
    try {
      root = await realpath(path.resolve(dir))
    } catch (error) {
      if (isNotFound(error)) throw new VoxloopError('NOT_A_PROJECT', `${dir} does not exist`, { cause: error })
      if (isErrno(error, 'EACCES')) throw new VoxloopError('FORBIDDEN', `${dir} cannot be read (permission denied)`, { cause: error })
      if (isErrno(error, 'ELOOP')) throw new VoxloopError('INVALID_ARGUMENT', `${dir} is a symbolic link loop`, { cause: error })
      throw error
    }
    if (!(await stat(root)).isDirectory()) {
      throw new VoxloopError('NOT_A_PROJECT', `${dir} is a file, not a project folder: choose the folder that holds voxloop.json`)
    }
    return new ProjectPaths(root)
  }

  get manifest(): string {
    return path.join(this.root, MANIFEST_FILE)
  }

  get caseIndex(): string {
    return path.join(this.root, CASE_INDEX_FILE)
  }

  get audit(): string {
    return path.join(this.root, AUDIT_FILE)
  }

  /** spacing-change.json: a pixel spacing change under way (pixelSpacing.ts). */
  get spacingChange(): string {
    return path.join(this.root, SPACING_CHANGE_FILE)
  }

  get lock(): string {
    return path.join(this.root, LOCK_FILE)
  }

  dir(name: ProjectDir): string {
    return path.join(this.root, name)
  }

  /** images/<id>.nii.gz, lexically confined (call `confine` before touching it). */
  image(caseId: string): string {
    return this.caseFile('images', caseId, NIFTI_GZ)
  }

  label(caseId: string): string {
    return this.caseFile('labels', caseId, NIFTI_GZ)
  }

  prediction(caseId: string): string {
    return this.caseFile('predictions', caseId, NIFTI_GZ)
  }

  uncertainty(caseId: string): string {
    return this.caseFile('predictions', caseId, `.uncertainty${NIFTI_GZ}`)
  }

  /** dicom/<id>.json: the case's per-slice DICOM references (dicomReferences.ts), for DICOM SEG export. */
  dicomReferences(caseId: string): string {
    return this.lexical(path.join(this.root, DICOM_REFERENCES_DIR, `${assertCaseId(caseId)}.json`))
  }

  /** journal/<id>.<generation>.vxj */
  journalSegment(caseId: string, generation: number): string {
    if (!Number.isSafeInteger(generation) || generation < 1) {
      throw new VoxloopError('INVALID_ARGUMENT', `Journal generation must be a positive integer, got ${generation}`)
    }
    return this.caseFile('journal', caseId, `.${String(generation).padStart(6, '0')}${JOURNAL_EXT}`)
  }

  modelDir(version: string): string {
    return this.lexical(path.join(this.root, 'models', assertModelVersion(version)))
  }

  /**
   * A path given relative to the project root (e.g. by the UI), confined lexically. Absolute paths
   * and paths escaping with `..` are refused.
   */
  resolveRelative(relativePath: string): string {
    if (path.isAbsolute(relativePath) || path.win32.isAbsolute(relativePath)) {
      throw outside(this.root, relativePath, 'absolute paths are not accepted')
    }
    return this.lexical(path.resolve(this.root, relativePath))
  }

  /**
   * Checks that `candidate` (absolute) stays inside the root after resolving symlinks, and returns it.
   * Call right before reading or writing.
   */
  async confine(candidate: string): Promise<string> {
    this.lexical(candidate)
    const real = await realPathOfPossiblyMissing(candidate)
    if (!isInside(this.root, real)) throw outside(this.root, candidate, `it resolves to ${real}`)
    return candidate
  }

  private caseFile(dir: ProjectDir, caseId: string, suffix: string): string {
    return this.lexical(path.join(this.root, dir, `${assertCaseId(caseId)}${suffix}`))
  }

  private lexical(candidate: string): string {
    const resolved = path.resolve(candidate)
    if (!isInside(this.root, resolved)) throw outside(this.root, candidate, 'it leaves the folder')
    return resolved
  }
}
