/**
 * The preprocessed cache's case file: what is written reads back bit for bit, a damaged or stale
 * file is refused, boxes read from the file cut exactly the patches the in-memory case gives, and a
 * BatchSampler over files draws the very batches it draws over prepared cases in memory — while
 * holding a bounded number of files and box-sized buffers whatever the case count.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BatchSampler,
  buildForegroundIndex,
  extractPatch,
  prepareCase,
  samplerCaseOf,
  voxelCountOfShape,
  type BatchSamplerInput,
  type ForegroundLocations,
  type ImagePadding,
  type PreparedCase,
  type Shape3
} from '../../../../../src/engine/data'
import { CaseFilePool, checkCaseFile, readCaseFile, writeCaseFile, type CaseFileHeader, type CaseFileLayout } from '../../../../../src/engine/train/preprocessed/caseFile'
import { sharedDataMissing } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { readHippocampus, sampleFrom } from '../../data/fixtures'

const dir = mkdtempSync(path.join(tmpdir(), 'voxloop-casefile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A prepared case with a distinct value per voxel and channel, a labelled block of class 1 and a few voxels of class 3. */
function syntheticCase(id: string, shape: Shape3, channels: number): PreparedCase {
  const labelAt = (d: number, h: number, w: number): number => (d >= 1 && d < 4 && h >= 2 && h < 6 && w >= 3 && w < 8 ? 1 : (d + h + w) % 11 === 0 ? 3 : 0)
  const { image, label } = sampleFrom(shape, channels, (d, h, w, c) => 1 + 1000 * c + d * 100 + h * 10 + w + 0.25, labelAt)
  return {
    id,
    image,
    label,
    shape,
    channels,
    spacingMm: [1.5, 1, 0.75],
    foreground: buildForegroundIndex(label),
    padValues: Array.from({ length: channels }, (_, c) => -1 - c),
    normalization: Array.from({ length: channels }, () => ({ kind: 'zscore' as const, clip: [-3, 7] as [number, number], offset: 0.5, scale: 2 })),
    original: { shape: [shape[0] + 1, shape[1], shape[2]], spacingMm: [1, 1, 2], turn: { fromAxis: [1, 0, 2], flip: [true, false, false] }, canonicalShape: [shape[0], shape[1] + 1, shape[2]] }
  }
}

function referenceFor(prepared: PreparedCase): Uint8Array {
  const [d, h, w] = prepared.original.shape
  return Uint8Array.from({ length: d * h * w }, (_, v) => v % 3)
}

async function written(prepared: PreparedCase, key = 'k'): Promise<{ file: string; header: CaseFileHeader; layout: CaseFileLayout }> {
  const file = path.join(dir, `${prepared.id}-${Math.random().toString(36).slice(2)}.vxpc`)
  const { header, layout } = await writeCaseFile(file, prepared, referenceFor(prepared), key)
  return { file, header, layout }
}

