import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { exportProject } from '../../../../../src/main/services/project/exportProject'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { greyPng, rgbPng, writeTree } from './image2dFixtures'
import { snapshotTree } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

/**
 * nnU-Net v2's 2D dataset layout (imagesTr/<case>_0000.png + channels, labelsTr/<case>.png,
 * imagesTs/, dataset.json with "file_ending": ".png") imported as one-slice cases, and the nnU-Net
 * export of a project of 2D pictures written back in that layout.
 */

const scratch = scratchProjects('nnunet-2d')

const W = 3
const H = 2
/** Two channels whose every pixel differs, so that a swapped channel or a transposed row shows. */
const CHANNEL_0 = [10, 11, 12, 13, 14, 15]
const CHANNEL_1 = [20, 21, 22, 23, 24, 25]
const LABEL_A = [0, 1, 1, 0, 2, 2]
const LABEL_B = [2, 0, 0, 1, 1, 0]

const DATASET_JSON = {
  channel_names: { '0': 'T2', '1': 'ADC' },
  labels: { background: 0, lesion: 1, gland: 2 },
  numTraining: 2,
  file_ending: '.png'
}

/** PNG decoded with pngjs (not the code under test): grey values row-major. */
function decodeGrey(bytes: Buffer): { width: number; height: number; values: number[] } {
  const png = PNG.sync.read(bytes)
  const values: number[] = []
  for (let n = 0; n < png.width * png.height; n++) values.push(png.data[n * 4] ?? -1)
  return { width: png.width, height: png.height, values }
}

async function nnunetDataset(extra: Record<string, Uint8Array | string> = {}): Promise<string> {
  return writeTree(path.join(scratch.base, 'Dataset001_Prostate2d'), {
    'dataset.json': JSON.stringify(DATASET_JSON),
    'imagesTr/caseA_0000.png': greyPng(W, H, CHANNEL_0),
    'imagesTr/caseA_0001.png': greyPng(W, H, CHANNEL_1),
    'labelsTr/caseA.png': greyPng(W, H, LABEL_A),
    'imagesTr/caseB_0000.png': greyPng(W, H, CHANNEL_1),
    'imagesTr/caseB_0001.png': greyPng(W, H, CHANNEL_0),
    'labelsTr/caseB.png': greyPng(W, H, LABEL_B),
    'imagesTs/caseC_0000.png': greyPng(W, H, CHANNEL_0),
    'imagesTs/caseC_0001.png': greyPng(W, H, CHANNEL_0),
    ...extra
  })
}

