import { mkdir, readdir, readFile, symlink } from 'node:fs/promises'
import path from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { exportProject } from '../../../../../src/main/services/project/exportProject'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { decodeImage2d } from '../../../../../src/node/formats/image2d'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { greyPng, rgbPng, writeTree } from './image2dFixtures'
import { createProjectWithCases, editOf } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

const MONTGOMERY = sharedDataPath('2d', 'cxr-lung-montgomery')

const scratch = scratchProjects('export-png', 'Exported')

/** Decoded pixels (RGBA from pngjs, 8-bit) and size of a PNG file. */
async function pixels(file: string): Promise<{ width: number; height: number; data: Buffer }> {
  const png = PNG.sync.read(await readFile(file))
  return { width: png.width, height: png.height, data: png.data }
}

describeUnless(sharedDataMissing, 'exporting PNG masks of imported chest X-rays', () => {
  it('writes masks with the source names, size and 0/255 values, pixel for pixel', async () => {
    const ids = ['MCUCXR_0001_0', 'MCUCXR_0003_0', 'MCUCXR_0011_0']
    const source = path.join(scratch.base, 'cxr')
    for (const folder of ['images', 'masks']) {
      await mkdir(path.join(source, folder), { recursive: true })
      for (const id of ids) await symlink(path.join(MONTGOMERY, folder, `${id}.png`), path.join(source, folder, `${id}.png`))
    }
    const store = await scratch.newProject()
    await importDataset(store, source)
    const destination = path.join(scratch.base, 'out')
    const report = await exportProject(store, destination, { format: 'png-masks' })
    expect(report.skipped).toEqual([])
    expect(report.files).toEqual(ids.map((id) => `${id}.png`))
    expect((await readdir(destination)).sort()).toEqual(ids.map((id) => `${id}.png`))
    for (const id of ids) {
      const exported = await pixels(path.join(destination, `${id}.png`))
      const original = await pixels(path.join(MONTGOMERY, 'masks', `${id}.png`))
      expect([exported.width, exported.height]).toEqual([original.width, original.height])
      expect(exported.data.equals(original.data)).toBe(true)
      expect(decodeImage2d(await readFile(path.join(destination, `${id}.png`)), id)).toMatchObject({ channels: 1, bitsPerSample: 8 })
    }
  })
})

describe('exporting PNG masks', () => {
  it('writes colour masks back in the colours of the class list', async () => {
    const red = [255, 0, 0]
    const blue = [0, 0, 255]
    const black = [0, 0, 0]
    const mask = [red, black, blue, blue, black, red].flat()
    const source = await writeTree(path.join(scratch.base, 'colour'), {
      'photo_1.png': rgbPng(3, 2, Array.from({ length: 18 }, (_, n) => n * 10)),
      'photo_1_mask.png': rgbPng(3, 2, mask),
      'labels.json': JSON.stringify([
        { name: 'nucleus', value: 1, color: red },
        { name: 'membrane', value: 2, color: blue }
      ])
    })
    const store = await scratch.newProject()
    await importDataset(store, source)
    const destination = path.join(scratch.base, 'out')
    const report = await exportProject(store, destination, { format: 'png-masks' })
    expect(report.files).toEqual(['photo_1.png'])
    const exported = await pixels(path.join(destination, 'photo_1.png'))
    const original = await pixels(path.join(source, 'photo_1_mask.png'))
    expect(exported.data.equals(original.data)).toBe(true)
  })

  it('writes label ids, 16-bit once an id is above 255, and the edits not yet saved', async () => {
    const source = await writeTree(path.join(scratch.base, 'ids'), {
      'images/slide.png': greyPng(4, 2, [9, 9, 9, 9, 9, 9, 9, 9]),
      'masks/slide.png': greyPng(4, 2, [0, 1, 2, 3, 3, 2, 1, 0])
    })
    const store = await scratch.newProject()
    await importDataset(store, source)
    expect(store.getImage2dSource('slide')?.maskEncoding).toBe('ids')
    const destination = path.join(scratch.base, 'out')
    await exportProject(store, destination, { format: 'png-masks' })
    const eightBit = decodeImage2d(await readFile(path.join(destination, 'slide.png')), 'slide.png')
    expect(eightBit.bitsPerSample).toBe(8)
    expect(Array.from(eightBit.data)).toEqual([0, 1, 2, 3, 3, 2, 1, 0])
    await store.updateLabelTable([...store.getManifest().labels, { id: 300, name: 'wide', color: '#123456' }])
    await store.applyLabelEdit('slide', { indices: Uint32Array.from([7]), values: Uint16Array.from([300]) })
    await exportProject(store, destination, { format: 'png-masks', overwrite: true })
    const wide = decodeImage2d(await readFile(path.join(destination, 'slide.png')), 'slide.png')
    expect(wide.bitsPerSample).toBe(16)
    expect(Array.from(wide.data)).toEqual([0, 1, 2, 3, 3, 2, 1, 300])
  })

  it('writes a case imported without a mask, labelled since, like the project\'s other masks (0/255)', async () => {
    const source = await writeTree(path.join(scratch.base, 'mixed'), {
      'images/a.png': greyPng(2, 2, [5, 6, 7, 8]),
      'images/b.png': greyPng(2, 2, [5, 6, 7, 8]),
      'masks/a.png': greyPng(2, 2, [0, 255, 255, 0])
    })
    const store = await scratch.newProject()
    await importDataset(store, source)
    expect(store.getImage2dSource('b')).toEqual({ file: 'b.png', maskEncoding: null })
    await store.applyLabelEdit('b', editOf([3], [1]))
    const destination = path.join(scratch.base, 'out')
    const report = await exportProject(store, destination, { format: 'png-masks' })
    expect(report.files).toEqual(['a.png', 'b.png'])
    expect(Array.from(decodeImage2d(await readFile(path.join(destination, 'b.png')), 'b.png').data)).toEqual([0, 0, 0, 255])
  })

  it('skips cases with more than one slice, naming the case', async () => {
    const store = await createProjectWithCases(path.join(scratch.base, 'volumes'), { dims: [4, 3, 5] })
    scratch.track(store)
    await store.applyLabelEdit('case-0', editOf([0], [1]))
    await store.saveLabel('case-0')
    const report = await exportProject(store, path.join(scratch.base, 'out'), { format: 'png-masks' })
    expect(report.files).toEqual([])
    expect(report.skipped).toEqual([
      { file: 'case-0', reason: 'case case-0 has 5 slices; a PNG mask holds one slice: export it as nifti or seg-nrrd' },
      { file: 'case-1', reason: 'no label yet' }
    ])
  })
})
