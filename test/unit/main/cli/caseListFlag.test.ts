/**
 * `voxloop evaluate --cases`: ids inline or from a file (commas, spaces, lines, # comments), each
 * checked; a bad list is refused with the file or text and the id at fault named.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCaseListFlag } from '../../../../src/main/cli/caseListFlag'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'

let dir: string
beforeAll(async () => {
  dir = await makeTempDir('case-list')
})
afterAll(async () => {
  await removeDir(dir)
})

describe('parseCaseListFlag', () => {
  it('is undefined without the flag, and splits an inline list on commas and spaces', async () => {
    expect(await parseCaseListFlag(undefined)).toBeUndefined()
    expect(await parseCaseListFlag('hippocampus_001,hippocampus_017, case-3')).toEqual(['hippocampus_001', 'hippocampus_017', 'case-3'])
  })

  it('reads @file: one id a line or comma-separated, comments and blank lines skipped', async () => {
    const file = path.join(dir, 'fold-1.txt')
    await writeFile(file, '# fold 1 of 5, seed 7\nhippocampus_003\n\nhippocampus_010, hippocampus_022  # held out\r\nhippocampus_040\n')
    expect(await parseCaseListFlag(`@${file}`)).toEqual(['hippocampus_003', 'hippocampus_010', 'hippocampus_022', 'hippocampus_040'])
  })

  it('reads a file named without @ (issue #13: --cases <ids|file>), and says so when a path-like value is no file', async () => {
    const file = path.join(dir, 'held-out.txt')
    await writeFile(file, 'hippocampus_044\nhippocampus_243\n')
    expect(await parseCaseListFlag(file)).toEqual(['hippocampus_044', 'hippocampus_243'])
    // An id is still an id where no file of that name exists (this test's working folder has none).
    expect(await parseCaseListFlag('held-out.txt')).toEqual(['held-out.txt'])
    const missing = path.join(dir, 'folds', 'fold-1.txt')
    await expect(parseCaseListFlag(missing)).rejects.toThrow(`not a case id: "${missing}" (and there is no file ${missing})`)
    // A directory is not a list.
    await expect(parseCaseListFlag(dir)).rejects.toThrow(`(and there is no file ${dir})`)
  })

  it('refuses a missing file, an empty list, a bad id and a repeated id, naming the file or text and the id', async () => {
    const missing = path.join(dir, 'nope.txt')
    await expect(parseCaseListFlag(`@${missing}`)).rejects.toThrow(new RegExp(`--cases ${missing.replace(/[.]/g, '\\.')}: cannot read the list of case ids`))
    const empty = path.join(dir, 'empty.txt')
    await writeFile(empty, '# nothing here\n\n')
    await expect(parseCaseListFlag(`@${empty}`)).rejects.toThrow(/empty\.txt: no case ids/)
    await expect(parseCaseListFlag(' , ')).rejects.toThrow(/--cases " , ": no case ids/)
    await expect(parseCaseListFlag('a1,../etc,b2')).rejects.toThrow(/not a case id: "\.\.\/etc"/)
    await expect(parseCaseListFlag('a1,b2,a1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/listed more than once: a1/) })
  })
})
