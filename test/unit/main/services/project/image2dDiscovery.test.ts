import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { planImport } from '../../../../../src/main/services/project/datasetDiscovery'
import { MIXED_2D_REASON } from '../../../../../src/main/services/project/image2dDiscovery'
import { makeTempDir, removeDir } from './projectFixtures'
import { greyPng, writeTree } from './image2dFixtures'

// Discovery reads names only, so most files here are a tiny PNG that is never decoded.
const PNG_BYTES = greyPng(2, 2, [0, 1, 2, 3])

let base: string

beforeEach(async () => {
  base = await makeTempDir('discover-2d')
})

afterEach(async () => {
  await removeDir(base)
})

function relativeCases(plan: Awaited<ReturnType<typeof planImport>>): { caseId: string; image: string; mask: string | null }[] {
  return plan.cases.map((c) => ({
    caseId: c.caseId,
    image: path.relative(base, c.imageFiles[0] ?? ''),
    mask: c.labelFile ? path.relative(base, c.labelFile) : null
  }))
}

function relativeSkipped(plan: Awaited<ReturnType<typeof planImport>>): { file: string; reason: string }[] {
  return plan.skipped.map((entry) => ({ file: path.relative(base, entry.file), reason: entry.reason }))
}

describe('planImport: folders of 2D images', () => {
  it('pairs images/ with masks/ by stem (also <stem>_mask and another extension), and lists the rest with reasons', async () => {
    await writeTree(base, {
      'images/a.png': PNG_BYTES,
      'images/b.jpg': PNG_BYTES,
      'images/c.png': PNG_BYTES,
      'images/notes.csv': 'x',
      'masks/a.png': PNG_BYTES,
      'masks/b_mask.png': PNG_BYTES,
      'masks/orphan.png': PNG_BYTES,
      'sources.csv': 'x',
      'extra/z.png': PNG_BYTES
    })
    const plan = await planImport(base)
    expect(plan.images2d).toBeDefined()
    expect(relativeCases(plan)).toEqual([
      { caseId: 'a', image: 'images/a.png', mask: 'masks/a.png' },
      { caseId: 'b', image: 'images/b.jpg', mask: 'masks/b_mask.png' },
      { caseId: 'c', image: 'images/c.png', mask: null }
    ])
    expect(relativeSkipped(plan)).toEqual([
      { file: 'sources.csv', reason: 'not part of the images/ + masks/ layout' },
      { file: 'extra', reason: 'sub-folder, not part of the dataset layout' },
      { file: 'images/notes.csv', reason: 'not a 2D image (.png, .jpg, .jpeg, .tif, .tiff)' },
      { file: 'masks/orphan.png', reason: 'no image of the same name in images/' }
    ])
  })

  it('takes masks from labels/ or mask/ when there is no masks/', async () => {
    for (const folder of ['labels', 'mask']) {
      const dir = path.join(base, folder)
      await writeTree(dir, { 'images/x.tif': PNG_BYTES, [`${folder}/x.png`]: PNG_BYTES })
      const plan = await planImport(dir)
      expect(plan.cases.map((c) => [c.caseId, path.relative(dir, c.labelFile ?? '')])).toEqual([['x', `${folder}/x.png`]])
      expect(plan.skipped).toEqual([])
    }
  })

  it('pairs a flat folder by the label suffixes and skips masks without an image', async () => {
    await writeTree(base, {
      'p1.png': PNG_BYTES,
      'p1_mask.png': PNG_BYTES,
      'p2.jpeg': PNG_BYTES,
      'p2_seg.png': PNG_BYTES,
      'p3.png': PNG_BYTES,
      'lonely_mask.png': PNG_BYTES,
      'readme.txt': 'hello'
    })
    const plan = await planImport(base)
    expect(relativeCases(plan)).toEqual([
      { caseId: 'p1', image: 'p1.png', mask: 'p1_mask.png' },
      { caseId: 'p2', image: 'p2.jpeg', mask: 'p2_seg.png' },
      { caseId: 'p3', image: 'p3.png', mask: null }
    ])
    expect(relativeSkipped(plan)).toEqual([
      { file: 'readme.txt', reason: 'not a 2D image (.png, .jpg, .jpeg, .tif, .tiff)' },
      { file: 'lonely_mask.png', reason: 'looks like a mask but there is no image named lonely' }
    ])
  })

  it('imports the NIfTI files of a folder mixing both, listing each 2D image as skipped with the reason', async () => {
    await writeTree(base, { 'a.png': PNG_BYTES, 'b.nii.gz': 'not read', 'b_seg.nii.gz': 'not read' })
    const plan = await planImport(base)
    expect(plan.images2d).toBeUndefined()
    expect(plan.cases.map((c) => c.caseId)).toEqual(['b'])
    expect(relativeSkipped(plan)).toEqual([{ file: 'a.png', reason: MIXED_2D_REASON }])
    expect(MIXED_2D_REASON).toMatch(/folder of their own/)
    const nested = path.join(base, 'nested')
    await writeTree(nested, { 'images/a.png': PNG_BYTES, 'images/b.nii': 'not read' })
    const nestedPlan = await planImport(nested)
    expect(nestedPlan.images2d).toBeUndefined()
    expect(nestedPlan.skipped).toEqual([{ file: path.join(nested, 'images', 'a.png'), reason: MIXED_2D_REASON }])
  })

  it('reads the class list at the top level, and does not list it as skipped or as a label table', async () => {
    await writeTree(base, { 'images/a.png': PNG_BYTES, 'masks/a.png': PNG_BYTES, 'labels.txt': '# classes\n0 background\n1 left lung\n2 heart #ff0000\n' })
    const plan = await planImport(base)
    expect(plan.images2d).toEqual({
      classFile: path.join(base, 'labels.txt'),
      classes: [
        { name: 'background', value: 0, color: null },
        { name: 'left lung', value: 1, color: null },
        { name: 'heart', value: 2, color: [255, 0, 0] }
      ],
      statedModality: null,
      layout: 'images-masks'
    })
    expect(plan.skipped).toEqual([])
    expect(plan.labelTables).toEqual([])
  })

  it("takes an MSD-style dataset.json's labels (and stated modality) when there is no class file", async () => {
    const datasetJson = { name: 'x', modality: { '0': 'CT' }, labels: { '0': 'background', '1': 'lung' } }
    await writeTree(base, { 'images/a.png': PNG_BYTES, 'masks/a.png': PNG_BYTES, 'dataset.json': JSON.stringify(datasetJson) })
    const plan = await planImport(base)
    expect(plan.images2d).toEqual({
      classFile: path.join(base, 'dataset.json'),
      classes: [
        { name: 'background', value: 0, color: null },
        { name: 'lung', value: 1, color: null }
      ],
      statedModality: { modality: 'CT', channelNames: ['CT'] },
      layout: 'images-masks'
    })
    expect(plan.format).toBe('folder')
    expect(plan.cases.map((c) => c.caseId)).toEqual(['a'])
  })

  it('stops at a class list it cannot read, naming the file and the line', async () => {
    await writeTree(base, { 'a.png': PNG_BYTES, 'classes.txt': '1 lung\n2 3\n' })
    await expect(planImport(base)).rejects.toMatchObject({ message: expect.stringContaining(`${path.join(base, 'classes.txt')} (line 2)`) })
  })

  it('leaves NIfTI folders and MSD folders to the NIfTI discovery', async () => {
    await writeTree(base, { 'images/a.nii.gz': 'x', 'labels/a.nii.gz': 'x', 'cover.png': PNG_BYTES })
    const plan = await planImport(base)
    expect(plan.images2d).toBeUndefined()
    expect(plan.cases.map((c) => c.caseId)).toEqual(['a'])
  })
})
