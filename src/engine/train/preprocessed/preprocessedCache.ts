/**
 * The preprocessed cache (issue #13 item 10, after nnU-Net's preprocessed folder): each case is read
 * from its NIfTI files, reoriented, resampled and normalised once, written to one file
 * (caseFile.ts), and training samples patches from those files while validation reads one held-out
 * case at a time — so a run's memory does not grow with its case count, and a later run with the
 * same preparation reads no source volume at all.
 *
 *   <cacheDir>/                       main sends <project>/cache/preprocessed
 *     fingerprints/<id>-<source>.json each case's fingerprint contribution (a few KiB)
 *     <preparation>/                  one folder per preparation: spacing, normalisation, modality,
 *       .last-used                    class mapping and formats (preparationKeyOf)
 *       <id>-<source>.vxpc            one file per case (caseFile.ts)
 *
 * Keys: <source> hashes what identifies the case's data (image size and mtime — project images are
 * never rewritten in place —, label size, mtime and SHA-256 of its bytes, the class mapping);
 * <preparation> hashes everything that changes the prepared voxels. A changed input gives another
 * name, so a stale file is never read; it is pruned instead: a case's older files in a folder go when
 * its new one is written, and only the MAX_PREPARATIONS most recently used folders are kept.
 * Integrity: files are written atomically (writeFileAtomic) and checked (size + SHA-256) before a run
 * samples them and whenever validation reads one whole; a bad file is rebuilt, never used.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import type { CaseFiles } from '../../../shared/engineProtocol'
import { VoxloopError } from '../../../shared/errors'
import type { DatasetFingerprint, TrainingClass } from '../../../shared/training'
// Plain Node code shared with main: the app's one crash-safe file write.
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import type { SamplerCase } from '../../data/BatchSampler'
import { combineFingerprint, fingerprintContribution, type FingerprintCase, type FingerprintContribution } from '../../data/fingerprint'
import { canonicalTurn, turnedVec3 } from '../../data/reorient'
import { prepareCaseVolumes, readCaseVolumes, type CaseVolumes, type PrepareOptions } from '../caseVolumes'
import type { HeldOutCase, HeldOutSource } from '../validate'
import { CaseFilePool, checkCaseFile, readCaseFile, writeCaseFile, type CaseFileHeader, type CaseFileLayout } from './caseFile'

/**
 * Version of what prepareCase makes of the same inputs (reorient.ts, resample.ts, normalize.ts,
 * foregroundIndex.ts): bump it with any change to their output, so that older files are not reused.
 */
export const PREPARATION_VERSION = 1
/** Preparations kept: the current one and the one before (a resumed or fine-tuned run may use it). */
export const MAX_PREPARATIONS = 2
/** Case files a sampler keeps open at once. */
export const MAX_OPEN_CASE_FILES = 4
const FINGERPRINT_FORMAT = 1
const FINGERPRINTS_DIR = 'fingerprints'
const LAST_USED = '.last-used'
const KEY_HEX = 24
const PREPARATION_DIR = new RegExp(`^[0-9a-f]{${KEY_HEX}}$`)
const CASE_FILE = new RegExp(`^(.+)-([0-9a-f]{${KEY_HEX}})\\.vxpc$`)
const FINGERPRINT_FILE = new RegExp(`^(.+)-([0-9a-f]{${KEY_HEX}})\\.json$`)
/** writeFileAtomic's temporaries: `.<name>.<pid>.<hex>.tmp`; older than this, their writer is gone. */
const TEMPORARY = /^\..+\.\d+\.[0-9a-f]+\.tmp$/
const STALE_TEMPORARY_MS = 10 * 60_000
/** Case ids are safe file names (the project checks them); anything else is named by its hash. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, KEY_HEX)
const fileStem = (id: string): string => (SAFE_ID.test(id) && !id.includes('..') ? id : `id_${hashOf(id)}`)

/** The cache folder of a run: the one main names, else `cache/preprocessed` beside the models folder. */
export function cacheDirOf(request: { cacheDir?: string | undefined; modelsDir: string }): string {
  return request.cacheDir ?? join(dirname(request.modelsDir), 'cache', 'preprocessed')
}

