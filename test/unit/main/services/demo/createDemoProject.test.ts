import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO_LABEL_TABLE,
  createDemoProject,
  demoCaseId,
  generateDemoCase
} from '../../../../../src/main/services/demo/createDemoProject'
import { childSeed } from '../../../../../src/main/services/demo/seededRandom'
import { DEMO_LABELS, drawDemoCaseParams } from '../../../../../src/main/services/demo/synthesizeCase'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { makeTempDir, removeDir } from '../project/projectFixtures'

function meanWhere(image: Int16Array, labels: Uint8Array, predicate: (label: number) => boolean): number {
  let sum = 0
  let count = 0
  for (let n = 0; n < image.length; n++) {
    if (predicate(labels[n] ?? 0)) {
      sum += image[n] ?? 0
      count++
    }
  }
  return sum / count
}

describe('demo volumes', () => {
  it('are the same for the same seed and differ between seeds and cases', () => {
    const a = generateDemoCase(7, 0)
    const b = generateDemoCase(7, 0)
    expect(b.image).toEqual(a.image)
    expect(b.labels).toEqual(a.labels)
    expect(drawDemoCaseParams(childSeed(8, 0))).not.toEqual(a.params)
    expect(drawDemoCaseParams(childSeed(7, 1))).not.toEqual(a.params)
  })

  it('vary in size, spacing and pose', () => {
    const params = Array.from({ length: 10 }, (_, n) => drawDemoCaseParams(1000 + n))
    expect(new Set(params.map((p) => p.dims.join('x'))).size).toBeGreaterThan(5)
    expect(params.some((p) => p.spacing[2] !== p.spacing[0])).toBe(true)
    expect(params.every((p) => p.dims.every((d) => d >= 40 && d <= 64))).toBe(true)
    expect(new Set(params.map((p) => p.organ.rotation[0].toFixed(3))).size).toBe(10)
  })

  it.each([0, 1, 2, 3, 4])('case %i has every structure labelled where the image shows it', (index) => {
    const demo = generateDemoCase(42, index)
    const counts = [0, 0, 0, 0]
    for (const label of demo.labels) counts[label]! += 1
    expect(counts[DEMO_LABELS.organ]).toBeGreaterThan(1500)
    expect(counts[DEMO_LABELS.lesion]).toBeGreaterThan(40)
    expect(counts[DEMO_LABELS.vessel]).toBeGreaterThan(100)
    const organ = meanWhere(demo.image, demo.labels, (l) => l === DEMO_LABELS.organ)
    const lesion = meanWhere(demo.image, demo.labels, (l) => l === DEMO_LABELS.lesion)
    const vessel = meanWhere(demo.image, demo.labels, (l) => l === DEMO_LABELS.vessel)
    const outside = meanWhere(demo.image, demo.labels, (l) => l === 0)
    expect(organ).toBeGreaterThan(outside * 1.5)
    expect(lesion).toBeLessThan(organ * 0.6)
    expect(vessel).toBeGreaterThan(organ)
  })
})

describe('createDemoProject', () => {
  let base: string
  beforeAll(async () => {
    base = await makeTempDir('demo')
  })
  afterAll(async () => {
    await removeDir(base)
  })

  it('writes a project that opens, with labelled and unlabeled cases, identical for a seed', async () => {
    const first = path.join(base, 'first')
    const second = path.join(base, 'second')
    const started = performance.now()
    const store = await createDemoProject(first, { seed: 99 })
    const elapsedMs = performance.now() - started
    expect(store.getManifest().labels).toEqual(DEMO_LABEL_TABLE)
    await store.dispose()
    await (await createDemoProject(second, { seed: 99, cases: 2 })).dispose()

    const { store: reopened, recovery } = await ProjectStore.open(first)
    try {
      expect(recovery).toMatchObject({ recovered: [], problems: [], adoptedCases: [], missingImages: [] })
      const cases = reopened.listCases()
      expect(cases).toHaveLength(10)
      expect(cases.filter((c) => c.status === 'done' && c.hasLabel)).toHaveLength(6)
      expect(cases.filter((c) => c.status === 'unlabeled' && !c.hasLabel)).toHaveLength(4)
      for (const summary of cases.filter((c) => c.hasLabel)) {
        expect(summary.labelStats.map((s) => s.labelId)).toEqual([1, 2, 3])
      }
      const image = await reopened.loadImage(demoCaseId(2))
      expect(image.header.orientation).toBe('LAS')
      expect(image.data).toEqual(generateDemoCase(99, 2).image)
      const label = await reopened.loadLabel(demoCaseId(0))
      expect(label.data).toEqual(generateDemoCase(99, 0).labels)
    } finally {
      await reopened.dispose()
    }
    for (const name of (await readdir(path.join(second, 'images'))).sort()) {
      expect(await readFile(path.join(second, 'images', name))).toEqual(await readFile(path.join(first, 'images', name)))
    }
    expect(elapsedMs).toBeLessThan(20_000)
  })
})
