/**
 * Where the shared real-data test files live (`../shared/data` beside the repository, see
 * MANIFEST.md there). They are read in place, never copied into the repository.
 * Override with VOXLOOP_SHARED_DATA, e.g. for a second checkout elsewhere.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'

export const SHARED_DATA_DIR = process.env.VOXLOOP_SHARED_DATA
  ? path.resolve(process.env.VOXLOOP_SHARED_DATA)
  : path.resolve(process.cwd(), '..', 'shared', 'data')

export const hasSharedData = existsSync(path.join(SHARED_DATA_DIR, 'MANIFEST.md'))

/** Why tests that read the shared data cannot run here, or null when they can. */
export const sharedDataMissing: string | null = hasSharedData ? null : `shared test data not found at ${SHARED_DATA_DIR} (put ../shared beside the repository or set VOXLOOP_SHARED_DATA)`

export function sharedDataPath(...parts: string[]): string {
  return path.join(SHARED_DATA_DIR, ...parts)
}

const NIFTI_NAME = /\.(nii|nii\.gz|hdr|hdr\.gz)$/i

/** Every NIfTI file (single files and the header half of pairs) under the shared data, sorted. */
export function listSharedNiftiFiles(): string[] {
  if (!hasSharedData) return []
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile() && NIFTI_NAME.test(entry.name)) out.push(full)
    }
  }
  walk(SHARED_DATA_DIR)
  return out.sort()
}