describe('case file', () => {
  it('reads back exactly what was written: voxels, labels, labelled voxels, reference and metadata', async () => {
    const prepared = syntheticCase('round', [5, 7, 9], 2)
    const { file } = await written(prepared)
    const loaded = await readCaseFile(file, 'k')
    expect(loaded.prepared).toEqual(prepared)
    expect(loaded.reference).toEqual(referenceFor(prepared))
    // An unlabelled case has no label section and reads back without one.
    const unlabelled = { ...syntheticCase('bare', [3, 4, 5], 1), label: null, foreground: null }
    const bare = path.join(dir, 'bare.vxpc')
    await writeCaseFile(bare, unlabelled, null, 'k')
    expect(await readCaseFile(bare, 'k')).toEqual({ prepared: unlabelled, reference: null })
  })

  it('is refused when missing, truncated, damaged, written for another key or not a case file', async () => {
    const prepared = syntheticCase('damaged', [6, 6, 6], 1)
    const { file } = await written(prepared)
    expect((await checkCaseFile(file, 'k')).ok).toBe(true)
    expect(await checkCaseFile(path.join(dir, 'nothing-here.vxpc'), 'k')).toEqual({ ok: false, problem: 'missing' })
    expect(await checkCaseFile(file, 'other')).toMatchObject({ ok: false, problem: expect.stringMatching(/other data or settings/) })

    const bytes = readFileSync(file)
    const flipped = Buffer.from(bytes)
    flipped[bytes.length - 100] = (flipped[bytes.length - 100] as number) ^ 1
    writeFileSync(file, flipped)
    expect(await checkCaseFile(file, 'k')).toMatchObject({ ok: false, problem: expect.stringMatching(/SHA-256/) })
    await expect(readCaseFile(file, 'k')).rejects.toThrow(/SHA-256/)

    writeFileSync(file, bytes)
    truncateSync(file, bytes.length - 1)
    expect(await checkCaseFile(file, 'k')).toMatchObject({ ok: false, problem: expect.stringMatching(/truncated/) })
    await expect(readCaseFile(file, 'k')).rejects.toThrow(new RegExp(`${path.basename(file)}.*truncated`))

    writeFileSync(file, 'not a case file at all')
    expect(await checkCaseFile(file, 'k')).toMatchObject({ ok: false, problem: expect.stringMatching(/not a preprocessed case file/) })
  })

  it('cuts from file boxes the same patch as from the case in memory, inside, across borders and beyond them', async () => {
    const prepared = syntheticCase('boxes', [7, 9, 11], 2)
    const { file, header, layout } = await written(prepared)
    const pool = new CaseFilePool(2)
    const fromFile = pool.samplerCase(file, header, layout)
    const paddings: ImagePadding[] = [{ mode: 'constant', values: [-5, -6] }, { mode: 'edge' }]
    const boxes: [Shape3, Shape3][] = [
      [[1, 2, 3], [3, 4, 5]], // inside
      [[-2, -3, -4], [6, 6, 6]], // over the low corner
      [[4, 6, 8], [6, 6, 6]], // over the high corner
      [[-3, 0, 0], [12, 9, 11]], // larger than the case along d
      [[-10, 2, 2], [3, 3, 3]], // wholly before the first slice
      [[2, 20, 2], [3, 3, 3]], // wholly past the last row
      [[0, 0, 0], [7, 9, 11]] // the whole case
    ]
    for (const padding of paddings) {
      for (const [origin, shape] of boxes) {
        const expected = extractPatch(prepared, origin, shape, padding)
        const region = fromFile.region(origin, shape)
        expect(extractPatch(region.source, region.origin, shape, padding)).toEqual(expected)
      }
    }
    // Labelled voxels are read one at a time, in the index's order.
    const index = prepared.foreground!
    // A file's case gives locations, not arrays: nothing per voxel in memory.
    const locations = fromFile.foreground as ForegroundLocations
    expect('voxelsByClass' in locations).toBe(false)
    expect(locations.classes).toEqual(index.classes)
    index.voxelsByClass.forEach((voxels, n) => {
      expect(locations.countOf(n)).toBe(voxels.length)
      for (const i of [0, voxels.length - 1, Math.floor(voxels.length / 2)]) expect(locations.voxelOf(n, i)).toBe(voxels[i])
    })
    pool.close()
  })
})

