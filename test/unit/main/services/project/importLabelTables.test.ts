/**
 * Label names and colours that travel with a dataset (importLabels.ts): ITK-SNAP and Slicer tables
 * beside the NIfTI files, the Caret table in label NIfTI headers (TotalSegmentator's real files),
 * refusal when two of them disagree, and "Label 1" for a project whose import brings no label.
 */
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { importCommand } from '../../../../../src/main/cli/commands/projectCommands'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { writeLabelNifti } from '../../../../../src/node/formats/nifti'
import { writeImageNifti } from '../../../../../src/node/formats/nifti/writeImageNifti'
import { formatItkSnapLabels, formatSlicerColorTable } from '../../../../../src/node/formats/labelTables'
import { VoxloopError } from '../../../../../src/shared/errors'
import { defaultLabelColor, type LabelDef } from '../../../../../src/shared/project'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { snapshotTree, syntheticImage } from './projectFixtures'
import { scratchProjects } from './scratchProjects'

const TOTALSEG = sharedDataPath('labeled', 'totalsegmentator_examples')
const DIMS: [number, number, number] = [6, 5, 4]

const scratch = scratchProjects('import-label-tables')

/** A flat folder `name` with image `<name>.nii.gz`, and `<name>_seg.nii.gz` holding `values` when given, plus `files`. */
async function flatFolder(name: string, values: number[] | null, files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(scratch.base, name)
  await mkdir(dir, { recursive: true })
  const image = syntheticImage(DIMS)
  await writeImageNifti(path.join(dir, `${name}.nii.gz`), image)
  if (values) {
    const label = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2])
    values.forEach((value, n) => (label[n] = value))
    await writeLabelNifti(path.join(dir, `${name}_seg.nii.gz`), label, image.header)
  }
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text)
  return dir
}

/** The TotalSegmentator CT or MR example as a flat folder, its label as `<case>_seg`, plus `files`. */
async function totalSegFolder(kind: 'ct' | 'mr', files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(scratch.base, `totalseg-${kind}`)
  await mkdir(dir, { recursive: true })
  await copyFile(path.join(TOTALSEG, 'imagesTr', `example_${kind}_sm.nii.gz`), path.join(dir, `example_${kind}_sm.nii.gz`))
  await copyFile(path.join(TOTALSEG, 'labelsTr', `example_${kind}_sm.nii.gz`), path.join(dir, `example_${kind}_sm_seg.nii.gz`))
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text)
  return dir
}

async function refusal(promise: Promise<unknown>): Promise<VoxloopError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected the import to be refused')
}

const TABLE: LabelDef[] = [
  { id: 1, name: 'Liver', color: '#aa0000' },
  { id: 2, name: 'Tumour', color: '#00bb00' },
  { id: 3, name: 'Portal vein', color: '#0000cc' }
]

describe('label-table files in the imported folder', () => {
  it('takes names and colours from an ITK-SNAP file, and reports the file as used, not skipped', async () => {
    const store = await scratch.newProject()
    const source = await flatFolder('itk', [1, 2, 2], { 'labels.txt': formatItkSnapLabels(TABLE), 'README.txt': 'notes' })
    const report = await importDataset(store, source)
    expect(report.imported.map((c) => c.caseId)).toEqual(['itk'])
    expect(store.getManifest().labels).toEqual(TABLE)
    expect(report.labelsAdded).toEqual(TABLE)
    expect(JSON.parse(await readFile(path.join(store.root, 'voxloop.json'), 'utf8'))).toMatchObject({ labels: TABLE })
    // Only the README is reported; labels.txt was read.
    expect(report.skipped.map((s) => [path.basename(s.file), s.reason])).toEqual([['README.txt', expect.stringMatching(/not a NIfTI or NRRD file/)]])
  })

  it('takes a Slicer colour table (.ctbl) beside an MSD layout, with colours over dataset.json defaults', async () => {
    const store = await scratch.newProject()
    const dir = path.join(scratch.base, 'msd')
    await mkdir(path.join(dir, 'imagesTr'), { recursive: true })
    await mkdir(path.join(dir, 'labelsTr'))
    const image = syntheticImage(DIMS)
    await writeImageNifti(path.join(dir, 'imagesTr', 'c1.nii.gz'), image)
    await writeLabelNifti(path.join(dir, 'labelsTr', 'c1.nii.gz'), new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]).fill(2, 0, 5), image.header)
    await writeFile(path.join(dir, 'dataset.json'), JSON.stringify({ labels: { background: 0, 'left kidney': 1, 'right kidney': 2 }, channel_names: { 0: 'CT' } }))
    await writeFile(
      path.join(dir, 'colors.ctbl'),
      formatSlicerColorTable([
        { id: 1, name: 'left kidney', color: '#102030' },
        { id: 2, name: 'right kidney', color: '#405060' }
      ])
    )
    const report = await importDataset(store, dir)
    expect(report.skipped).toEqual([])
    // Names as dataset.json spells them (the table's "left_kidney" is the same name), colours from the table.
    expect(store.getManifest().labels).toEqual([
      { id: 1, name: 'left kidney', color: '#102030' },
      { id: 2, name: 'right kidney', color: '#405060' }
    ])
  })

  it('refuses a malformed table, naming the file and the line, and changes nothing', async () => {
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    const source = await flatFolder('bad', [1], { 'labels.label': '1 255 0 0 1 1 1 "Liver"\n2 255 0 0 1 1 "Tumour"\n' })
    const error = await refusal(importDataset(store, source))
    expect(error.message).toBe(`${path.join(source, 'labels.label')} (line 2): expected IDX R G B A VIS MSH "LABEL" (seven numbers, then a quoted name)`)
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(store.listCases()).toEqual([])
  })

  it('refuses two tables that give one id different names, naming both files, the id and the names', async () => {
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    const source = await flatFolder('two', [1], {
      'a.label': formatItkSnapLabels([{ id: 1, name: 'Liver', color: '#ff0000' }]),
      'b.ctbl': formatSlicerColorTable([{ id: 1, name: 'Spleen', color: '#ff0000' }])
    })
    const error = await refusal(importDataset(store, source))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain(`label 1: ${path.join(source, 'a.label')} names it "Liver", ${path.join(source, 'b.ctbl')} names it "Spleen"`)
    expect(await snapshotTree(store.root)).toEqual(before)
  })
})