describe('importing an nnU-Net v2 2D dataset', () => {
  it('makes one-slice cases with the channel files stacked in order, labels from labelsTr/ named by dataset.json, and imagesTs/ unlabelled', async () => {
    const source = await nnunetDataset()
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.format).toBe('msd')
    expect(report.skipped).toEqual([])
    expect(report.imported.map((entry) => entry.caseId)).toEqual(['caseA', 'caseB', 'caseC'])
    expect(report.imported[0]).toEqual({
      caseId: 'caseA',
      imageFile: [path.join(source, 'imagesTr', 'caseA_0000.png'), path.join(source, 'imagesTr', 'caseA_0001.png')].join(', '),
      labelFile: path.join(source, 'labelsTr', 'caseA.png')
    })
    expect(report.notes).toEqual(['pixel spacing unknown in 3 file(s): 1 mm assumed'])

    const manifest = store.getManifest()
    expect(manifest.channelNames).toEqual(['T2', 'ADC'])
    expect(manifest.modality).toBe('MR')
    expect(manifest.labels.map((label) => [label.id, label.name])).toEqual([
      [1, 'lesion'],
      [2, 'gland']
    ])
    const a = await store.loadImage('caseA')
    expect(a.header.dims).toEqual([W, H, 1])
    expect(a.header.channels).toBe(2)
    expect(Array.from(a.data)).toEqual([...CHANNEL_0, ...CHANNEL_1])
    expect(Array.from((await store.loadImage('caseB')).data)).toEqual([...CHANNEL_1, ...CHANNEL_0])
    expect(Array.from((await store.loadLabel('caseA')).data)).toEqual(LABEL_A)
    expect(Array.from((await store.loadLabel('caseB')).data)).toEqual(LABEL_B)
    expect(store.getCase('caseC').hasLabel).toBe(false)
    expect(store.getCase('caseC').status).toBe('unlabeled')
    // The PNG mask export names the mask as nnU-Net does, after the case, not after its first channel file.
    expect(store.getImage2dSource('caseA')).toEqual({ file: 'caseA.png', maskEncoding: 'ids' })
  })

  it('recognises the layout without a file_ending when imagesTr/ holds pictures only, and keeps an RGB picture as 3 channels', async () => {
    const rgb = Array.from({ length: W * H * 3 }, (_, n) => (n * 29) % 256)
    const source = await writeTree(path.join(scratch.base, 'no-ending'), {
      'dataset.json': JSON.stringify({ labels: { background: 0, cell: 1 } }),
      'imagesTr/slide1_0000.png': rgbPng(W, H, rgb),
      'labelsTr/slide1.png': greyPng(W, H, [0, 1, 0, 1, 0, 1])
    })
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.imported.map((entry) => entry.caseId)).toEqual(['slide1'])
    expect(store.getManifest().channelNames).toEqual(['red', 'green', 'blue'])
    expect(store.getManifest().labels.map((label) => label.name)).toEqual(['cell'])
    const image = await store.loadImage('slide1')
    expect(image.header.channels).toBe(3)
    expect(Array.from(image.data.subarray(0, W * H))).toEqual(rgb.filter((_, n) => n % 3 === 0))
  })

  it('skips, with the reason, files of another ending, files without a channel suffix, a case with a channel gap and a label without image', async () => {
    const source = await nnunetDataset({
      'imagesTr/notes.txt': 'x',
      'imagesTr/stray.png': greyPng(W, H, []),
      'imagesTr/caseD_0000.png': greyPng(W, H, []),
      'imagesTr/caseD_0002.png': greyPng(W, H, []),
      'labelsTr/caseZ.png': greyPng(W, H, [])
    })
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.imported.map((entry) => entry.caseId)).toEqual(['caseA', 'caseB', 'caseC'])
    const reasons = new Map(report.skipped.map((entry) => [path.relative(source, entry.file), entry.reason]))
    expect(reasons.get(path.join('imagesTr', 'notes.txt'))).toBe("not a .png file (dataset.json's file_ending)")
    expect(reasons.get(path.join('imagesTr', 'stray.png'))).toMatch(/not named <case>_0000/)
    expect(reasons.get(path.join('imagesTr', 'caseD_0000.png'))).toBe('case caseD: channels 0000, 0002 do not run 0000, 0001, … without a gap')
    expect(reasons.get(path.join('imagesTr', 'caseD_0002.png'))).toBe('case caseD: channels 0000, 0002 do not run 0000, 0001, … without a gap')
    expect(reasons.get(path.join('labelsTr', 'caseZ.png'))).toBe('no image of this case in imagesTr/')
    expect(report.skipped).toHaveLength(5)
  })

  it('stops at a channel file of another size, naming it, with the project unchanged', async () => {
    const source = await nnunetDataset({ 'imagesTr/caseB_0001.png': greyPng(W + 1, H, []) })
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    await expect(importDataset(store, source)).rejects.toMatchObject({
      code: 'GRID_MISMATCH',
      message: `${path.join(source, 'imagesTr', 'caseB_0001.png')}: this channel is 4×2 pixels but caseB_0000.png of the same case is 3×2`
    })
    expect(await snapshotTree(store.root)).toEqual(before)
  })

  it('leaves a NIfTI nnU-Net dataset (file_ending .nii.gz) to the NIfTI import: its pictures are skipped, not imported', async () => {
    const source = await writeTree(path.join(scratch.base, 'nifti-dataset'), {
      'dataset.json': JSON.stringify({ ...DATASET_JSON, file_ending: '.nii.gz' }),
      'imagesTr/caseA_0000.png': greyPng(W, H, CHANNEL_0)
    })
    const store = await scratch.newProject()
    const report = await importDataset(store, source)
    expect(report.imported).toEqual([])
    expect(report.skipped.map((entry) => path.relative(source, entry.file))).toEqual([path.join('imagesTr', 'caseA_0000.png')])
  })
})

