import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  findLabelTableFiles,
  ImportLabelNames,
  isPlaceholderName,
  readLabelTableFile,
  sameLabelName
} from '../../../../../src/main/services/project/importLabels'
import { defaultLabelColor, type LabelDef } from '../../../../../src/shared/project'
import { formatItkSnapLabels, formatSlicerColorTable } from '../../../../../src/node/formats/labelTables'
import { itUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from './projectFixtures'

const PROJECT = 'the project (voxloop.json)'
const liver: LabelDef = { id: 1, name: 'Liver', color: '#ff0000' }

function names(project: LabelDef[] = [], rule: 'refuse' | 'keep-project' = 'refuse'): ImportLabelNames {
  return new ImportLabelNames({ labels: project, file: PROJECT }, rule)
}

describe('ImportLabelNames: where an import takes label names from', () => {
  it('adds what sources name and what voxels hold, ascending, "Label N" for values nobody names', () => {
    const labels = names()
    labels.addSource('a.txt', [{ id: 3, name: 'Vessel', color: '#0000ff' }, liver], true)
    labels.noteValue(2)
    labels.noteValue(1)
    expect(labels.changes()).toEqual({
      added: [liver, { id: 2, name: 'Label 2', color: defaultLabelColor(2) }, { id: 3, name: 'Vessel', color: '#0000ff' }],
      named: [],
      unnamed: [{ id: 2, name: 'Label 2', color: defaultLabelColor(2) }]
    })
  })

  it('gives a project without labels "Label 1" when the import brings none', () => {
    // Not a value found in a label map: no note says it is unnamed.
    expect(names().changes()).toEqual({ added: [{ id: 1, name: 'Label 1', color: defaultLabelColor(1) }], named: [], unnamed: [] })
    // A project that has labels gets nothing it did not ask for.
    expect(names([{ id: 4, name: 'Organ', color: '#123456' }]).changes()).toEqual({ added: [], named: [], unnamed: [] })
  })

  it('refuses one id with two names, naming both sources, the id and the names', () => {
    const labels = names()
    labels.addSource('/in/dataset.json', [{ id: 10, name: 'lung_upper_lobe_left', color: '#000000' }], false)
    expect(() => labels.addSource('/in/labelsTr/mr.nii.gz', [{ id: 10, name: 'lung_left', color: '#000000' }], true)).toThrow(
      'Label tables disagree on label 10: /in/dataset.json names it "lung_upper_lobe_left", /in/labelsTr/mr.nii.gz names it "lung_left".'
    )
  })

  it('refuses one name for two ids', () => {
    const labels = names()
    labels.addSource('a.label', [liver], true)
    expect(() => labels.addSource('b.ctbl', [{ id: 5, name: 'liver', color: '#000000' }], true)).toThrow(
      'Label tables disagree on "liver": a.label gives that name to label 1, b.ctbl to label 5.'
    )
  })

  it('treats case, underscores and spaces alike, and prefers a stated colour to dataset.json defaults', () => {
    expect(sameLabelName('kidney_right', ' Kidney  right ')).toBe(true)
    const labels = names()
    labels.addSource('dataset.json', [{ id: 2, name: 'kidney right', color: defaultLabelColor(2) }], false)
    labels.addSource('colors.ctbl', [{ id: 2, name: 'Kidney_Right', color: '#abcdef' }], true)
    labels.addSource('seg.nii.gz', [{ id: 2, name: 'kidney_right', color: '#000001' }], true)
    expect(labels.changes().added).toEqual([{ id: 2, name: 'kidney right', color: '#abcdef' }])
  })

  it("refuses a source that renames the project's label, and keeps the project's under keep-project", () => {
    expect(() => names([liver]).addSource('t.txt', [{ id: 1, name: 'Spleen', color: '#000000' }], true)).toThrow(
      `Label tables disagree on label 1: ${PROJECT} names it "Liver", t.txt names it "Spleen"`
    )
    expect(() => names([liver]).addSource('t.txt', [{ id: 2, name: 'LIVER', color: '#000000' }], true)).toThrow(/gives that name to label 1, t\.txt to label 2/)
    const kept = names([liver], 'keep-project')
    kept.addSource('t.txt', [{ id: 1, name: 'Spleen', color: '#000000' }, { id: 2, name: 'liver', color: '#000000' }, { id: 3, name: 'Bone', color: '#111111' }], true)
    kept.noteValue(2)
    expect(kept.changes().added).toEqual([
      { id: 2, name: 'Label 2', color: defaultLabelColor(2) },
      { id: 3, name: 'Bone', color: '#111111' }
    ])
  })

  it('still refuses sources of one import that disagree with each other under keep-project', () => {
    const labels = names([], 'keep-project')
    labels.addSource('a.txt', [liver], true)
    expect(() => labels.addSource('b.txt', [{ id: 1, name: 'Spleen', color: '#000000' }], true)).toThrow(/label 1: a\.txt names it "Liver", b\.txt names it "Spleen"/)
  })

  it('names a project label that is only a placeholder ("Label N"), keeping its colour unless the source states one', () => {
    const placeholder = { id: 1, name: 'Label 1', color: '#e6194b' }
    expect(isPlaceholderName(placeholder)).toBe(true)
    expect(isPlaceholderName({ id: 2, name: 'Label 2 (imported)', color: '#000000' })).toBe(true)
    expect(isPlaceholderName({ id: 2, name: 'Label 1', color: '#000000' })).toBe(false)
    const fromJson = names([placeholder])
    fromJson.addSource('dataset.json', [{ id: 1, name: 'Anterior', color: defaultLabelColor(1) }], false)
    expect(fromJson.changes()).toEqual({ added: [], named: [{ id: 1, name: 'Anterior', color: '#e6194b' }], unnamed: [] })
    const fromTable = names([placeholder])
    fromTable.addSource('t.label', [liver], true)
    expect(fromTable.changes()).toEqual({ added: [], named: [liver], unnamed: [] })
  })

  it('refuses a table whose names would repeat a placeholder name of another id', () => {
    const labels = names([{ id: 1, name: 'Label 1', color: '#e6194b' }])
    labels.addSource('t.label', [{ id: 7, name: 'label 1', color: '#000000' }], true)
    expect(() => labels.changes()).toThrow(/the project's table would give that name to labels 1 and 7/)
  })
})

describe('findLabelTableFiles: which files of an imported folder are label tables', () => {
  let dir: string
  beforeEach(async () => {
    dir = await makeTempDir('label-tables')
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('takes *.label, *.ctbl and ITK-SNAP or Slicer *.txt at the top level only', async () => {
    const itk = formatItkSnapLabels([liver])
    const slicer = formatSlicerColorTable([liver])
    await writeFile(path.join(dir, 'a.label'), itk)
    await writeFile(path.join(dir, 'b.ctbl'), slicer)
    await writeFile(path.join(dir, 'c.txt'), itk)
    await writeFile(path.join(dir, 'd.TXT'), slicer)
    await writeFile(path.join(dir, 'README.txt'), 'notes about the scans')
    await writeFile(path.join(dir, '.hidden.label'), itk)
    await writeFile(path.join(dir, 'e.json'), '{}')
    await mkdir(path.join(dir, 'labelsTr'))
    await writeFile(path.join(dir, 'labelsTr', 'f.label'), itk)
    const found = await findLabelTableFiles(dir)
    expect(found.map((table) => [path.basename(table.file), table.format])).toEqual([
      ['a.label', 'itk-snap'],
      ['b.ctbl', 'slicer'],
      ['c.txt', 'itk-snap'],
      ['d.TXT', 'slicer']
    ])
    for (const table of found) expect(await readLabelTableFile(table)).toEqual([liver])
  })

  itUnless(process.platform === 'win32' ? 'mkfifo is not available on Windows' : null, 'leaves out a named pipe called .label instead of blocking on it', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.label')])
    expect(await findLabelTableFiles(dir)).toEqual([])
  })
})
