import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseSpacingArgs } from '../../../../src/main/cli/commands/spacingCommand'
import { readLabelNifti, readNifti } from '../../../../src/node/formats/nifti'
import { runCli } from '../../../helpers/runCli'
import { greyPng, writeTree } from '../services/project/image2dFixtures'
import { makeTempDir, removeDir, snapshotTree } from '../services/project/projectFixtures'

let base: string

beforeEach(async () => {
  base = await makeTempDir('cli-spacing')
})

afterEach(async () => {
  await removeDir(base)
})

describe('voxloop set-spacing', () => {
  it('sets the spacing of the cases named, rewriting image and label headers, and refuses a bad value before opening the project', async () => {
    const source = await writeTree(path.join(base, 'xrays'), {
      'images/a.png': greyPng(3, 2, [10, 20, 30, 40, 50, 60]),
      'masks/a.png': greyPng(3, 2, [0, 255, 255, 0, 0, 255]),
      'images/b.png': greyPng(3, 2, [1, 2, 3, 4, 5, 6])
    })
    const project = path.join(base, 'project')
    expect(runCli(['import', source, project]).status).toBe(0)

    const bad = runCli(['set-spacing', project, '0', '0.5'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe('voxloop: voxloop set-spacing: <sx> must be a number of 0.001 to 100 mm, got "0"\n')

    const before = await snapshotTree(path.join(project, 'images'))
    const run = runCli(['set-spacing', project, '0.5', '0.25', '--cases', 'a'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(`Pixel spacing of 1 2D case(s) in ${project}: 0.5 × 0.25 mm (a)\n`)
    expect((await readNifti(path.join(project, 'images', 'a.nii.gz'))).header.spacing).toEqual([0.5, 0.25, 1])
    const label = await readLabelNifti(path.join(project, 'labels', 'a.nii.gz'))
    expect(label.header.spacing).toEqual([0.5, 0.25, 1])
    expect(Array.from(label.data)).toEqual([0, 1, 1, 0, 0, 1])
    // b was not named: its file is untouched.
    expect((await snapshotTree(path.join(project, 'images'))).get('b.nii.gz')).toBe(before.get('b.nii.gz'))

    const all = runCli(['set-spacing', project, '2', '2', '--json'])
    expect(all.status).toBe(0)
    expect(JSON.parse(all.stdout)).toEqual({
      project,
      spacingMm: [2, 2],
      cases: [
        { caseId: 'a', spacing: [2, 2, 1] },
        { caseId: 'b', spacing: [2, 2, 1] }
      ]
    })
  })
})

describe('parseSpacingArgs', () => {
  it('takes two plain decimals of 0.001 to 100 mm and names the value at fault otherwise', () => {
    expect(parseSpacingArgs(['0.143', '1e-1'])).toEqual([0.143, 0.1])
    expect(() => parseSpacingArgs(['1'])).toThrow('give the spacing as two numbers in mm, <sx> <sy> (got 1)')
    expect(() => parseSpacingArgs(['1', '100.01'])).toThrow('<sy> must be a number of 0.001 to 100 mm, got "100.01"')
    expect(() => parseSpacingArgs(['', '1'])).toThrow('<sx> must be a number')
    expect(() => parseSpacingArgs(['0x10', '1'])).toThrow('<sx> must be a number')
    expect(() => parseSpacingArgs(['Infinity', '1'])).toThrow('<sx> must be a number')
  })
})
