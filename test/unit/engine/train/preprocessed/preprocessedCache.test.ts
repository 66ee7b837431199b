/**
 * The preprocessed cache on real NIfTI files (the training tests' fixture): its keys change exactly
 * when the prepared data would, each case is read from its source once and then from its file, a
 * damaged file is rebuilt (never used), stale files are pruned, the fingerprint is measured one case
 * at a time, and validation reads its held-out cases one at a time.
 */
import { readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeFingerprint } from '../../../../../src/engine/data/fingerprint'
import { prepareCaseVolumes, readCaseVolumes, type PrepareOptions } from '../../../../../src/engine/train/caseVolumes'
import { checkCaseFile, readCaseFile } from '../../../../../src/engine/train/preprocessed/caseFile'
import {
  cacheDirOf,
  describeSource,
  fingerprintCaseOf,
  MAX_PREPARATIONS,
  preparationKeyOf,
  PreprocessedCache,
  type CaseSource
} from '../../../../../src/engine/train/preprocessed/preprocessedCache'
import { classesFromLabels } from '../../../../../src/engine/train/trainingClasses'
import { validateModel } from '../../../../../src/engine/train/validate'
import type { NormalizationPlan } from '../../../../../src/shared/training'
import { createTrainingFixture, FIXTURE_LABELS, type TrainingFixture } from '../trainingFixtures'

let fixture: TrainingFixture
let run = 0
const classes = classesFromLabels(FIXTURE_LABELS)
const MR: PrepareOptions = { targetSpacingMm: [1, 1, 1], modality: 'MR' }

beforeAll(async () => {
  await tf.setBackend('cpu')
  fixture = await createTrainingFixture(4, 12, 5)
})
afterAll(async () => {
  await fixture?.remove()
})

/** A fresh cache folder, and a cache on it that records what it logs. */
function freshCache(root = path.join(fixture.root, `cache-${run++}`)): { cache: PreprocessedCache; logs: string[]; root: string } {
  const logs: string[] = []
  return { cache: new PreprocessedCache(root, { log: (m) => logs.push(m) }), logs, root }
}

async function sources(): Promise<CaseSource[]> {
  return Promise.all(fixture.cases.map((files) => describeSource(files, classes)))
}

describe('cache keys', () => {
  it('a preparation key changes with the spacing, the modality and a dataset-wide normalisation, not with the wording of its reason', () => {
    const ct = (offset: number, reason = 'measured'): NormalizationPlan => ({ scheme: 'ct-dataset', channels: [{ kind: 'zscore', clip: [-100, 200], offset, scale: 0.01 }], reason })
    const perVolume: NormalizationPlan = { scheme: 'per-volume-zscore', channels: null, reason: 'MR' }
    const key = preparationKeyOf(MR)
    expect(preparationKeyOf({ ...MR })).toBe(key)
    // Per-volume normalisation is what an MR plan without a recorded one gets: the same voxels.
    expect(preparationKeyOf({ ...MR, normalization: perVolume })).toBe(key)
    expect(preparationKeyOf({ ...MR, targetSpacingMm: [1, 1, 1.5] })).not.toBe(key)
    expect(preparationKeyOf({ ...MR, modality: 'CT' })).not.toBe(key)
    const ctKey = preparationKeyOf({ ...MR, modality: 'CT', normalization: ct(40) })
    expect(ctKey).not.toBe(preparationKeyOf({ ...MR, modality: 'CT' }))
    expect(preparationKeyOf({ ...MR, modality: 'CT', normalization: ct(41) })).not.toBe(ctKey)
    expect(preparationKeyOf({ ...MR, modality: 'CT', normalization: ct(40, 'other words') })).toBe(ctKey)
  })

  it("a source key changes with the label's content (same size and time), the image's identity and the class mapping; not otherwise", async () => {
    const files = fixture.cases[0]!
    const key = (await describeSource(files, classes)).key
    expect((await describeSource(files, classes)).key).toBe(key)
    const label = files.labelPath!
    const bytes = await readFile(label)
    const { atime, mtimeMs } = await stat(label)
    // The key keeps the time to the nearest millisecond; setting that millisecond restores it.
    const mtime = new Date(Math.round(mtimeMs))
    try {
      const changed = Buffer.from(bytes)
      changed[changed.length - 9] = (changed[changed.length - 9] as number) ^ 0xff
      await writeFile(label, changed)
      await utimes(label, atime, mtime)
      expect((await stat(label)).size).toBe(bytes.length)
      expect((await describeSource(files, classes)).key).not.toBe(key)
    } finally {
      await writeFile(label, bytes)
      await utimes(label, atime, mtime)
    }
    expect((await describeSource(files, classes)).key).toBe(key)
    expect((await describeSource(files, [...classes].reverse().map((c, n) => ({ ...c, index: n + 1 })))).key).not.toBe(key)
    const image = await stat(files.imagePath)
    try {
      await utimes(files.imagePath, image.atime, new Date(image.mtimeMs + 5000))
      expect((await describeSource(files, classes)).key).not.toBe(key)
    } finally {
      await utimes(files.imagePath, image.atime, new Date(Math.round(image.mtimeMs)))
    }
    expect((await describeSource(files, classes)).key).toBe(key)
    await expect(describeSource({ ...files, imagePath: path.join(fixture.root, 'images', 'ghost.nii.gz') }, classes)).rejects.toThrow(/case case00: cannot read .*ghost\.nii\.gz/)
  })

  it('the cache lives where main says, else beside the models folder', () => {
    expect(cacheDirOf({ modelsDir: '/p/models', cacheDir: '/p/cache/preprocessed' })).toBe('/p/cache/preprocessed')
    expect(cacheDirOf({ modelsDir: path.join('/p', 'models') })).toBe(path.join('/p', 'cache', 'preprocessed'))
  })
})