describe('exporting a project of 2D pictures as nnU-Net v2', () => {
  it('writes grey PNG channels, PNG labels with nnU-Net values and "file_ending": ".png", which import back to the same voxels', async () => {
    const store = await scratch.newProject()
    await importDataset(store, await nnunetDataset())
    const destination = path.join(scratch.base, 'export')
    const report = await exportProject(store, destination, { format: 'nnunet-v2' })
    expect([...report.files].sort()).toEqual(
      [
        'dataset.json',
        path.join('imagesTr', 'caseA_0000.png'),
        path.join('imagesTr', 'caseA_0001.png'),
        path.join('imagesTr', 'caseB_0000.png'),
        path.join('imagesTr', 'caseB_0001.png'),
        path.join('imagesTs', 'caseC_0000.png'),
        path.join('imagesTs', 'caseC_0001.png'),
        path.join('labelsTr', 'caseA.png'),
        path.join('labelsTr', 'caseB.png')
      ].sort()
    )
    const datasetJson = JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8')) as Record<string, unknown>
    expect(datasetJson).toMatchObject({ file_ending: '.png', channel_names: { '0': 'T2', '1': 'ADC' }, labels: { background: 0, lesion: 1, gland: 2 } })
    expect(decodeGrey(await readFile(path.join(destination, 'imagesTr', 'caseA_0001.png')))).toEqual({ width: W, height: H, values: CHANNEL_1 })
    expect(decodeGrey(await readFile(path.join(destination, 'labelsTr', 'caseB.png'))).values).toEqual(LABEL_B)
    expect(await readdir(path.join(destination, 'labelsTr'))).toEqual(['caseA.png', 'caseB.png'])

    const again = await scratch.newProject('again')
    const reimport = await importDataset(again, destination)
    expect(reimport.imported.map((entry) => entry.caseId)).toEqual(['caseA', 'caseB', 'caseC'])
    for (const caseId of ['caseA', 'caseB', 'caseC']) {
      expect(Array.from((await again.loadImage(caseId)).data)).toEqual(Array.from((await store.loadImage(caseId)).data))
    }
    expect(Array.from((await again.loadLabel('caseB')).data)).toEqual(LABEL_B)
  })

  it('renumbers label ids with gaps to 1..n in the PNG labels, as nnU-Net requires', async () => {
    const source = await writeTree(path.join(scratch.base, 'gaps'), {
      'dataset.json': JSON.stringify({ channel_names: { '0': 'X-ray' }, labels: { background: 0, lung: 3, heart: 7 }, file_ending: '.png' }),
      'imagesTr/p_0000.png': greyPng(2, 2, [1, 2, 3, 4]),
      'labelsTr/p.png': greyPng(2, 2, [0, 3, 7, 3])
    })
    const store = await scratch.newProject()
    await importDataset(store, source)
    const destination = path.join(scratch.base, 'export-gaps')
    await exportProject(store, destination, { format: 'nnunet-v2' })
    expect(decodeGrey(await readFile(path.join(destination, 'labelsTr', 'p.png'))).values).toEqual([0, 1, 2, 1])
    const datasetJson = JSON.parse(await readFile(path.join(destination, 'dataset.json'), 'utf8')) as Record<string, unknown>
    expect(datasetJson['labels']).toEqual({ background: 0, lung: 1, heart: 2 })
  })
})
