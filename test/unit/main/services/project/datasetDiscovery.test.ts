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

it('reports a second file of one name stem (x.nii beside x.nii.gz or x.nrrd) instead of dropping it, in a flat folder and an MSD one', async () => {
  for (const name of ['a.nii', 'a.nii.gz', 'a.nrrd', 'a_seg.nii.gz', 'a_seg.seg.nrrd', 'b.nhdr', 'b.raw.gz']) await writeFile(path.join(base, name), 'not read during planning')
  const plan = await planImport(base)
  expect(plan.cases).toEqual([
    { caseId: 'a', imageFiles: [path.join(base, 'a.nii')], labelFile: path.join(base, 'a_seg.nii.gz') },
    // A .nhdr is a volume; its data file is read through it, not listed.
    { caseId: 'b', imageFiles: [path.join(base, 'b.nhdr')], labelFile: null }
  ])
  const sameStem = (file: string, kept: string, stem: string): { file: string; reason: string } => ({
    file: path.join(base, file),
    reason: `${kept} has the same name before its extension, so both would be ${stem}: only ${kept} is imported; rename or remove one`
  })
  expect(plan.skipped).toEqual([
    sameStem('a.nii.gz', 'a.nii', 'a'),
    sameStem('a.nrrd', 'a.nii', 'a'),
    // Stem a_seg.seg: a label of a_seg, itself a label, not an image (it was dropped without a word).
    { file: path.join(base, 'a_seg.seg.nrrd'), reason: 'looks like a label but there is no image named a_seg' }
  ])
  // Two labels of one image: the second is named as such (it was said to have no image).
  const twice = path.join(base, 'twice')
  await mkdir(twice)
  for (const name of ['d.nii.gz', 'd_label.nii.gz', 'd_seg.nii.gz']) await writeFile(path.join(twice, name), 'x')
  const twicePlan = await planImport(twice)
  expect(twicePlan.cases).toEqual([{ caseId: 'd', imageFiles: [path.join(twice, 'd.nii.gz')], labelFile: path.join(twice, 'd_label.nii.gz') }])
  expect(twicePlan.skipped).toEqual([{ file: path.join(twice, 'd_seg.nii.gz'), reason: 'a second label for d, whose label is d_label.nii.gz; only that one is imported' }])
  const msd = path.join(base, 'msd')
  await mkdir(path.join(msd, 'imagesTr'), { recursive: true })
  await mkdir(path.join(msd, 'labelsTr'))
  for (const name of ['imagesTr/c.nii.gz', 'imagesTr/c.nrrd', 'labelsTr/c.nii.gz', 'labelsTr/c.nii']) await writeFile(path.join(msd, name), 'x')
  const msdPlan = await planImport(msd)
  expect(msdPlan.cases).toEqual([{ caseId: 'c', imageFiles: [path.join(msd, 'imagesTr', 'c.nii.gz')], labelFile: path.join(msd, 'labelsTr', 'c.nii') }])
  expect(msdPlan.skipped.map((entry) => path.relative(msd, entry.file))).toEqual(['labelsTr/c.nii.gz', 'imagesTr/c.nrrd'])
})
