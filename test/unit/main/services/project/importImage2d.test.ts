import { mkdir, readdir, readFile, symlink } from 'node:fs/promises'
import path from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { screenDefaultDpi, volumeFromImage2d } from '../../../../../src/main/services/project/importImage2d'
import { rasFromIjkFor2d } from '../../../../../src/shared/geometry/image2dAffine'
import type { Image2D } from '../../../../../src/node/formats/image2d'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { greyPng, rgbPng, withPixelsPerMetre, writeTree } from './image2dFixtures'
import { snapshotTree } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

const MONTGOMERY = sharedDataPath('2d', 'cxr-lung-montgomery')
const MONTGOMERY_CASES = ['MCUCXR_0001_0', 'MCUCXR_0002_0', 'MCUCXR_0004_0', 'MCUCXR_0005_0']

/** The class list the colour tests write as classes.json. */
const CLASS_LIST = [
  { name: 'background', value: 0, color: [0, 0, 0] },
  { name: 'tumour', value: 1, color: [255, 0, 0] },
  { name: 'stroma', value: 2, color: [0, 255, 0] }
]

const scratch = scratchProjects('import-2d')

/** 3 × 2 grey picture whose every pixel differs: row 0 = 1 2 3, row 1 = 4 5 6. */
function picture(): Image2D {
  return { file: 't.png', format: 'png', width: 3, height: 2, channels: 1, bitsPerSample: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6]), spacingMm: null }
}

describe('the grid of a one-slice case from a 2D image', () => {
  it('stores pixel (column c, row r) at voxel (c, r, 0) with the 2D affine (LPS), through the stored NIfTI file', async () => {
    const store = await scratch.newProject()
    const source = await writeTree(path.join(scratch.base, 'src'), { 'pic.png': greyPng(3, 2, [1, 2, 3, 4, 5, 6]) })
    await importDataset(store, source)
    const image = await store.loadImage('pic')
    expect(image.header.dims).toEqual([3, 2, 1])
    expect(Array.from(image.data)).toEqual([1, 2, 3, 4, 5, 6])
    // The affine the viewer shows upright (test/unit/renderer/viewer/image2dOrientation.test.ts).
    expect(image.header.rasFromIjk).toEqual(rasFromIjkFor2d([1, 1]))
    expect(image.header.orientation).toBe('LPS')
  })

  it('takes the spacing the file states, column then row', () => {
    const volume = volumeFromImage2d(picture(), [0.5, 0.7])
    expect(volume.header.spacing.map((value) => Number(value.toFixed(6)))).toEqual([0.5, 0.7, 1])
  })

  it('keeps a stated resolution but treats 72 and 96 dpi, the editors\' defaults, as unknown', async () => {
    const store = await scratch.newProject()
    const pixels = [1, 2, 3, 4, 5, 6]
    const source = await writeTree(path.join(scratch.base, 'src'), {
      // 300 dpi (a film digitiser): 11,811 px/m → 0.0847 mm. 72 dpi: 2,835 px/m. 96 dpi: 3,780 px/m.
      'scanned.png': withPixelsPerMetre(greyPng(3, 2, pixels), 11811, 11811),
      'edited.png': withPixelsPerMetre(greyPng(3, 2, pixels), 2835, 2835),
      'screen.png': withPixelsPerMetre(greyPng(3, 2, pixels), 3780, 3780)
    })
    const report = await importDataset(store, source)
    const spacing = async (id: string): Promise<number[]> => (await store.loadImage(id)).header.spacing.map((value) => Number(value.toFixed(4)))
    expect(await spacing('scanned')).toEqual([0.0847, 0.0847, 1])
    expect(await spacing('edited')).toEqual([1, 1, 1])
    expect(await spacing('screen')).toEqual([1, 1, 1])
    expect(report.notes).toContain('pixel spacing unknown in 2 file(s): 1 mm assumed')
    expect(report.notes?.some((note) => note.includes('edited.png') && note.includes('72 dpi'))).toBe(true)
    expect(report.notes?.some((note) => note.includes('screen.png') && note.includes('96 dpi'))).toBe(true)
    // Only both axes at a screen default count: 72 × 300 dpi is a stated, if odd, pixel size.
    expect(screenDefaultDpi([25.4 / 72, 25.4 / 300])).toBeNull()
    expect(screenDefaultDpi([1000 / 2835, 1000 / 2835])).toBe(72)
  })

  it('keeps RGB as three channels, channel-major', () => {
    const rgb: Image2D = { ...picture(), channels: 3, width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) }
    const volume = volumeFromImage2d(rgb, [1, 1])
    expect(volume.header.channels).toBe(3)
    expect(Array.from(volume.data)).toEqual([10, 40, 20, 50, 30, 60])
  })
})

