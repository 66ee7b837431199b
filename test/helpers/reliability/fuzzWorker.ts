/**
 * One fuzzed file through import, as the import fuzz harness counts it. Runs inside the fuzz child
 * process (fuzzChild.ts), so that a file that kills or stalls the process costs one case, not the run.
 */
import path from 'node:path'
import { caseIdFromStem, niftiStem } from '../../../src/main/services/project/datasetDiscovery'
import { importDataset } from '../../../src/main/services/project/importDataset'
import type { ProjectStore } from '../../../src/main/services/project/ProjectStore'
import { readNifti } from '../../../src/node/formats/nifti'
import { VoxloopError } from '../../../src/shared/errors'
import type { ImportReport } from '../../../src/shared/project'
import type { Volume } from '../../../src/shared/volume'

export type CaseOutcome =
  | {
      kind: 'imported'
      file: string
      ms: number
      /** The image as the project stores it. */
      stored: string
      /** What import repaired in the header, one entry per fix (empty when stored as it was). */
      repairs: string[]
      /** Null when the stored voxels equal the source's (or were not compared); else how they differ. */
      voxelProblem: string | null
      voxelsChecked: boolean
    }
  | {
      kind: 'refused'
      file: string
      ms: number
      /** The reader's error code for this file, or IMPORT when the reader accepts it and import refused it (e.g. channels). */
      code: string
      reason: string
    }
  | {
      /** Import threw, accounted for the file wrongly, or refused it for an error that is not a VoxloopError. */
      kind: 'crashed'
      file: string
      ms: number
      error: string
    }
  | {
      /** Set by the harness: the process running the file was stopped (timeout) or died. */
      kind: 'hung' | 'died'
      file: string
      ms: number
      error: string
    }

function describeError(error: unknown): string {
  if (error instanceof VoxloopError) return `${error.code}: ${error.message}`
  if (error instanceof Error) return `${error.name}: ${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 4).join('\n')}` : ''}`
  return String(error)
}

function sameVoxels(source: Volume, stored: Volume): string | null {
  if (JSON.stringify(source.header.dims) !== JSON.stringify(stored.header.dims) || source.header.channels !== stored.header.channels) {
    return `grid ${source.header.dims.join('x')}x${source.header.channels} stored as ${stored.header.dims.join('x')}x${stored.header.channels}`
  }
  if (source.header.datatype !== stored.header.datatype) return `datatype ${source.header.datatype} stored as ${stored.header.datatype}`
  const a = Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength)
  const b = Buffer.from(stored.data.buffer, stored.data.byteOffset, stored.data.byteLength)
  if (a.equals(b)) return null
  let first = 0
  while (first < a.length && a[first] === b[first]) first++
  return `voxel bytes differ from byte ${first} of ${a.length}`
}

/** Null when the stored image holds the source's voxels; else how it does not. */
async function compareVoxels(file: string, stored: string): Promise<string | null> {
  let copy: Volume
  try {
    copy = await readNifti(stored)
  } catch (error) {
    return `Voxloop cannot read the stored file: ${describeError(error)}`
  }
  return sameVoxels(await readNifti(file), copy)
}

/**
 * Why the reader refuses `file`: its VoxloopError code, or IMPORT when it reads the file (import
 * refused it for another reason); a thrown non-VoxloopError is returned as a crash.
 */
async function readerVerdict(file: string): Promise<{ code: string } | { crash: string }> {
  try {
    await readNifti(file)
    return { code: 'IMPORT' }
  } catch (error) {
    return error instanceof VoxloopError ? { code: error.code } : { crash: `the reader threw a non-VoxloopError: ${describeError(error)}` }
  }
}

/**
 * What became of `file` in an import's report (`importedAs` is the path import was given it under):
 * imported (its stored voxels compared with the source's when `checkVoxels`), or refused. Import
 * reports a file it cannot take under `skipped` with the reader's message, so a refusal is read once
 * more with the reader itself to learn its code and to catch errors (RangeError, TypeError) that
 * import would otherwise pass off as a reason.
 */
async function outcomeOf(store: ProjectStore, report: ImportReport, file: string, importedAs: string, ms: number, checkVoxels: boolean): Promise<CaseOutcome> {
  const imported = report.imported.filter((c) => c.imageFile === importedAs)
  const skipped = report.skipped.filter((s) => s.file === importedAs)
  const repaired = report.repaired.filter((r) => r.file === importedAs)
  const [done] = imported
  const [refusal] = skipped
  if (imported.length + skipped.length !== 1 || (repaired.length > 0 && !done)) {
    return { kind: 'crashed', file, ms, error: `not accounted for once: imported ${imported.length}, skipped ${skipped.length}, repaired ${repaired.length}` }
  }
  if (refusal) {
    const verdict = await readerVerdict(file)
    if ('crash' in verdict) return { kind: 'crashed', file, ms, error: verdict.crash }
    return { kind: 'refused', file, ms, code: verdict.code, reason: refusal.reason.split(importedAs).join(file) }
  }
  if (!done) throw new Error('unreachable: neither imported nor skipped')
  const stored = path.join(store.root, 'images', `${done.caseId}.nii.gz`)
  const voxelProblem = checkVoxels ? await compareVoxels(file, stored) : null
  return { kind: 'imported', file, ms, stored, repairs: repaired.flatMap((r) => r.repairs), voxelProblem, voxelsChecked: checkVoxels }
}

/**
 * Imports the whole folder `dir` (holding `files`, nothing else) in one call, as a user would,
 * calling `onProgress` after each case; throws what import throws.
 */
export async function importFolder(store: ProjectStore, dir: string, files: string[], checkVoxels: boolean[], onProgress: () => void): Promise<CaseOutcome[]> {
  const times = new Map<string, number>()
  let last = performance.now()
  const report = await importDataset(store, dir, {
    onProgress: ({ caseId }) => {
      const now = performance.now()
      times.set(caseId, Math.round(now - last))
      last = now
      onProgress()
    }
  })
  const outcomes: CaseOutcome[] = []
  for (const [n, file] of files.entries()) {
    const caseId = caseIdFromStem(niftiStem(path.basename(file)) ?? '') ?? ''
    outcomes.push(await outcomeOf(store, report, file, file, times.get(caseId) ?? 0, checkVoxels[n] ?? false))
    onProgress()
  }
  return outcomes
}

/**
 * Imports `file` alone: `dir` is a folder holding only a link to it (so that import sees one file);
 * a throw from import is a crash of this file.
 */
export async function importOneFile(store: ProjectStore, dir: string, file: string, checkVoxels: boolean): Promise<CaseOutcome> {
  const started = performance.now()
  const ms = (): number => Math.round(performance.now() - started)
  try {
    const report = await importDataset(store, dir)
    return await outcomeOf(store, report, file, path.join(dir, path.basename(file)), ms(), checkVoxels)
  } catch (error) {
    return { kind: 'crashed', file, ms: ms(), error: `import threw instead of reporting the file: ${describeError(error)}` }
  }
}
