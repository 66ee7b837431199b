import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseFourDFlag } from '../../../../src/main/cli/fourDFlag'
import { VoxloopError } from '../../../../src/shared/errors'
import { buildNifti } from '../../../helpers/niftiBuilder'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'
import { runCli } from '../../../helpers/runCli'

let base: string

beforeEach(async () => {
  base = await makeTempDir('cli-4d')
})

afterEach(async () => {
  await removeDir(base)
})

/** A folder with fmri.nii: 4×3×2 voxels, 3 time points, TR 2.5 s (xyzt_units mm + s). */
async function fmriFolder(): Promise<string> {
  const dir = path.join(base, 'fmri')
  await mkdir(dir)
  const data = Int16Array.from({ length: 4 * 3 * 2 * 3 }, (_, n) => n)
  await writeFile(path.join(dir, 'fmri.nii'), buildNifti({ dims: [4, 3, 2, 3], datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 1, 2.5], xyztUnits: 10 }, data))
  return dir
}

describe('voxloop import --4d', () => {
  it('accepts channels and time in any case, and refuses anything else naming the flag and the values', () => {
    expect(parseFourDFlag(undefined)).toBeUndefined()
    expect(parseFourDFlag('time')).toBe('time')
    expect(parseFourDFlag('Channels')).toBe('channels')
    for (const value of ['frames', '', 'volumes']) {
      let caught: unknown = null
      try {
        parseFourDFlag(value)
      } catch (error) {
        caught = error
      }
      expect(caught, value).toBeInstanceOf(VoxloopError)
      expect((caught as VoxloopError).code).toBe('INVALID_ARGUMENT')
      expect((caught as VoxloopError).message).toBe(`--4d must be channels or time, got "${value}"`)
    }
  })

  it('exits 1 on a time series without --4d, saying why and what to pass, and leaves no project behind', async () => {
    const source = await fmriFolder()
    const project = path.join(base, 'project')
    const run = runCli(['import', source, project])
    expect(run.status).toBe(1)
    expect(run.stdout).toContain(
      `skipped ${path.join(source, 'fmri.nii')}: a 4D time series of 3 time points (TR 2.5 s; the header gives dim[4] a time step of 2.5 s (xyzt_units, pixdim[4])), and Voxloop labels 3D volumes: ` +
        'pass --4d time to import each time point as its own case (fmri_t000 … fmri_t002, same affine), or --4d channels'
    )
    expect(existsSync(project)).toBe(false)
  })

  it('imports each time point as a case with --4d time, and refuses an unknown value before making a project', async () => {
    const source = await fmriFolder()
    const project = path.join(base, 'project')
    const bad = runCli(['import', source, project, '--4d', 'frames'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe('voxloop: --4d must be channels or time, got "frames"\n')
    expect(existsSync(project)).toBe(false)

    const run = runCli(['import', source, project, '--4d', 'time'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^Imported 3 case\(s\) from .*fmri \(folder\) into /)
    expect((await readdir(path.join(project, 'images'))).sort()).toEqual(['fmri_t000.nii.gz', 'fmri_t001.nii.gz', 'fmri_t002.nii.gz'])
  })

  it('lists the flag in the help', () => {
    const help = runCli(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('[--4d channels|time]')
    expect(help.stdout).toMatch(/--4d time makes each time point a case \(<case>_t000, _t001, …,\s+same affine/)
  })
})