describe('BatchSampler over case files', () => {
  const shapes: Shape3[] = [
    [8, 10, 12],
    [12, 9, 7],
    [3, 4, 4],
    [10, 10, 10]
  ]
  const cases = shapes.map((shape, n) => syntheticCase(`case${n}`, shape, 1))

  async function filesFor(prepared: readonly PreparedCase[], pool: CaseFilePool): Promise<ReturnType<CaseFilePool['samplerCase']>[]> {
    const out = []
    for (const c of prepared) {
      const { file, header, layout } = await written(c)
      out.push(pool.samplerCase(file, header, layout))
    }
    return out
  }

  const configurations: { name: string; options: BatchSamplerInput }[] = [
    { name: 'no augmentation, quota mode', options: { patchShape: [6, 6, 6], batchSize: 3, augmentation: null, foregroundMode: 'quota', foregroundProbability: 0.5, seed: 4 } },
    { name: 'default augmentation (rotation, zoom, rot90 read beyond the patch)', options: { patchShape: [6, 6, 6], batchSize: 2, seed: 9 } },
    { name: 'edge padding, class-3 centres', options: { patchShape: [5, 7, 6], batchSize: 2, imagePadding: 'edge', foregroundProbability: 1, foregroundClasses: [3], seed: 1 } },
    { name: 'zero padding, random mode', options: { patchShape: [9, 9, 9], batchSize: 2, imagePadding: 'zero', seed: 77 } }
  ]

  it.each(configurations)('draws the same batches as over the cases in memory: $name', async ({ options }) => {
    const pool = new CaseFilePool(2)
    const inMemory = new BatchSampler(cases, options)
    const onDisk = new BatchSampler(await filesFor(cases, pool), options)
    // Same fingerprint: a checkpoint saved by a run that held its cases in memory resumes over files.
    expect(onDisk.getState()).toEqual(inMemory.getState())
    for (let step = 0; step < 25; step++) expect(onDisk.next()).toEqual(inMemory.next())
    pool.close()
  })

  it('holds at most its open-file budget and box-sized reads, for 4 cases as for 40', async () => {
    const patchShape: Shape3 = [6, 6, 6]
    const options: BatchSamplerInput = { patchShape, batchSize: 2, augmentation: null, seed: 3, foregroundProbability: 0.5 }
    const statsFor = async (count: number): Promise<CaseFilePool['stats']> => {
      const pool = new CaseFilePool(3)
      const many = Array.from({ length: count }, (_, n) => syntheticCase(`many${n}`, [10, 10, 10], 1))
      const sampler = new BatchSampler(await filesFor(many, pool), options)
      for (let step = 0; step < 60; step++) sampler.next()
      pool.close()
      return { ...pool.stats }
    }
    const four = await statsFor(4)
    const forty = await statsFor(40)
    // A box of the patch (whole rows: 10 voxels wide), image float32 + label uint8: never a whole case.
    const boxBytes = patchShape[0] * patchShape[1] * 10 * (4 + 1)
    for (const stats of [four, forty]) {
      expect(stats.regionReads).toBe(120)
      expect(stats.peakOpenFiles).toBeLessThanOrEqual(3)
      expect(stats.peakRegionBytes).toBeLessThanOrEqual(boxBytes)
      expect(stats.peakRegionBytes).toBeLessThan(voxelCountOfShape([10, 10, 10]) * 5)
    }
    expect(forty.peakOpenFiles).toBe(3)
    expect(forty.peakRegionBytes).toBe(four.peakRegionBytes)
  })

  it('samplerCaseOf(prepared) is the in-memory case unchanged', () => {
    const c = cases[0] as PreparedCase
    const view = samplerCaseOf(c)
    expect(view.region([1, 2, 3], [2, 2, 2])).toEqual({ source: c, origin: [1, 2, 3] })
    expect(view.labelVoxels).toBe(c.label?.length)
  })
})

describeUnless(sharedDataMissing, 'case files of real hippocampus cases', () => {
  it('give the batches of the prepared cases, augmentation included', async () => {
    const ids = ['hippocampus_001', 'hippocampus_003', 'hippocampus_044']
    const prepared: PreparedCase[] = []
    for (const id of ids) {
      const { image, label } = await readHippocampus(id)
      prepared.push(prepareCase(image, label, { targetSpacing: [1, 1, 1], modality: 'MR', id }))
    }
    const pool = new CaseFilePool(2)
    const files = []
    for (const c of prepared) {
      const { file, header, layout } = await written(c)
      expect((await readCaseFile(file, 'k')).prepared).toEqual(c)
      files.push(pool.samplerCase(file, header, layout))
    }
    const options: BatchSamplerInput = { patchShape: [32, 40, 32], batchSize: 2, foregroundMode: 'quota', seed: 12 }
    const inMemory = new BatchSampler(prepared, options)
    const onDisk = new BatchSampler(files, options)
    for (let step = 0; step < 6; step++) expect(onDisk.next()).toEqual(inMemory.next())
    pool.close()
  })
})