/** A case's files and the hash of their identity. */
export interface CaseSource {
  id: string
  files: CaseFiles
  /** Source key: sizes and mtimes of both files, the label's SHA-256, the class mapping. */
  key: string
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Identifies a case's data; NOT_FOUND naming the file when one cannot be read. */
export async function describeSource(files: CaseFiles, classes: readonly TrainingClass[]): Promise<CaseSource> {
  const identity = async (path: string, withContent: boolean): Promise<unknown[]> => {
    try {
      const info = await stat(path)
      // Nearest whole millisecond: what copies and Date-based tools keep of a modification time
      // (they pass it as float seconds, which may land a hair below the millisecond).
      const modified = Math.round(info.mtimeMs)
      return withContent ? [info.size, modified, await sha256OfFile(path)] : [info.size, modified]
    } catch (error) {
      throw new VoxloopError('NOT_FOUND', `case ${files.id}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
  }
  const image = await identity(files.imagePath, false)
  const label = files.labelPath ? await identity(files.labelPath, true) : null
  return { id: files.id, files, key: hashOf({ image, label, classes: classes.map((c) => [c.index, c.labelId]) }) }
}

/** Hash of everything that changes the prepared voxels of a case with a given source. */
export function preparationKeyOf(options: PrepareOptions): string {
  const fixed = options.normalization?.scheme === 'ct-dataset' ? options.normalization.channels : null
  return hashOf({ preparation: PREPARATION_VERSION, targetSpacingMm: options.targetSpacingMm, modality: options.modality, fixedNormalization: fixed, canonical: true })
}

/** The shapes and spacings of the fingerprint are in canonical (RAS) axis order, as prepareCase turns cases. */
export function fingerprintCaseOf(volumes: CaseVolumes): FingerprintCase {
  const { header } = volumes.image
  const turn = canonicalTurn(header.rasFromIjk)
  return { dims: turnedVec3(header.dims, turn), spacingMm: turnedVec3(header.spacing, turn), channels: header.channels, data: volumes.image.data, labels: volumes.classLabels }
}

const ContributionFileSchema = z.object({
  format: z.literal(FINGERPRINT_FORMAT),
  key: z.string(),
  contribution: z.object({
    spacingMm: z.tuple([z.number(), z.number(), z.number()]),
    shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
    channels: z.number().int().min(1),
    foregroundSamples: z.array(z.array(z.number()))
  }),
  /** Hash of `contribution` as JSON: a damaged number is caught, not averaged in. */
  checksum: z.string()
})

/** A case in the cache, checked this run. */
export interface CachedCase {
  id: string
  path: string
  key: string
  header: CaseFileHeader
  layout: CaseFileLayout
}

export interface PreprocessedCacheOptions {
  /** Told when a file is rebuilt because it was damaged; default console.warn. */
  log?: (message: string) => void
  maxOpenFiles?: number
}

/**
 * Told before each case is read (done = cases finished before it, caseId = the one starting) and
 * once after the last (done = total, caseId null): the training panel's preparing bar.
 */
export type CaseProgress = (done: number, total: number, caseId: string | null) => void

export class PreprocessedCache {
  /** Where the sampler reads from; its stats show how much it holds. */
  readonly pool: CaseFilePool
  private readonly log: (message: string) => void
  /** Files checked (or written) this run: path → what the check found. */
  private readonly checked = new Map<string, CachedCase>()
  /** Source NIfTI reads this run (tests: a warm cache reads none). */
  sourceReads = 0

  constructor(
    readonly root: string,
    options: PreprocessedCacheOptions = {}
  ) {
    this.pool = new CaseFilePool(options.maxOpenFiles ?? MAX_OPEN_CASE_FILES)
    this.log = options.log ?? ((message) => console.warn(`voxloop: ${message}`))
  }

  /**
   * The fingerprint of `sources`, reading one case at a time (contributions are cached per source).
   * With `alsoPrepare` (the preparation does not depend on the fingerprint: not CT, or fine-tuning),
   * a case read for its contribution is prepared and written at once, so it is read only once.
   */
  async fingerprint(
    sources: readonly CaseSource[],
    classes: readonly TrainingClass[],
    alsoPrepare: PrepareOptions | null,
    onCase?: CaseProgress
  ): Promise<DatasetFingerprint> {
    const dir = join(this.root, FINGERPRINTS_DIR)
    await mkdir(dir, { recursive: true })
    const contributions: FingerprintContribution[] = []
    for (const [n, source] of sources.entries()) {
      onCase?.(n, sources.length, source.id)
      const path = join(dir, `${fileStem(source.id)}-${source.key}.json`)
      let contribution = await readContribution(path, source.key)
      if (!contribution) {
        const volumes = await this.readSource(source, classes)
        contribution = fingerprintContribution(fingerprintCaseOf(volumes))
        const checksum = hashOf(contribution)
        await writeFileAtomic(path, JSON.stringify({ format: FINGERPRINT_FORMAT, key: source.key, contribution, checksum }))
        if (alsoPrepare) {
          const target = this.target(source, alsoPrepare)
          await mkdir(dirname(target.path), { recursive: true })
          if (!(await this.checkFile(source.id, target.path, target.key))) await this.write(source.id, target.path, target.key, volumes, alsoPrepare)
        }
      }
      contributions.push(contribution)
    }
    onCase?.(sources.length, sources.length, null)
    await removeOtherVersions(dir, sources, FINGERPRINT_FILE, (s) => `${fileStem(s.id)}-${s.key}.json`)
    return combineFingerprint(contributions)
  }

  /**
   * Makes sure every case has an intact file for this preparation (checking those on disk, building
   * the others from their sources one at a time) and returns them in order. Prunes stale files.
   */
  async prepare(sources: readonly CaseSource[], classes: readonly TrainingClass[], options: PrepareOptions, onCase?: CaseProgress): Promise<CachedCase[]> {
    const preparation = preparationKeyOf(options)
    const dir = join(this.root, preparation)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, LAST_USED), new Date().toISOString())
    await removeStaleTemporaries(dir)
    const cases: CachedCase[] = []
    for (const [n, source] of sources.entries()) {
      onCase?.(n, sources.length, source.id)
      const { path, key } = this.target(source, options)
      const cached = (await this.checkFile(source.id, path, key)) ?? (await this.build(source, classes, options))
      cases.push(cached)
    }
    onCase?.(sources.length, sources.length, null)
    await removeOtherVersions(dir, sources, CASE_FILE, (s) => `${fileStem(s.id)}-${s.key}.vxpc`)
    await prunePreparations(this.root, preparation)
    return cases
  }

  /** A case for the batch sampler: its voxels stay on disk. */
  samplerCase(cached: CachedCase): SamplerCase {
    return this.pool.samplerCase(cached.path, cached.header, cached.layout)
  }

  /**
   * A held-out case that validation reads when it reaches it (hash checked) and drops afterwards. A
   * file found damaged then is rebuilt from its source and read again.
   */
  heldOut(cached: CachedCase, source: CaseSource, classes: readonly TrainingClass[], options: PrepareOptions): HeldOutSource {
    const load = async (): Promise<HeldOutCase> => {
      let loaded
      try {
        loaded = await readCaseFile(cached.path, cached.key)
      } catch (error) {
        this.log(`rebuilding ${cached.path}: ${(error as Error).message}`)
        this.checked.delete(cached.path)
        await this.build(source, classes, options)
        loaded = await readCaseFile(cached.path, cached.key)
      }
      if (!loaded.reference) throw new VoxloopError('INVALID_ARGUMENT', `case ${cached.id} has no saved label; only labelled cases can validate`)
      return { id: cached.id, prepared: loaded.prepared, reference: loaded.reference }
    }
    return { id: cached.id, load }
  }

  /** Closes the files the sampler kept open. */
  close(): void {
    this.pool.close()
  }

  private target(source: CaseSource, options: PrepareOptions): { path: string; key: string } {
    const preparation = preparationKeyOf(options)
    return { path: join(this.root, preparation, `${fileStem(source.id)}-${source.key}.vxpc`), key: `${preparation}/${source.key}` }
  }

  /** The file if it is intact (checked once per run), else null (after saying why, when it existed). */
  private async checkFile(id: string, path: string, key: string): Promise<CachedCase | null> {
    const known = this.checked.get(path)
    if (known) return known
    const check = await checkCaseFile(path, key)
    if (!check.ok) {
      if (check.problem !== 'missing') this.log(`rebuilding ${path}: ${check.problem}`)
      return null
    }
    const cached = { id, path, key, header: check.header, layout: check.layout }
    this.checked.set(path, cached)
    return cached
  }

  private async readSource(source: CaseSource, classes: readonly TrainingClass[]): Promise<CaseVolumes> {
    if (!source.files.labelPath) throw new VoxloopError('INVALID_ARGUMENT', `case ${source.id} has no saved label; only labelled cases can train`)
    this.sourceReads++
    return readCaseVolumes(source.files, classes)
  }

  private async build(source: CaseSource, classes: readonly TrainingClass[], options: PrepareOptions): Promise<CachedCase> {
    const { path, key } = this.target(source, options)
    const volumes = await this.readSource(source, classes)
    return this.write(source.id, path, key, volumes, options)
  }

  private async write(id: string, path: string, key: string, volumes: CaseVolumes, options: PrepareOptions): Promise<CachedCase> {
    const prepared = prepareCaseVolumes(volumes, options)
    try {
      const { header, layout } = await writeCaseFile(path, prepared, volumes.classLabels, key)
      const cached = { id, path, key, header, layout }
      this.checked.set(path, cached)
      return cached
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOSPC') throw new VoxloopError('DISK_FULL', `no space left to write the preprocessed case ${path} (${prepared.image.byteLength + (prepared.label?.byteLength ?? 0)} bytes): free some disk space and train again`)
      throw error
    }
  }
}

async function readContribution(path: string, key: string): Promise<FingerprintContribution | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = ContributionFileSchema.safeParse(JSON.parse(text))
    if (!parsed.success || parsed.data.key !== key || parsed.data.checksum !== hashOf(parsed.data.contribution)) return null
    return parsed.data.contribution
  } catch {
    return null
  }
}

/** In `dir`, removes the files of these cases' ids other than their current one. */
async function removeOtherVersions(dir: string, sources: readonly CaseSource[], pattern: RegExp, nameOf: (source: CaseSource) => string): Promise<void> {
  const current = new Map(sources.map((s) => [fileStem(s.id), nameOf(s)]))
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const match = pattern.exec(name)
    const stem = match?.[1]
    if (stem === undefined) continue
    const keep = current.get(stem)
    if (keep !== undefined && keep !== name) await rm(join(dir, name), { force: true })
  }
}

async function removeStaleTemporaries(dir: string): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!TEMPORARY.test(name)) continue
    const info = await stat(join(dir, name)).catch(() => null)
    if (info && now - info.mtimeMs > STALE_TEMPORARY_MS) await rm(join(dir, name), { force: true })
  }
}

/** Keeps the MAX_PREPARATIONS most recently used preparation folders (always `current`). */
async function prunePreparations(root: string, current: string): Promise<void> {
  const folders: { name: string; usedAt: number }[] = []
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!PREPARATION_DIR.test(name) || name === current) continue
    const usedAt = (await stat(join(root, name, LAST_USED)).catch(() => null))?.mtimeMs ?? 0
    folders.push({ name, usedAt })
  }
  folders.sort((a, b) => b.usedAt - a.usedAt)
  for (const { name } of folders.slice(MAX_PREPARATIONS - 1)) await rm(join(root, name), { recursive: true, force: true })
}
