import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { durableWriter, prepareSpacingRewrite, SPACING_CHANGE_FILE, writeSpacingChange, type FileWriter } from '../../../../../src/main/services/project/pixelSpacing'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti, readNifti } from '../../../../../src/node/formats/nifti'
import { greyPng, writeTree } from './image2dFixtures'
import { editOf, makeTempDir, removeDir, snapshotTree, syntheticImage } from './projectFixtures'

/**
 * Editable pixel spacing of one-slice 2D cases (issue #17 item 1: "1 mm if unknown, editable"):
 * headers rewritten, voxels untouched, refusals that name the case and change nothing, and a
 * failed or interrupted change that never leaves a label unreadable.
 */

let base: string
let stores: ProjectStore[] = []

beforeEach(async () => {
  base = await makeTempDir('pixel-spacing')
})

afterEach(async () => {
  for (const store of stores) await store.dispose().catch(() => undefined)
  stores = []
  await removeDir(base)
})

const W = 4
const H = 3
const IMAGE = Array.from({ length: W * H }, (_, n) => 10 + n * 7)
const MASK_A = [0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 255]
const MASK_B = [255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

/** A project with 2D cases a (labelled), b (labelled) and c (no mask), imported from PNGs without stated spacing (1 mm). */
async function project2d(): Promise<ProjectStore> {
  const source = await writeTree(path.join(base, 'pngs'), {
    'images/a.png': greyPng(W, H, IMAGE),
    'masks/a.png': greyPng(W, H, MASK_A),
    'images/b.png': greyPng(W, H, IMAGE),
    'masks/b.png': greyPng(W, H, MASK_B),
    'images/c.png': greyPng(W, H, IMAGE)
  })
  const store = await ProjectStore.create(path.join(base, 'project'), { name: 'X-rays' })
  stores.push(store)
  await importDataset(store, source)
  return store
}

async function reopen(store: ProjectStore): Promise<Awaited<ReturnType<typeof ProjectStore.open>>> {
  await store.dispose()
  stores = stores.filter((s) => s !== store)
  const opened = await ProjectStore.open(store.root)
  stores.push(opened.store)
  return opened
}

function fileBytes(store: ProjectStore, dir: 'images' | 'labels', caseId: string): Promise<Buffer> {
  return readFile(path.join(store.root, dir, `${caseId}.nii.gz`))
}

describe('setting the pixel spacing of 2D cases', () => {
  it('rewrites pixdim and the diag(−sx, −sy, 1) affine of image and label; their voxels stay byte-identical', async () => {
    const store = await project2d()
    const imageBefore = await readNifti(path.join(store.root, 'images', 'a.nii.gz'))
    const labelBefore = await readLabelNifti(path.join(store.root, 'labels', 'a.nii.gz'))
    expect(imageBefore.header.spacing).toEqual([1, 1, 1])

    const changed = await store.setPixelSpacing([0.5, 0.25])
    expect(changed.map((c) => [c.id, c.spacing])).toEqual([
      ['a', [0.5, 0.25, 1]],
      ['b', [0.5, 0.25, 1]],
      ['c', [0.5, 0.25, 1]]
    ])
    const expectedAffine = [
      [-0.5, 0, 0, 0],
      [0, -0.25, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1]
    ]
    const image = await readNifti(path.join(store.root, 'images', 'a.nii.gz'))
    const label = await readLabelNifti(path.join(store.root, 'labels', 'a.nii.gz'))
    for (const header of [image.header, label.header]) {
      expect(header.spacing).toEqual([0.5, 0.25, 1])
      expect(header.geometry.pixdim.slice(1, 4)).toEqual([0.5, 0.25, 1])
      expect(header.rasFromIjk).toEqual(expectedAffine)
    }
    expect(Buffer.from(label.data.buffer, label.data.byteOffset, label.data.byteLength)).toEqual(
      Buffer.from(labelBefore.data.buffer, labelBefore.data.byteOffset, labelBefore.data.byteLength)
    )
    expect(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)).toEqual(
      Buffer.from(imageBefore.data.buffer, imageBefore.data.byteOffset, imageBefore.data.byteLength)
    )
    // Volumes follow the spacing: 4 pixels of 0.5 × 0.25 mm.
    expect(store.getCase('a').labelStats).toEqual([{ labelId: 1, voxels: 4, volumeMl: (4 * 0.125) / 1000 }])
    expect((await store.readAudit()).at(-1)).toMatchObject({
      type: 'pixel-spacing',
      spacingMm: [0.5, 0.25],
      cases: [
        { caseId: 'a', from: [1, 1] },
        { caseId: 'b', from: [1, 1] },
        { caseId: 'c', from: [1, 1] }
      ]
    })

    // After a restart the label still loads on its image's grid, edits and saves.
    const { store: again, recovery } = await reopen(store)
    expect(recovery.problems).toEqual([])
    expect(again.getCase('a').spacing).toEqual([0.5, 0.25, 1])
    expect(Array.from((await again.loadLabel('a')).data)).toEqual(MASK_A.map((v) => (v ? 1 : 0)))
    await again.applyLabelEdit('a', editOf([0], [1]))
    await again.saveLabel('a')
    expect((await readLabelNifti(path.join(again.root, 'labels', 'a.nii.gz'))).header.spacing).toEqual([0.5, 0.25, 1])
  })

  it('changes only the cases named', async () => {
    const store = await project2d()
    await store.setPixelSpacing([0.25, 0.25], ['b'])
    expect(store.listCases().map((c) => [c.id, c.spacing[0]])).toEqual([
      ['a', 1],
      ['b', 0.25],
      ['c', 1]
    ])
    expect((await readNifti(path.join(store.root, 'images', 'a.nii.gz'))).header.spacing).toEqual([1, 1, 1])
  })

  it('refuses a case with unsaved edits, naming it, and changes no file; after saving it is accepted', async () => {
    const store = await project2d()
    await store.applyLabelEdit('b', editOf([5], [1]))
    const before = await snapshotTree(store.root)
    await expect(store.setPixelSpacing([0.5, 0.5])).rejects.toMatchObject({
      code: 'BUSY',
      message: 'case(s) b have unsaved label edits: save or discard them, then set the pixel spacing; nothing was changed'
    })
    expect(await snapshotTree(store.root)).toEqual(before)
    await store.saveLabel('b')
    await store.setPixelSpacing([0.5, 0.5])
    expect(Array.from((await store.loadLabel('b')).data)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    expect((await readLabelNifti(path.join(store.root, 'labels', 'b.nii.gz'))).header.spacing).toEqual([0.5, 0.5, 1])
  })

  it('refuses a 3D case and a one-slice case not imported from a 2D image, naming them, and changes nothing', async () => {
    const store = await project2d()
    await store.addCase({ id: 'volume', image: syntheticImage([4, 3, 5]) })
    await store.addCase({ id: 'slice', image: syntheticImage([4, 3, 1]) })
    const before = await snapshotTree(store.root)
    await expect(store.setPixelSpacing([0.5, 0.5], ['a', 'volume', 'slice'])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'pixel spacing is set only for one-slice cases imported from 2D images (PNG, JPEG, TIFF); refused: volume (5 slices), slice (not imported from a 2D image); nothing was changed'
    })
    expect(await snapshotTree(store.root)).toEqual(before)
    // Without case ids only the 2D cases change; the volume keeps its spacing.
    await store.setPixelSpacing([2, 2])
    expect(store.getCase('volume').spacing).toEqual([1, 1, 1])
    expect(store.getCase('a').spacing).toEqual([2, 2, 1])
  })

  it('refuses a spacing outside 0.001–100 mm or not a number', async () => {
    const store = await project2d()
    for (const spacing of [
      [0, 1],
      [1, 100.5],
      [Number.NaN, 1],
      [0.0005, 1],
      [1]
    ]) {
      await expect(store.setPixelSpacing(spacing)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('0.001 to 100 mm') })
    }
    await store.setPixelSpacing([0.001, 100])
    expect(store.getCase('a').spacing).toEqual([Math.fround(0.001), 100, 1])
  })

  it('puts every file back when a write fails part-way: the project is byte-identical and no change record is left', async () => {
    const store = await project2d()
    const before = await snapshotTree(store.root)
    let writes = 0
    // The record, a's image and a's label succeed; the fourth write (b's image) hits a full disk.
    const failing: FileWriter = async (file, data) => {
      writes++
      if (writes === 4) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' })
      await durableWriter(file, data)
    }
    await expect(store.setPixelSpacing([0.5, 0.5], undefined, failing)).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(writes).toBeGreaterThan(4) // the put-back writes ran
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(store.getCase('a').spacing).toEqual([1, 1, 1])
    expect(Array.from((await store.loadLabel('a')).data)).toEqual(MASK_A.map((v) => (v ? 1 : 0)))
  })

  it('keeps the change record when the files cannot be put back either, and the next open completes the change', async () => {
    const store = await project2d()
    let writes = 0
    // From the fourth write on the disk stays full: a's new image and label cannot be put back.
    const full: FileWriter = async (file, data) => {
      writes++
      if (writes >= 4) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' })
      await durableWriter(file, data)
    }
    await expect(store.setPixelSpacing([0.5, 0.5], undefined, full)).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('the change is completed when the project is next opened')
    })
    expect(await stat(path.join(store.root, SPACING_CHANGE_FILE))).toBeTruthy()
    const { store: again, recovery } = await reopen(store)
    expect(recovery.problems).toEqual([{ file: SPACING_CHANGE_FILE, reason: 'an interrupted pixel spacing change to 0.5 × 0.5 mm was completed for 3 case(s)' }])
    expect(again.listCases().map((c) => c.spacing)).toEqual([
      [0.5, 0.5, 1],
      [0.5, 0.5, 1],
      [0.5, 0.5, 1]
    ])
    expect(Array.from((await again.loadLabel('a')).data)).toEqual(MASK_A.map((v) => (v ? 1 : 0)))
  })

  it('completes at the next open a change a crash interrupted after the first file, with every label readable and unchanged', async () => {
    const store = await project2d()
    const labelBefore = await fileBytes(store, 'labels', 'a')
    const root = store.root
    await store.dispose()
    stores = []
    // What a crash leaves: the record written, a's image already rewritten, a's label and b not yet.
    const files = {
      caseId: 'a',
      image: path.join(root, 'images', 'a.nii.gz'),
      label: path.join(root, 'labels', 'a.nii.gz'),
      prediction: null,
      uncertainty: null
    }
    const rewrite = await prepareSpacingRewrite(files, [0.3, 0.6])
    await writeSpacingChange(path.join(root, SPACING_CHANGE_FILE), { spacingMm: [0.3, 0.6], caseIds: ['a', 'b'] }, durableWriter)
    await durableWriter(files.image, rewrite.files[0]?.after ?? new Uint8Array())
    expect(await readFile(files.label)).toEqual(labelBefore)

    const { store: opened, recovery } = await ProjectStore.open(root)
    stores.push(opened)
    expect(recovery.problems).toEqual([{ file: SPACING_CHANGE_FILE, reason: 'an interrupted pixel spacing change to 0.3 × 0.6 mm was completed for 2 case(s)' }])
    expect(await stat(path.join(root, SPACING_CHANGE_FILE)).catch(() => null)).toBeNull()
    // NIfTI holds spacing as float32.
    const stored = [Math.fround(0.3), Math.fround(0.6), 1]
    for (const caseId of ['a', 'b']) {
      expect(opened.getCase(caseId).spacing).toEqual(stored)
      expect((await readLabelNifti(path.join(root, 'labels', `${caseId}.nii.gz`))).header.spacing).toEqual(stored)
      expect((await readNifti(path.join(root, 'images', `${caseId}.nii.gz`))).header.spacing).toEqual(stored)
    }
    expect(opened.getCase('c').spacing).toEqual([1, 1, 1])
    expect(Array.from((await opened.loadLabel('a')).data)).toEqual(MASK_A.map((v) => (v ? 1 : 0)))
    expect(Array.from((await opened.loadLabel('b')).data)).toEqual(MASK_B.map((v) => (v ? 1 : 0)))
  })

  it('rewrites a prediction on the case grid too, so that it still loads', async () => {
    const store = await project2d()
    const prediction = Uint8Array.from(MASK_B.map((v) => (v ? 1 : 0)))
    await store.savePrediction('c', prediction, { modelVersion: 'v0001', uncertainty: { map: new Float32Array(W * H).fill(0.25), score: 0.1 } })
    await store.setPixelSpacing([0.5, 0.5])
    expect(Array.from((await store.loadPrediction('c'))?.data ?? [])).toEqual(Array.from(prediction))
    expect(Array.from((await store.loadUncertainty('c')) ?? [])).toEqual(new Array(W * H).fill(0.25))
  })
})