describe('a project whose import brings no label', () => {
  it('gets label 1 ("Label 1", a default colour) from a folder of images without labels or tables', async () => {
    const store = await scratch.newProject()
    const report = await importDataset(store, await flatFolder('plain', null))
    const label1 = { id: 1, name: 'Label 1', color: defaultLabelColor(1) }
    expect(report.labelsAdded).toEqual([label1])
    expect(store.getManifest().labels).toEqual([label1])
    expect(JSON.parse(await readFile(path.join(store.root, 'voxloop.json'), 'utf8'))).toMatchObject({ labels: [label1] })
    // A second label-less import adds nothing more.
    const again = await importDataset(store, await flatFolder('plain2', null))
    expect(again.imported.map((c) => c.caseId)).toEqual(['plain2'])
    expect(again.labelsAdded).toEqual([])
    expect(store.getManifest().labels).toEqual([label1])
  })

  it('names that placeholder label from a table imported later, but refuses a table that renames a real name', async () => {
    const store = await scratch.newProject()
    await importDataset(store, await flatFolder('first', [1]))
    expect(store.getManifest().labels).toEqual([{ id: 1, name: 'Label 1', color: defaultLabelColor(1) }])
    const second = await flatFolder('second', [1], { 'labels.txt': formatItkSnapLabels([{ id: 1, name: 'Liver', color: '#123456' }]) })
    const named = await importDataset(store, second)
    expect(named.imported.map((c) => c.caseId)).toEqual(['second'])
    expect(store.getManifest().labels).toEqual([{ id: 1, name: 'Liver', color: '#123456' }])

    const before = await snapshotTree(store.root)
    const third = await flatFolder('third', [1], { 'labels.txt': formatItkSnapLabels([{ id: 1, name: 'Spleen', color: '#123456' }]) })
    const error = await refusal(importDataset(store, third))
    expect(error.message).toContain(`label 1: the project's label table (${path.join(store.root, 'voxloop.json')}) names it "Liver", ${path.join(third, 'labels.txt')} names it "Spleen"`)
    expect(await snapshotTree(store.root)).toEqual(before)
    // keep-project: the project's name stands and the import goes ahead.
    const kept = await importDataset(store, third, { labelConflicts: 'keep-project' })
    expect(kept.labelsAdded).toEqual([])
    expect(store.getManifest().labels).toEqual([{ id: 1, name: 'Liver', color: '#123456' }])
  })
})

describeUnless(sharedDataMissing, "Caret label tables in TotalSegmentator's label maps", () => {
  it('takes all 117 names and colours of the CT example from its label header', async () => {
    const store = await scratch.newProject()
    const report = await importDataset(store, await totalSegFolder('ct'))
    expect(report.skipped).toEqual([])
    const labels = store.getManifest().labels
    expect(labels).toHaveLength(117)
    expect(labels.slice(0, 3)).toEqual([
      { id: 1, name: 'spleen', color: '#00ff00' },
      { id: 2, name: 'kidney_right', color: '#0000ff' },
      { id: 3, name: 'kidney_left', color: '#ffff00' }
    ])
    expect(labels.find((label) => label.id === 117)).toEqual({ id: 117, name: 'costal_cartilages', color: '#0080ff' })
    expect(labels.some((label) => /^Label \d+$/.test(label.name))).toBe(false)
  })

  it('refuses the folder holding both the CT and the MR example, whose tables give id 10 different organs', async () => {
    const store = await scratch.newProject()
    const before = await snapshotTree(store.root)
    const error = await refusal(importDataset(store, TOTALSEG))
    expect(error.message).toContain(
      `label 10: ${path.join(TOTALSEG, 'labelsTr', 'example_ct_sm.nii.gz')} names it "lung_upper_lobe_left", ` +
        `${path.join(TOTALSEG, 'labelsTr', 'example_mr_sm.nii.gz')} names it "lung_left"`
    )
    expect(error.message).toContain('Nothing was imported')
    expect(await snapshotTree(store.root)).toEqual(before)
    expect(store.listCases()).toEqual([])
  })

  it('refuses an ITK-SNAP file that disagrees with the Caret table of a label map beside it', async () => {
    const store = await scratch.newProject()
    const source = await totalSegFolder('ct', { 'labels.txt': formatItkSnapLabels([{ id: 1, name: 'liver', color: '#ff0000' }]) })
    const error = await refusal(importDataset(store, source))
    expect(error.message).toContain(`label 1: ${path.join(source, 'labels.txt')} names it "liver", ${path.join(source, 'example_ct_sm_seg.nii.gz')} names it "spleen"`)
    expect(store.listCases()).toEqual([])
  })

  it('voxloop import into a new project: the refusal leaves no project folder behind', async () => {
    const folder = path.join(scratch.base, 'new-project')
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      const error = await refusal(importCommand(TOTALSEG, folder, { json: false }))
      expect(error.message).toMatch(/Label tables disagree on label 10/)
    } finally {
      write.mockRestore()
    }
    expect(await stat(folder).catch(() => null)).toBeNull()
  })
})