describe('PreprocessedCache.prepare', () => {
  it('prepares each case from its files once; another run reads only the cache and gets the same cases', async () => {
    const { cache, root } = freshCache()
    const cases = await sources()
    const first = await cache.prepare(cases, classes, MR)
    expect(cache.sourceReads).toBe(4)
    for (const [n, cached] of first.entries()) {
      const volumes = await readCaseVolumes(fixture.cases[n]!, classes)
      const loaded = await readCaseFile(cached.path, cached.key)
      expect(loaded.prepared).toEqual(prepareCaseVolumes(volumes, MR))
      expect(loaded.reference).toEqual(volumes.classLabels)
    }
    const again = freshCache(root)
    const second = await again.cache.prepare(await sources(), classes, MR)
    expect(again.cache.sourceReads).toBe(0)
    expect(second).toEqual(first)
    expect(again.logs).toEqual([])
  })

  it('rebuilds a truncated or damaged file instead of using it, and says which', async () => {
    const { cache, root } = freshCache()
    const cases = await sources()
    const [truncated, damaged] = await cache.prepare(cases, classes, MR)
    await truncate(truncated!.path, (await stat(truncated!.path)).size - 3)
    const bytes = await readFile(damaged!.path)
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] as number) ^ 1
    await writeFile(damaged!.path, bytes)

    const later = freshCache(root)
    const rebuilt = await later.cache.prepare(cases, classes, MR)
    expect(later.cache.sourceReads).toBe(2)
    expect(later.logs).toHaveLength(2)
    expect(later.logs[0]).toMatch(new RegExp(`${path.basename(truncated!.path)}.*truncated`))
    expect(later.logs[1]).toMatch(new RegExp(`${path.basename(damaged!.path)}.*SHA-256`))
    for (const cached of rebuilt) expect((await checkCaseFile(cached.path, cached.key)).ok).toBe(true)
  })

  it("bounds what it keeps: a case's older file goes when its label changes; only the most recently used preparations stay", async () => {
    const { cache, root } = freshCache()
    const cases = await sources()
    const first = await cache.prepare(cases, classes, MR)
    const folder = path.dirname(first[0]!.path)
    // A stale temporary of an interrupted write goes; a fresh one (a write under way) stays.
    const stale = path.join(folder, '.case00-x.vxpc.999.abcdef.tmp')
    const fresh = path.join(folder, '.case01-x.vxpc.999.abcdef.tmp')
    await writeFile(stale, 'x')
    await writeFile(fresh, 'x')
    const hourAgo = new Date(Date.now() - 3600_000)
    await utimes(stale, hourAgo, hourAgo)
    // The label of case00 is saved anew: another source key.
    const changed = [{ ...cases[0]!, key: 'f'.repeat(24) }, ...cases.slice(1)]
    const label = fixture.cases[0]!.labelPath!
    const original = await readFile(label)
    const second = await cache.prepare(changed, classes, MR)
    const names = await readdir(folder)
    expect(names.filter((n) => n.startsWith('case00-'))).toEqual([path.basename(second[0]!.path)])
    expect(names.filter((n) => n.endsWith('.vxpc'))).toHaveLength(4)
    expect(names).not.toContain(path.basename(stale))
    expect(names).toContain(path.basename(fresh))
    expect(await readFile(label)).toEqual(original)

    const spacings: [number, number, number][] = [
      [2, 2, 2],
      [1.5, 1.5, 1.5],
      [3, 3, 3]
    ]
    const folders: string[] = []
    for (const targetSpacingMm of spacings) {
      const prepared = await cache.prepare(cases, classes, { ...MR, targetSpacingMm })
      folders.push(path.basename(path.dirname(prepared[0]!.path)))
    }
    const kept = (await readdir(root)).filter((n) => /^[0-9a-f]{24}$/.test(n)).sort()
    expect(kept).toHaveLength(MAX_PREPARATIONS)
    expect(kept).toEqual(folders.slice(-MAX_PREPARATIONS).sort())
  })
})

