import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { copyFile, mkdir, open, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Writable } from 'node:stream'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { NIFTI_GZ, STAGING_PREFIX, assertCaseId, type ProjectPaths } from './projectPaths'

/**
 * A scratch folder inside the project (same file system, so moving files in is an atomic rename)
 * where an import writes complete, fsynced files before anything in the project changes. Removed
 * when the import ends; a leftover from a crash is removed at the next open.
 */
export class ImportStaging {
  private constructor(readonly dir: string) {}

  static async create(paths: ProjectPaths): Promise<ImportStaging> {
    const dir = paths.resolveRelative(`${STAGING_PREFIX}${randomBytes(6).toString('hex')}`)
    try {
      await mkdir(path.join(dir, 'images'), { recursive: true })
      await mkdir(path.join(dir, 'labels'))
    } catch (error) {
      // Half made (disk full, permissions): nobody else will remove it before the next open.
      await rm(dir, { recursive: true, force: true }).catch(() => undefined)
      throw error
    }
    return new ImportStaging(dir)
  }

  imagePath(caseId: string): string {
    return path.join(this.dir, 'images', `${assertCaseId(caseId)}${NIFTI_GZ}`)
  }

  labelPath(caseId: string): string {
    return path.join(this.dir, 'labels', `${assertCaseId(caseId)}${NIFTI_GZ}`)
  }

  async write(file: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(file, bytes)
  }

  /** Copies byte for byte and fsyncs the copy. */
  async copy(source: string, file: string): Promise<void> {
    await copyFile(source, file)
    const handle = await open(file, 'r+')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  /** A new file written by `write` through a stream (which it must end); fsynced before it closes. */
  async writeStreamed(file: string, write: (out: Writable) => Promise<void>): Promise<void> {
    await write(createWriteStream(file, { flags: 'wx', flush: true }))
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