describeUnless(sharedDataMissing, 'importing chest X-rays with lung masks (Montgomery, 2d/cxr-lung-montgomery)', () => {
  it('makes one-slice cases of 512×512 whose label is the mask, modality other, spacing noted', async () => {
    // Symlinks to a few of the shared pairs: read from there, not copied.
    const source = path.join(scratch.base, 'cxr')
    for (const id of MONTGOMERY_CASES) {
      for (const folder of ['images', 'masks']) {
        await mkdir(path.join(source, folder), { recursive: true })
        await symlink(path.join(MONTGOMERY, folder, `${id}.png`), path.join(source, folder, `${id}.png`))
      }
    }
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.skipped).toEqual([])
    expect(report.imported.map((c) => c.caseId)).toEqual(MONTGOMERY_CASES)
    expect(report.notes).toEqual([
      `pixel spacing unknown in ${MONTGOMERY_CASES.length} file(s): 1 mm assumed`,
      'label value 1 is in the imported label maps but no label table of the import (dataset.json, an ITK-SNAP or Slicer table, the label files\' own) names it: ' +
        'added to the project\'s table as "Label 1"; rename it there'
    ])
    expect(report.modality).toMatchObject({ modality: 'other', applied: true })
    expect(store.getManifest()).toMatchObject({ modality: 'other', channelNames: ['image'], labels: [{ id: 1, name: 'Label 1' }] })
    for (const id of MONTGOMERY_CASES) {
      const summary = store.getCase(id)
      expect(summary).toMatchObject({ dims: [512, 512, 1], channels: 1, status: 'done', hasLabel: true })
      expect(store.getImage2dSource(id)).toEqual({ file: `${id}.png`, maskEncoding: 'binary-255' })
      const mask = PNG.sync.read(await readFile(path.join(MONTGOMERY, 'masks', `${id}.png`)))
      const label = (await store.loadLabel(id)).data
      let lung = 0
      let differing = 0
      for (let n = 0; n < 512 * 512; n++) {
        const inMask = (mask.data[n * 4] ?? 0) === 255 ? 1 : 0
        lung += inMask
        if ((label[n] ?? 0) !== inMask) differing++
      }
      expect(differing).toBe(0)
      expect(summary.labelStats).toEqual([expect.objectContaining({ labelId: 1, voxels: lung })])
      expect(lung / (512 * 512)).toBeGreaterThan(0.16)
      const image = await store.loadImage(id)
      const xray = PNG.sync.read(await readFile(path.join(MONTGOMERY, 'images', `${id}.png`)))
      expect(image.data[1000]).toBe(xray.data[1000 * 4])
    }
  })
})

describe('importing colour masks with a class list', () => {
  const RED: [number, number, number] = [255, 0, 0]
  const GREEN: [number, number, number] = [0, 255, 0]
  /** 4 × 2 RGB photo and a colour mask: row 0 = red red green black, row 1 = black black green red. */
  const maskPixels = [RED, RED, GREEN, [0, 0, 0], [0, 0, 0], [0, 0, 0], GREEN, RED].flat()
  const photo = Array.from({ length: 24 }, (_, n) => (n * 37) % 256)

  it('names the labels from the class list, maps each colour to its id and keeps the photo RGB', async () => {
    const source = await writeTree(path.join(scratch.base, 'colour'), {
      'images/one.png': rgbPng(4, 2, photo),
      'masks/one.png': rgbPng(4, 2, maskPixels),
      'classes.json': JSON.stringify(CLASS_LIST)
    })
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.skipped).toEqual([])
    const manifest = store.getManifest()
    expect(manifest.labels).toEqual([
      { id: 1, name: 'tumour', color: '#ff0000' },
      { id: 2, name: 'stroma', color: '#00ff00' }
    ])
    expect(manifest.channelNames).toEqual(['red', 'green', 'blue'])
    expect(manifest.modality).toBe('other')
    expect(Array.from((await store.loadLabel('one')).data)).toEqual([1, 1, 2, 0, 0, 0, 2, 1])
    expect(store.getImage2dSource('one')).toMatchObject({ file: 'one.png', maskEncoding: 'colours' })
    const image = await store.loadImage('one')
    expect(image.header.channels).toBe(3)
    expect(Array.from(image.data.subarray(0, 8))).toEqual(photo.filter((_, n) => n % 3 === 0))
    expect(Array.from(image.data.subarray(16, 24))).toEqual(photo.filter((_, n) => n % 3 === 2))
  })
})

describe('flat folders of 2D images', () => {
  it('imports <name>.png with <name>_mask.png when other files lie beside them but no DICOM file', async () => {
    const source = await writeTree(path.join(scratch.base, 'flat'), {
      'a.png': greyPng(2, 2, [1, 2, 3, 4]),
      'a_mask.png': greyPng(2, 2, [0, 1, 1, 0]),
      'README.txt': 'pairs of images and masks'
    })
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.format).toBe('folder')
    expect(report.imported).toEqual([{ caseId: 'a', imageFile: path.join(source, 'a.png'), labelFile: path.join(source, 'a_mask.png') }])
    expect(report.skipped).toEqual([{ file: path.join(source, 'README.txt'), reason: 'not a 2D image (.png, .jpg, .jpeg, .tif, .tiff)' }])
    expect(Array.from((await store.loadLabel('a')).data)).toEqual([0, 1, 1, 0])
    expect(store.getImage2dSource('a')).toEqual({ file: 'a.png', maskEncoding: 'ids' })
  })
})

describe('bad 2D input', () => {
  it('stops at a corrupt PNG among good ones, naming it, and changes nothing in the project', async () => {
    const good = greyPng(4, 4, Array.from({ length: 16 }, (_, n) => n))
    const corrupt = Buffer.from(good.subarray(0, 40))
    const source = await writeTree(path.join(scratch.base, 'bad'), { 'a.png': good, 'b.png': corrupt, 'c.png': good })
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    await expect(importDataset(store, source)).rejects.toMatchObject({ message: expect.stringContaining(path.join(source, 'b.png')) })
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(store.listCases()).toEqual([])
  })

  it('stops at a mask of another size than its image, naming both', async () => {
    const source = await writeTree(path.join(scratch.base, 'sizes'), {
      'a.png': greyPng(4, 4, []),
      'a_mask.png': greyPng(4, 3, [])
    })
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    await expect(importDataset(store, source)).rejects.toMatchObject({
      code: 'GRID_MISMATCH',
      message: `${path.join(source, 'a_mask.png')}: the mask is 4×3 pixels but its image a.png is 4×4`
    })
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(await readdir(path.join(store.root, 'images'))).toEqual([])
  })
})