describe('PreprocessedCache.fingerprint', () => {
  it('equals the fingerprint of all cases in memory, reading one case at a time; a later run reads none', async () => {
    const { cache, root } = freshCache()
    const cases = await sources()
    const inMemory = computeFingerprint(await Promise.all(fixture.cases.map(async (files) => fingerprintCaseOf(await readCaseVolumes(files, classes)))))
    expect(await cache.fingerprint(cases, classes, null)).toEqual(inMemory)
    expect(cache.sourceReads).toBe(4)
    const again = freshCache(root)
    expect(await again.cache.fingerprint(cases, classes, null)).toEqual(inMemory)
    expect(again.cache.sourceReads).toBe(0)
    // A damaged contribution is measured again, not believed.
    const file = path.join(root, 'fingerprints', (await readdir(path.join(root, 'fingerprints')))[0]!)
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\d(?=[,\]])/, (d) => String((Number(d) + 1) % 10)))
    const third = freshCache(root)
    expect(await third.cache.fingerprint(cases, classes, null)).toEqual(inMemory)
    expect(third.cache.sourceReads).toBe(1)
  })

  it('prepares a case read for its fingerprint when the preparation is already known, so each case is read once', async () => {
    const { cache } = freshCache()
    const cases = await sources()
    await cache.fingerprint(cases, classes, MR)
    await cache.prepare(cases, classes, MR)
    expect(cache.sourceReads).toBe(4)
  })
})

describe('validation from the cache', () => {
  it('reads each held-out case when it reaches it, and rebuilds a file damaged since the check', async () => {
    const { cache, logs } = freshCache()
    const cases = await sources()
    const cached = await cache.prepare(cases, classes, MR)
    const events: string[] = []
    const heldOut = cached.slice(0, 2).map((c, n) => {
      const entry = cache.heldOut(c, cases[n]!, classes, MR)
      return {
        id: entry.id,
        load: async () => {
          events.push(`load ${entry.id}`)
          return entry.load()
        }
      }
    })
    const expected = await readCaseFile(cached[1]!.path, cached[1]!.key)
    await rm(cached[1]!.path)
    const model = tf.sequential({ layers: [tf.layers.conv3d({ inputShape: [8, 8, 8, 1], filters: 3, kernelSize: 1, activation: 'softmax' })] })
    try {
      const scores = await validateModel(model, heldOut, { patchSize: [8, 8, 8], batchSize: 2, classes }, async () => {
        events.push('batch')
      })
      expect(scores?.cases).toBe(2)
    } finally {
      model.dispose()
    }
    // case01 is read only after case00's batches ran: one held-out case in memory at a time.
    const second = events.indexOf('load case01')
    expect(events[0]).toBe('load case00')
    expect(second).toBeGreaterThan(1)
    expect(events.slice(1, second).every((e) => e === 'batch')).toBe(true)
    expect(events.slice(second + 1).length).toBeGreaterThan(0)
    expect(logs).toEqual([expect.stringMatching(/rebuilding .*case01-/)])
    expect(await heldOut[1]!.load()).toEqual({ id: 'case01', prepared: expected.prepared, reference: expected.reference })
  })
})
