import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { planImport } from '../../../../../src/main/services/project/datasetDiscovery'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from './projectFixtures'

const fifoUnavailable = process.platform === 'win32' ? 'Windows has no mkfifo (named pipes there are not files in a folder)' : null
const FIFO_REASON = 'a named pipe (FIFO), not a regular file'

let base: string

beforeEach(async () => {
  base = await makeTempDir('discovery')
})

afterEach(async () => {
  await removeDir(base)
})

describeUnless(fifoUnavailable, 'planImport with files that are not regular files', () => {
  it('lists named pipes, and symlinks to them, as skipped with the reason (flat folder)', async () => {
    await writeFile(path.join(base, 'a.nii.gz'), 'not read during planning')
    execFileSync('mkfifo', [path.join(base, 'b.nii')])
    execFileSync('mkfifo', [path.join(base, 'b_seg.nii.gz')])
    await symlink(path.join(base, 'b.nii'), path.join(base, 'c.nii'))
    const plan = await planImport(base)
    expect(plan.cases).toEqual([{ caseId: 'a', imageFiles: [path.join(base, 'a.nii.gz')], labelFile: null }])
    const byFile = (a: { file: string }, b: { file: string }): number => (a.file < b.file ? -1 : 1)
    expect([...plan.skipped].sort(byFile)).toEqual([
      { file: path.join(base, 'b.nii'), reason: FIFO_REASON },
      { file: path.join(base, 'b_seg.nii.gz'), reason: FIFO_REASON },
      { file: path.join(base, 'c.nii'), reason: FIFO_REASON }
    ])
  })

  it('lists them in an MSD folder too', async () => {
    await mkdir(path.join(base, 'imagesTr'))
    await mkdir(path.join(base, 'labelsTr'))
    await writeFile(path.join(base, 'imagesTr', 'case_1.nii.gz'), 'x')
    execFileSync('mkfifo', [path.join(base, 'imagesTr', 'case_2.nii.gz')])
    execFileSync('mkfifo', [path.join(base, 'labelsTr', 'case_1.nii.gz')])
    const plan = await planImport(base)
    expect(plan.cases).toEqual([{ caseId: 'case_1', imageFiles: [path.join(base, 'imagesTr', 'case_1.nii.gz')], labelFile: null }])
    expect(plan.skipped).toEqual([
      { file: path.join(base, 'imagesTr', 'case_2.nii.gz'), reason: FIFO_REASON },
      { file: path.join(base, 'labelsTr', 'case_1.nii.gz'), reason: FIFO_REASON }
    ])
  })
})
